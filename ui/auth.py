"""Login for the console: Gradio's login form checks names and passwords against the console's users.

Gradio keeps the signed-in name in its session cookie and hands it to every callback as
`request.username`; `current_user` turns that back into a `User` (with its role) on each call, so a role
change or a removed user takes effect without trusting anything the browser sends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shopdesk.console_service import ConsoleError, ConsoleService, User


def authenticator(console: ConsoleService) -> Callable[[str, str], bool]:
    """The `auth=` callable of `gr.mount_gradio_app`: True only for a known user with the right password."""

    def check(username: str, password: str) -> bool:
        return console.users.authenticate(username or "", password or "") is not None

    return check


def current_user(console: ConsoleService, request: Any) -> User:
    """The signed-in user of this request, or ConsoleError (shown as is) when the session is not a user's."""
    user = console.users.get(getattr(request, "username", None) if request is not None else None)
    if user is None:
        raise ConsoleError("you are not signed in: reload the page and sign in again")
    return user

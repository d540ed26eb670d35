"""Login for the console: Gradio's login form, hardened around the parts of it we can reach.

What Gradio 6 does (gradio/routes.py): `POST /login` awaits the `auth=` callable when it is a coroutine
function (a plain function would run scrypt on the event loop), on success stores a random token in
`App.tokens` (token -> name) and sets it in two cookies without an expiry (one `SameSite=None; Secure`);
every later request looks the cookie up in `App.tokens`, and callbacks get the name as `request.username`.
So:

- `authenticator` is a coroutine function: it asks `LoginThrottle` first (refusing with 429 and
  Retry-After while a name or an address is locked), then checks the password in a small thread pool of its
  own (scrypt never blocks the event loop, and a flood of logins cannot take every worker thread the app's
  other routes use), then records the outcome and logs a failure (name and address, never the password).
- `SessionTokens` replaces `App.tokens`: a token ends after `idle_s` without a request and `max_s` after
  sign-in; an ended token is dropped, so the page shows the login form again and callbacks see no user.
- `LoginGuard` (ASGI middleware on the outer app) hands the client address to the authenticator (the
  callable only gets name and password) and rewrites the login cookies to `SameSite=Lax` with a `Max-Age`
  (the console is never embedded in another site's frame, so it needs no `SameSite=None`).

`current_user` turns `request.username` back into a `User` (with its role) on each call, so a role change
or a removed user takes effect without trusting anything the browser sends.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any

from fastapi import HTTPException

from shopdesk.console_service import ConsoleError, ConsoleService, User
from shopdesk.login_throttle import Clock, LoginThrottle

log = logging.getLogger("shopdesk.console.auth")

CLIENT_ADDRESS: ContextVar[str | None] = ContextVar("shopdesk_console_client_address", default=None)
HASH_THREADS = 2  # scrypt (16 MiB, ~50 ms) at most this many at once; further logins wait their turn


def authenticator(console: ConsoleService, throttle: LoginThrottle | None = None,
                  *, hash_threads: int = HASH_THREADS) -> Callable[[str, str], Awaitable[bool]]:
    """The `auth=` callable of `gr.mount_gradio_app`: True only for a known user with the right password."""
    throttle = throttle or LoginThrottle()
    pool: list[ThreadPoolExecutor] = []  # made on the first login: nothing starts at import or mount

    async def check(username: str, password: str) -> bool:
        name, address = (username or "")[:256], CLIENT_ADDRESS.get()
        wait = throttle.begin(name, address)
        if wait is not None:
            log.warning("console sign-in refused (locked) for %r from %s", name[:64], address or "?")
            raise HTTPException(status_code=429, detail=f"Too many failed sign-ins: try again in {wait:.0f} s.",
                                headers={"Retry-After": f"{wait:.0f}"})
        user = None
        try:
            if not pool:
                pool.append(ThreadPoolExecutor(max_workers=hash_threads, thread_name_prefix="console-login"))
            user = await asyncio.get_running_loop().run_in_executor(
                pool[0], console.users.authenticate, name, password or "")
        finally:
            failures = throttle.finish(name, address, ok=user is not None)
        if user is None:
            log.warning("console sign-in failed for %r from %s (%d failures in a row)", name[:64], address or "?",
                        failures)
        return user is not None

    return check


def current_user(console: ConsoleService, request: Any) -> User:
    """The signed-in user of this request, or ConsoleError (shown as is) when the session is not a user's."""
    user = console.users.get(getattr(request, "username", None) if request is not None else None)
    if user is None:
        raise ConsoleError("you are not signed in: reload the page and sign in again")
    return user


class SessionTokens(MutableMapping[str, str]):
    """Gradio's token -> user name map, with idle and absolute expiry (in memory, per process, like Gradio's)."""

    def __init__(self, *, idle_s: float, max_s: float, clock: Clock = time.monotonic) -> None:
        self.idle_s, self.max_s, self._clock = idle_s, max_s, clock
        self._tokens: dict[str, tuple[str, float, float]] = {}  # token -> (name, signed in at, last used)

    def _expire(self) -> float:
        now = self._clock()
        for token, (_, issued, used) in list(self._tokens.items()):
            if now - issued >= self.max_s or now - used >= self.idle_s:
                del self._tokens[token]
        return now

    def __getitem__(self, token: str) -> str:
        now = self._expire()
        name, issued, _ = self._tokens[token]
        self._tokens[token] = (name, issued, now)  # every request carrying the cookie counts as use
        return name

    def __setitem__(self, token: str, name: str) -> None:
        now = self._expire()
        self._tokens[token] = (name, now, now)

    def __delitem__(self, token: str) -> None:
        del self._tokens[token]

    def __contains__(self, token: object) -> bool:
        self._expire()
        return token in self._tokens

    def __iter__(self) -> Iterator[str]:
        self._expire()
        return iter(list(self._tokens))

    def __len__(self) -> int:
        self._expire()
        return len(self._tokens)


_SAMESITE = re.compile(r";\s*samesite=[^;]*", re.IGNORECASE)


class LoginGuard:
    """ASGI middleware: the client address for `authenticator`, and `SameSite=Lax; Max-Age` login cookies.

    The address is the connection's peer as the server saw it (run uvicorn with --proxy-headers behind a
    trusted proxy); X-Forwarded-For is not read here, since anyone can send it."""

    def __init__(self, app: Any, *, max_age_s: int) -> None:
        self.app, self.max_age_s = app, max_age_s

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        reset = CLIENT_ADDRESS.set(client[0] if client else None)

        async def send_with_cookies(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [(k, self._cookie(v) if k.lower() == b"set-cookie" else v)
                                      for k, v in message.get("headers", [])]
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookies)
        finally:
            CLIENT_ADDRESS.reset(reset)

    def _cookie(self, value: bytes) -> bytes:
        text = value.decode("latin-1")
        if not text.startswith("access-token-") or "max-age=0" in text.lower() or "expires=" in text.lower():
            return value  # not a login cookie, or a logout deleting it
        text = _SAMESITE.sub("", text) + f"; SameSite=Lax; Max-Age={self.max_age_s}"
        return text.encode("latin-1")

"""GET /attachments/{sha256}[?size=thumb]: a customer's stored photo for the console, to signed-in users only.

The console's thumbnails are <img> tags pointing here (never customer-supplied HTML). Each request is checked
against the console's own session (the Gradio login cookie, looked up in the session table with its idle and
absolute expiry) and the user directory; what may be served is decided in shopdesk/attachment_service.py.
The response is the stored file with the type sniffed from its bytes, `nosniff`, a CSP that allows nothing
(a file opened on its own can run nothing), no caching by shared caches, and a PDF only as a download.

The route is added before the console's mount at "/" (which would otherwise shadow it); `bind` hands it the
mounted Gradio app, whose session table it reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, PlainTextResponse, Response

from shopdesk.attachment_service import AttachmentDenied, AttachmentNotFound, open_attachment
from shopdesk.console_service import ConsoleService

PATH = "/attachments"
HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox",
           "Cache-Control": "private, no-store", "Cross-Origin-Resource-Policy": "same-origin",
           "Referrer-Policy": "no-referrer"}


def attachment_url(digest: str, *, thumb: bool = False) -> str:
    return f"{PATH}/{digest}" + ("?size=thumb" if thumb else "")


def session_user(gradio_app: Any | None, request: Request) -> str | None:
    """The console user of the request's Gradio session, or None (no app bound yet, no cookie, an ended session)."""
    if gradio_app is None:
        return None
    cookie_id = getattr(gradio_app, "cookie_id", None)
    token = request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(
        f"access-token-unsecure-{cookie_id}")
    if not token or len(token) > 256:
        return None
    name = gradio_app.tokens.get(token)
    return name if isinstance(name, str) else None


def add_attachment_route(app: FastAPI, console: ConsoleService) -> Callable[[Any], None]:
    """Add the route to `app`; returns `bind(gradio_app)`, to call once the console is mounted."""
    bound: dict[str, Any] = {}

    def attachment(digest: str, request: Request, size: str = "full") -> Response:
        try:
            served = open_attachment(console, digest[:128], session_user(bound.get("app"), request), size[:16])
        except AttachmentDenied:
            return PlainTextResponse("sign in to the console", status_code=401, headers=HEADERS)
        except AttachmentNotFound:
            return PlainTextResponse("not found", status_code=404, headers=HEADERS)
        return FileResponse(served.file.path, media_type=served.file.content_type, headers=HEADERS,
                            filename=served.download_name,
                            content_disposition_type="inline" if served.inline else "attachment")

    app.add_api_route(PATH + "/{digest}", attachment, methods=["GET"], include_in_schema=False)
    return lambda gradio_app: bound.__setitem__("app", gradio_app)

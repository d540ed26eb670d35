"""Application layer for customers' attachments in the console: who may see a stored file, and the list of a
conversation's attachments for the evidence a person works from (and the evidence pack, issue 14).

Serving rules (the HTTP route in ui/attachment_route.py only turns these into a response):
- only a signed-in console user, on every request (the session is checked, not a link);
- only a file the store wrote, named by its SHA-256, with the type sniffed from its bytes again (JPEG or PNG
  shown inline; a PDF only as a download, never rendered in the console);
- nothing else: an unknown name, a bad name or an unknown type is "not found".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from channels.attachment_store import StoredFile
from channels.attachments import describe
from runtime.conversations import MessageRow

if TYPE_CHECKING:  # console_service imports this module (the thread's attachments)
    from shopdesk.console_service import ConsoleService

Variant = Literal["thumb", "full"]
INLINE_TYPES = ("image/jpeg", "image/png")


class AttachmentNotFound(LookupError):
    """No stored file by that name (or not one the console serves)."""


class AttachmentDenied(PermissionError):
    """Nobody is signed in to the console."""


class ServedAttachment(BaseModel):
    file: StoredFile
    inline: bool
    download_name: str


def open_attachment(console: "ConsoleService", digest: str, user_name: str | None,
                    variant: str) -> ServedAttachment:
    """The stored file `digest` for a signed-in user; AttachmentDenied when nobody is signed in (or the user was
    removed), AttachmentNotFound for anything the console does not serve."""
    if console.users.get(user_name) is None:
        raise AttachmentDenied("sign in to the console to see customers' attachments")
    if variant not in ("thumb", "full"):
        raise AttachmentNotFound(digest)
    store = getattr(console.service, "attachments", None)
    found = store.open(digest, thumb=variant == "thumb") if store is not None else None
    if found is None:
        raise AttachmentNotFound(digest)
    extension = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[found.content_type]
    return ServedAttachment(file=found, inline=found.content_type in INLINE_TYPES,
                            download_name=f"attachment-{digest[:12]}.{extension}")


def thread_attachments(thread: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Every attachment of a conversation's thread, oldest first, with the message it came with: what the
    customer sent, what was kept (`sha256`, `stored_type`) or why not (`state`, `reason`), and the platform's
    reference (`source`)."""
    out = []
    for message in thread:
        for index, attachment in enumerate(message.get("attachments") or []):
            out.append({"message_id": message.get("id"), "conversation": message.get("conversation"),
                        "platform": message.get("platform"), "at": message.get("at"), "index": index,
                        **{k: attachment.get(k) for k in ("kind", "state", "reason", "filename", "content_type",
                                                          "size", "sha256", "stored_type", "width", "height",
                                                          "source")}})
    return out


def preview_text(message: MessageRow) -> str:
    """A message's words, or what it carried when it had none ("[sent 1 photo]"), for the inbox's preview."""
    if message.text or not message.attachments:
        return message.text
    return f"[sent {describe(str(a.get('kind') or 'file') for a in message.attachments)}]"

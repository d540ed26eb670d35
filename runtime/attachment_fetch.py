"""The attachment fetcher: a background step that fetches what customers attached by URL and stores it.

A webhook is answered in seconds and never waits on a download, so a Meta, TikTok Shop or eBay photo arrives
as a reference (`pending`) on its message's thread row; this step fetches it through the platform's client
(channels/attachments.py `AttachmentSource`: size cap, deadline, no credentials), hands the bytes to the
store (checked, re-encoded) and records the outcome on the row: `stored`, `refused` with the reason, or
`fetch_failed` ("could not fetch: ...") with the reference kept. Each attachment is tried once; the message
itself was stored before and the agent has already handled it (a person looks at every photo).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from pydantic import ValidationError

from channels.attachment_store import AttachmentStore
from channels.attachments import FETCH_TIMEOUT_S, AttachmentFetchError, AttachmentSource
from channels.base import Attachment
from runtime.conversations import ConversationStore

log = logging.getLogger("shopdesk.attachments")


class AttachmentFetcher:
    def __init__(self, conversations: ConversationStore, store: AttachmentStore, clients: Mapping[str, object], *,
                 timeout_s: float = FETCH_TIMEOUT_S, batch: int = 10) -> None:
        self.conversations, self.store, self.clients = conversations, store, clients
        self.timeout_s, self.batch = timeout_s, batch

    def run_once(self) -> bool:
        """Resolve every pending attachment of up to `batch` messages; False when nothing waited."""
        waiting = self.conversations.pending_attachments(limit=self.batch)
        for message, platform in waiting:
            resolved = [self._resolve(platform, raw) if raw.get("state") == "pending" else raw
                        for raw in message.attachments]
            self.conversations.set_attachments(message.id, resolved)
        return bool(waiting)

    def _resolve(self, platform: str, raw: dict[str, object]) -> dict[str, object]:
        try:
            attachment = Attachment.model_validate(raw)
        except ValidationError:
            return {**raw, "state": "fetch_failed", "reason": "unreadable attachment record"}
        client = self.clients.get(platform)
        if not isinstance(client, AttachmentSource):
            return self._failed(attachment, f"no {platform} client is configured to fetch it")
        try:
            data = client.fetch_attachment(attachment, max_bytes=self.store.limits.max_bytes, timeout_s=self.timeout_s)
        except AttachmentFetchError as exc:
            log.info("%s attachment not fetched: %s", platform, exc.reason)
            return self._failed(attachment, exc.reason)
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the others (recorded, not raised)
            log.warning("%s attachment fetch raised %s", platform, type(exc).__name__)
            return self._failed(attachment, f"the fetch failed ({type(exc).__name__})")
        return self.store.keep(attachment, data).model_dump(mode="json")

    @staticmethod
    def _failed(attachment: Attachment, reason: str) -> dict[str, object]:
        return attachment.model_copy(update={"state": "fetch_failed", "reason": f"could not fetch: {reason}"[:400]}
                                     ).model_dump(mode="json")

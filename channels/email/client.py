"""The email channel: Amazon buyer-seller messages (relay addresses), Walmart care email and the Shopify
store's mailbox, read over IMAP and answered over SMTP in the same thread.

Reading is two-phase so a crash can never lose a customer's email: `fetch_new()` reads unseen mail without
marking it (BODY.PEEK), the caller stores what it got (inbox items, dead records for unreadable mail),
then `mark_seen(uids)` flags exactly those. A crash between the two re-delivers the batch on the next poll;
the inbox deduplicates on Message-ID (or the sha256 of the raw bytes), so re-delivery is harmless.
`poll(store)` runs both phases on one connection for a poller that passes its store callback.

Who wrote comes from the receiving server's Authentication-Results under `config.authserv_id`
(`channels.email.auth`), never from `From:` alone.
"""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from channels.base import (
    ChannelEvent,
    ChannelMessage,
    PayloadError,
    SendError,
    SendReceipt,
)
from channels.email.config import EmailConfig
from channels.email.parse import IgnoredEmail, parse_email, raw_delivery_id
from tools.clock import Clock, SystemClock

log = logging.getLogger(__name__)

TIMEOUT_S = 30.0
SEEN = b"\\Seen"


class MailboxUnavailable(Exception):
    """The IMAP server could not be reached or refused us: the poller backs off and tries again."""


@dataclass(frozen=True)
class FetchedEmail:
    """One unseen email. Exactly one of `message`, `error`, `ignored` is set.

    `error`: unreadable; the caller stores a dead record (with `raw`) before `mark_seen`, so it is not lost.
    `ignored`: not from a customer (our own echo, a bounce, a marketplace notice); just mark it seen."""

    uid: int
    uidvalidity: int
    message: ChannelMessage | None = None
    error: str | None = None
    ignored: str | None = None
    raw: bytes = b""

    @property
    def delivery_id(self) -> str:
        return self.message.delivery_id if self.message else raw_delivery_id(self.raw)


def message_id_for(idempotency_key: str, seller_email: str) -> str:
    """The Message-ID of the reply stored under `idempotency_key` (same key, same id: see EmailChannel.send)."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]
    return f"<shopdesk.{digest}@{seller_email.rpartition('@')[2] or 'localhost'}>"


def _redact(text: str) -> str:
    return re.sub(r"\S+@\S+", "<address>", text)[:200]


def _send_error(exc: BaseException) -> SendError:
    """SMTP 4xx, a dropped connection or a timeout: try later. 5xx and protocol/config errors: never."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()] or [550]
        return SendError(f"recipient refused: smtp {max(codes)}", retryable=all(400 <= c < 500 for c in codes))
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error
        message = error.decode("utf-8", "replace") if isinstance(error, bytes) else str(error)
        return SendError(f"smtp {exc.smtp_code} {_redact(message)}".strip(),
                         retryable=not 500 <= exc.smtp_code < 600)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return SendError("smtp server disconnected", retryable=True)
    if isinstance(exc, smtplib.SMTPException):
        return SendError(f"smtp: {_redact(str(exc))}", retryable=False)
    return SendError(f"smtp connection failed ({type(exc).__name__})", retryable=True)


def _clean(value: str) -> str:
    """Header values come from the customer's email: never let them carry a line break."""
    return re.sub(r"[\r\n]+\s*", " ", value).strip()


class EmailChannel:
    """ChannelReceiver (IMAP) and ChannelSender (SMTP) for the seller's mailbox.

    `imap_factory()` / `smtp_factory()` return a connected IMAPClient / smtplib.SMTP (tests and other
    transports); by default they are built from the config on every call, so a dropped connection never
    outlives one poll or one send."""

    def __init__(self, config: EmailConfig, *, imap_factory: Callable[[], Any] | None = None,
                 smtp_factory: Callable[[], smtplib.SMTP] | None = None, clock: Clock | None = None,
                 batch_size: int = 50) -> None:
        self.config = config
        self._imap_factory = imap_factory or self._default_imap
        self._smtp_factory = smtp_factory or self._default_smtp
        self.clock = clock or SystemClock()
        self.batch_size = batch_size

    # ------------------------------------------------------------ connections

    def _default_imap(self) -> IMAPClient:
        if not self.config.imap_host:
            raise MailboxUnavailable("imap_host is not configured")
        return IMAPClient(self.config.imap_host, port=self.config.imap_port, ssl=self.config.imap_ssl,
                          timeout=TIMEOUT_S)

    def _default_smtp(self) -> smtplib.SMTP:
        s = self.config
        if not s.smtp_host:
            raise SendError("smtp_host is not configured", retryable=False)
        helo = s.seller_email.rpartition("@")[2] or None  # also avoids a reverse-DNS lookup for the EHLO name
        if s.smtp_port == 465:  # implicit TLS (SMTPS)
            return smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, local_hostname=helo, timeout=TIMEOUT_S,
                                    context=ssl.create_default_context())
        return smtplib.SMTP(s.smtp_host, s.smtp_port, local_hostname=helo, timeout=TIMEOUT_S)

    @contextmanager
    def _mailbox(self, *, readonly: bool) -> Iterator[tuple[Any, int]]:
        """(client, UIDVALIDITY) logged in with the folder selected; any IMAP/socket failure -> MailboxUnavailable."""
        s = self.config
        try:
            client = self._imap_factory()
        except (OSError, IMAPClientError) as exc:
            raise MailboxUnavailable(f"imap connect failed ({type(exc).__name__})") from exc
        try:
            client.login(s.imap_user or "", s.imap_password.get_secret_value() if s.imap_password else "")
            info = client.select_folder(s.imap_folder, readonly=readonly)
            yield client, int(info.get(b"UIDVALIDITY", 0))
        except (OSError, IMAPClientError) as exc:
            raise MailboxUnavailable(f"imap failed ({type(exc).__name__})") from exc
        finally:
            with suppress(Exception):
                client.logout()

    # ------------------------------------------------------------ reading

    def _fetch(self, client: Any, uidvalidity: int) -> list[FetchedEmail]:
        uids = sorted(client.search(["UNSEEN"]))[: self.batch_size]
        if not uids:
            return []
        data = client.fetch(uids, ["BODY.PEEK[]"])
        now = self.clock.now()
        out: list[FetchedEmail] = []
        for uid in uids:
            raw = data.get(uid, {}).get(b"BODY[]")
            if not isinstance(raw, bytes):
                continue  # expunged meanwhile
            try:
                message = parse_email(raw, seller_email=self.config.seller_email, now=now,
                                      authserv_id=self.config.authserv_id)
                out.append(FetchedEmail(uid, uidvalidity, message=message))
            except IgnoredEmail as exc:
                out.append(FetchedEmail(uid, uidvalidity, ignored=exc.reason))
            except PayloadError as exc:
                log.warning("email uid=%s unreadable: %s", uid, exc.reason)
                out.append(FetchedEmail(uid, uidvalidity, error=exc.reason, raw=raw))
            except Exception as exc:  # one bad email must never stop the poller
                log.exception("email uid=%s could not be parsed", uid)
                out.append(FetchedEmail(uid, uidvalidity, error=f"parser crashed ({type(exc).__name__})", raw=raw))
        return out

    def fetch_new(self) -> list[FetchedEmail]:
        """Unseen emails, oldest first (at most batch_size), without marking them seen."""
        with self._mailbox(readonly=True) as (client, uidvalidity):
            return self._fetch(client, uidvalidity)

    def mark_seen(self, uids: Iterable[int], *, uidvalidity: int | None = None) -> int:
        """Flag the stored emails \\Seen; returns how many. If the folder's UIDVALIDITY changed since the
        fetch, the UIDs name other emails now: mark nothing (the batch comes again and is deduplicated)."""
        wanted = sorted(set(uids))
        if not wanted:
            return 0
        with self._mailbox(readonly=False) as (client, current):
            if uidvalidity is not None and uidvalidity != current:
                log.warning("UIDVALIDITY changed (%s -> %s): not marking %d emails", uidvalidity, current,
                            len(wanted))
                return 0
            client.add_flags(wanted, [SEEN], silent=True)
        return len(wanted)

    def poll(self, store: Callable[[list[FetchedEmail]], None] | None = None) -> list[ChannelEvent]:
        """ChannelReceiver. With `store` (the poller's: inbox puts + dead records), the batch is marked seen
        only after `store` returns; if it raises, nothing is marked. Without `store` nothing is marked either:
        use fetch_new/mark_seen, or rely on inbox dedupe of the re-fetched mail."""
        with self._mailbox(readonly=store is None) as (client, uidvalidity):
            items = self._fetch(client, uidvalidity)
            if store is not None and items:
                store(items)
                client.add_flags([i.uid for i in items], [SEEN], silent=True)
        return [i.message for i in items if i.message is not None]

    # ------------------------------------------------------------ sending

    def build_reply(self, text: str, route: Mapping[str, str], *, idempotency_key: str,
                    now: datetime) -> EmailMessage:
        to = _clean(route.get("to", ""))
        if "@" not in to:
            raise SendError("reply route has no recipient address", retryable=False)
        msg = EmailMessage(policy=policy.SMTP)
        msg["From"] = self.config.seller_email
        msg["To"] = to
        msg["Subject"] = _clean(route.get("subject", "")) or "Re: Your message"
        msg["Date"] = format_datetime(now if now.tzinfo else now.replace(tzinfo=UTC))
        msg["Message-ID"] = message_id_for(idempotency_key, self.config.seller_email)
        for header, key in (("In-Reply-To", "in_reply_to"), ("References", "references")):
            if route.get(key):
                msg[header] = _clean(route[key])
        msg.set_content(text)  # text/plain only: Amazon's relay rejects HTML
        return msg

    def send(self, text: str, route: Mapping[str, str], *, idempotency_key: str, human: bool,
             now: datetime) -> SendReceipt:
        """ChannelSender: one plain-text reply in the customer's thread.

        The Message-ID is derived from `idempotency_key`, so an outbox retry after an ambiguous failure
        (the server took the mail but the connection dropped before its 250) sends the same Message-ID:
        receiving mail systems and clients collapse duplicates by Message-ID, and threading stays intact.
        `human` changes nothing for email."""
        msg = self.build_reply(text, route, idempotency_key=idempotency_key, now=now)
        s = self.config
        smtp: smtplib.SMTP | None = None
        try:
            smtp = self._smtp_factory()
            smtp.ehlo()
            if s.smtp_starttls and s.smtp_port != 465:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password.get_secret_value() if s.smtp_password else "")
            smtp.send_message(msg, from_addr=s.seller_email, to_addrs=[str(msg["To"])])
        except SendError:
            raise
        except (smtplib.SMTPException, OSError) as exc:
            error = _send_error(exc)
            log.warning("email send failed: %s (retryable=%s)", error.reason, error.retryable)
            raise error from exc
        finally:
            if smtp is not None:
                with suppress(smtplib.SMTPException, OSError):
                    smtp.quit()
                smtp.close()
        return SendReceipt(platform_message_id=str(msg["Message-ID"]), sent_at=now)

"""Turn one raw email into a ChannelMessage: who wrote (and through which marketplace relay), what they
actually said (relay framing, quoted history and signature stripped), which order they mean, and how to
answer in the same thread.

Who wrote is proven, not read off `From:`: `channels.email.auth` checks the seller's receiving server's
Authentication-Results, and an unproven sender gets a conversation of its own, apart from the real
customer's (`<platform>:unverified:<address>`), flagged so the agent never binds it to a customer's orders.

Pure functions over bytes, so the IMAP side (`channels.email.client`) and tests share one parser. Three outcomes:
a `ChannelMessage`; `IgnoredEmail` (not from a customer: our own echo, a bounce, a marketplace notice);
`PayloadError` (unreadable: the caller keeps the raw bytes as a dead record so nothing is lost).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import ClassVar, cast

from channels.attachments import email_attachments
from channels.base import Attachment, ChannelMessage, PayloadError
from channels.email.auth import sender_authentication
from tools.models import ORDER_ID_PATTERNS, Platform

RELAY_PLATFORMS: dict[str, Platform] = {"marketplace.amazon.com": "amazon", "relay.walmart.com": "walmart"}
# Mail from the marketplaces themselves (not a buyer's relay): notifications, not customer messages.
SYSTEM_DOMAINS = ("amazon.com", "walmart.com", "shopify.com")
AUTOMATED_SENDERS = {"mailer-daemon", "postmaster", "no-reply", "noreply", "donotreply", "do-not-reply"}
MAX_TEXT = 20000
MAX_REFERENCES = 10

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# [ \t], not \s: "\s*" after a multiline "^" runs across blank lines, and a body of newlines went quadratic
_AMAZON_START = re.compile(r"^[ \t]*-{3,}[ \t]*Message:?[ \t]*-{3,}[ \t]*$", re.MULTILINE | re.IGNORECASE)
_AMAZON_END = re.compile(r"^[ \t]*-{3,}[ \t]*End message[ \t]*-{3,}[ \t]*$", re.MULTILINE | re.IGNORECASE)
_QUOTE_HEADER = re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE | re.DOTALL)
_HISTORY = re.compile(r"^\s*(-{2,}\s*Original Message\s*-{2,}|_{10,}|-- ?)\s*$", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*(re|aw|sv)\s*(\[\d+\])?\s*:", re.IGNORECASE)


class IgnoredEmail(Exception):
    """Not a customer message; `reason` says why (for the log, never the address)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def raw_delivery_id(raw: bytes) -> str:
    """Dedupe key for an email without a Message-ID (or one we could not read)."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def platform_for(address: str) -> Platform:
    return RELAY_PLATFORMS.get(address.rpartition("@")[2].lower(), "shopify")


# ---------------------------------------------------------------- body text

class _HtmlText(HTMLParser):
    """HTML to plain text, dropping scripts/styles and quoted history (<blockquote>)."""

    BLOCK: ClassVar[frozenset[str]] = frozenset(
        {"p", "div", "br", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "blockquote"})
    SKIP: ClassVar[frozenset[str]] = frozenset({"script", "style", "head", "title", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        if tag in self.BLOCK:
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        if tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return "\n".join(line.strip() for line in "".join(parser.out).splitlines())


def _part_text(part: EmailMessage) -> str:
    try:
        return cast(str, part.get_content())
    except (LookupError, UnicodeError, AssertionError):  # unknown charset or a broken transfer encoding
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def body_text(msg: EmailMessage, part: EmailMessage | None = None) -> str:
    """The text/plain body, else the text/html body as text; '' when there is neither."""
    part = part if part is not None else cast("EmailMessage | None", msg.get_body(preferencelist=("plain", "html")))
    if part is None:
        return ""
    text = _part_text(cast(EmailMessage, part))
    return html_to_text(text) if part.get_content_subtype() == "html" else text


def customer_words(body: str) -> str:
    """Only what the customer wrote: inside Amazon's relay framing, above any quoted history or signature."""
    body = body.replace("\r\n", "\n")
    start = _AMAZON_START.search(body)
    if start:
        end = _AMAZON_END.search(body, start.end())
        body = body[start.end(): end.start() if end else len(body)]
    lines = body.split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        pair = line + " " + (lines[i + 1] if i + 1 < len(lines) else "")
        if _HISTORY.match(line) or _QUOTE_HEADER.match(line) or (
                line.lstrip().startswith("On ") and _QUOTE_HEADER.match(pair)):
            break
        if line.startswith("From:") and i + 1 < len(lines) and re.match(r"^(Sent|Date):", lines[i + 1]):
            break  # Outlook's history header
        if not line.lstrip().startswith(">"):
            kept.append(line.rstrip())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


# ---------------------------------------------------------------- order ids

def _bare(platform: Platform) -> str:
    return ORDER_ID_PATTERNS[platform].pattern.removeprefix("^").removesuffix("$")


_HINTS: dict[Platform, list[re.Pattern[str]]] = {
    "amazon": [re.compile(rf"(?<![\d-])({_bare('amazon')})(?![\d-])")],
    # Walmart purchase order numbers are bare digits: only trust them next to "order"/"PO".
    "walmart": [re.compile(rf"\b(?:purchase\s+order|order|po)\b\D{{0,20}}?({_bare('walmart')})(?!\d)", re.IGNORECASE)],
    "shopify": [re.compile(rf"(?<![\w#])({_bare('shopify')})(?!\d)"),
                re.compile(r"\border\s*+(?:no\.?|number)?\s*+#?\s*+(\d{4,6})(?!\d)", re.IGNORECASE),
                re.compile(rf"(?<![\d-])({_bare('amazon')})(?![\d-])"),
                re.compile(rf"(?<![\d-])({_bare('ebay')})(?![\d-])")],
}


def order_hint(platform: Platform, *texts: str) -> str | None:
    """The first order id (in that platform's format) named in the texts, searched in order."""
    for text in texts:
        for pattern in _HINTS.get(platform, []):
            if m := pattern.search(text):
                found = m.group(1)
                return f"#{found}" if platform == "shopify" and found.isdigit() else found
    return None


# ---------------------------------------------------------------- the whole message

def _header(msg: EmailMessage, name: str) -> str:
    value = msg.get(name)
    return re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""


def reply_subject(subject: str) -> str:
    subject = subject.strip() or "Your message"
    return subject if _REPLY_PREFIX.match(subject) else f"Re: {subject}"


def references_for(msg: EmailMessage, message_id: str) -> str:
    """RFC 5322 §3.6.4: the parent's References (or In-Reply-To) plus its Message-ID; first + latest kept."""
    ids = re.findall(r"<[^<>\s]+>", _header(msg, "References") or _header(msg, "In-Reply-To"))
    ids = [i for i in ids if i != message_id] + [message_id]
    if len(ids) > MAX_REFERENCES:
        ids = ids[:1] + ids[-(MAX_REFERENCES - 1):]
    return " ".join(ids)


def _sent_at(msg: EmailMessage, now: datetime) -> datetime:
    """The Date header (a reply clock starts when the buyer wrote, not when we polled), never in the future."""
    try:
        sent = getattr(msg["Date"], "datetime", None)
    except (TypeError, ValueError, IndexError):
        sent = None
    if not isinstance(sent, datetime):
        return now
    sent = sent if sent.tzinfo else sent.replace(tzinfo=UTC)
    return min(sent.astimezone(UTC), now)


def parse_email(raw: bytes, *, seller_email: str, now: datetime, authserv_id: str | None = None) -> ChannelMessage:
    """One email -> ChannelMessage; raises IgnoredEmail (not a customer) or PayloadError (unreadable).

    `authserv_id`: the seller's receiving server's, whose Authentication-Results alone can prove the sender;
    without it every sender is unproven (the secure default)."""
    try:
        msg = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))
        header = msg["From"]
        addresses = getattr(header, "addresses", ()) if header is not None else ()
        sender = addresses[0].addr_spec.strip().lower() if addresses else ""
    except Exception as exc:  # the stdlib parser has a few crash paths on hostile headers
        raise PayloadError(f"unreadable email headers ({type(exc).__name__})") from exc
    if not _ADDRESS.match(sender):
        raise PayloadError("no sender address")
    local, _, domain = sender.rpartition("@")
    platform = platform_for(sender)
    if sender == seller_email.strip().lower():
        raise IgnoredEmail("our own message")
    if platform == "shopify":
        if local in AUTOMATED_SENDERS:
            raise IgnoredEmail("automated sender")
        if any(domain == d or domain.endswith("." + d) for d in SYSTEM_DOMAINS):
            raise IgnoredEmail("marketplace notification")
        # Relays are exempt: they may mark the buyer's own words as machine-sent.
        if _header(msg, "Auto-Submitted").lower() not in ("", "no"):
            raise IgnoredEmail("auto-submitted")
    try:
        body_part = cast("EmailMessage | None", msg.get_body(preferencelist=("plain", "html")))
        body = body_text(msg, body_part)
    except Exception as exc:
        raise PayloadError(f"unreadable email body ({type(exc).__name__})") from exc
    text = customer_words(body)
    attachments = _attachments(msg, body_part)
    if not text and not attachments:
        raise PayloadError("no customer text in the email")
    subject = _header(msg, "Subject")
    message_id = _header(msg, "Message-ID")
    route = {"to": sender, "subject": reply_subject(subject)}
    if message_id:
        route |= {"in_reply_to": message_id, "references": references_for(msg, message_id)}
    auth = sender_authentication(msg, authserv_id=authserv_id, relay_domains=RELAY_PLATFORMS.keys())
    return ChannelMessage(
        platform=platform,
        delivery_id=message_id or raw_delivery_id(raw),
        # an unproven sender never shares the real customer's thread (its state: who, pending yes, history)
        conversation_key=f"{platform}:{sender}" if auth.verified else f"{platform}:unverified:{sender}",
        customer_identity=sender,
        identity_verified=auth.verified,
        identity_note=auth.reason,
        verified_email=sender if auth.verified else None,
        text=text[:MAX_TEXT],
        attachments=attachments,
        received_at=_sent_at(msg, now),
        platform_message_id=message_id or None,
        subject=subject or None,
        order_hint=order_hint(platform, subject, text, body),
        reply_route=route,
    )


def _attachments(msg: EmailMessage, body: EmailMessage | None) -> list[Attachment]:
    """The email's files (a photo of the damage, a receipt), carried inline until the intake stores them. A
    MIME structure the parser chokes on costs the files, never the customer's words: one refused entry says so."""
    try:
        return email_attachments(msg, body)
    except Exception as exc:  # noqa: BLE001 - the stdlib parser has crash paths on hostile MIME
        return [Attachment(kind="file", source="mime", state="refused",
                           reason=f"the email's attachments could not be read ({type(exc).__name__})")]

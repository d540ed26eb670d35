"""What customers attach, read from each platform's own shape, and fetched through the platform's client.

Shared by the adapters so every platform ends in the same `Attachment` (channels/base.py):
- Meta (Messenger, Instagram): `message.attachments[] = {"type": image|video|audio|file|..., "payload": {"url"}}`;
- TikTok Shop: a chat message of `type` IMAGE or VIDEO whose `content` is JSON with a `url` (and width/height);
- eBay: `messageMedia[] = {"mediaName", "mediaType": IMAGE|PDF|DOC|TXT, "mediaUrl"}`;
- email: MIME parts that are not the body (`email_attachments`), carried inline until the intake stores them.

Every name, type and size here is the sender's claim: the store sniffs and re-encodes what arrives. Fetching
a URL is the channel client's job (`AttachmentSource`), always through `fetch_media`: https only (plain http
only to the client's own configured API origin, which is how the loopback simulators serve media), no
credentials sent, a few redirects each checked again, a byte cap counted while streaming and a deadline.
"""

from __future__ import annotations

import ipaddress
import re
import time
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from typing import Protocol, runtime_checkable
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from channels.base import Attachment
from tools.models import AttachmentKind

MAX_PER_MESSAGE = 10
"""Attachments kept per message (Meta allows 10 per message; Amazon and eBay 5): later ones are not read."""
MAX_BYTES = 10 * 1024 * 1024
"""The largest file fetched or stored (a phone photo is 2-6 MB)."""
FETCH_TIMEOUT_S = 10.0
DECORATION_MAX_BYTES = 16 * 1024
"""An email's inline image (referenced by a Content-ID) smaller than this is the design of the mail (a
signature logo, a social icon), not something the customer is showing: a phone photo is 100 KB and more."""
MAX_REDIRECTS = 3
_NAME_UNSAFE = re.compile(r"[^\w .()+-]", re.UNICODE)
_MIME_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")


class AttachmentFetchError(Exception):
    """A file could not be fetched; `reason` is shown to a person ("could not fetch: ...")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@runtime_checkable
class AttachmentSource(Protocol):
    """A channel client that can fetch what its customers attached (Meta, TikTok Shop, eBay)."""

    def fetch_attachment(self, attachment: Attachment, *, max_bytes: int, timeout_s: float) -> bytes: ...


# ---------------------------------------------------------------- declared names and types

def safe_filename(name: object) -> str | None:
    """A display name: the last path segment, without control or markup characters, at most 120 chars."""
    if not isinstance(name, str):
        return None
    base = unquote(name).replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _NAME_UNSAFE.sub("_", base).strip(" ._")[:120]
    return cleaned or None


def declared_type(value: object) -> str | None:
    """A MIME type as declared (lowercased, parameters dropped), or None when it is not one."""
    if not isinstance(value, str):
        return None
    main = value.split(";", 1)[0].strip().lower()
    return main if _MIME_TYPE.match(main) else None


def kind_of(content_type: str | None, filename: str | None = None, hint: str | None = None) -> AttachmentKind:
    """image / video / audio / file from the platform's word for it, the declared type or the name."""
    word = (hint or "").lower()
    if word in ("image", "photo", "picture", "sticker"):
        return "image"
    if word in ("video", "audio"):
        return word  # type: ignore[return-value]
    main = (content_type or "").split("/", 1)[0]
    if main in ("image", "video", "audio"):
        return main  # type: ignore[return-value]
    ext = (filename or "").rsplit(".", 1)[-1].lower() if "." in (filename or "") else ""
    if ext in ("jpg", "jpeg", "png", "gif", "webp", "heic", "heif"):
        return "image"
    return "file"


def size_words(size: int) -> str:
    """'10 MB', '64 KB': a limit in words."""
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size / 1024:g} KB"


def url_name(url: str) -> str | None:
    return safe_filename(urlsplit(url).path)


def _size(value: object) -> int | None:
    try:
        size = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return None
    return size if size >= 0 else None


def _url(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > 4096:
        return None
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError on a port that is not one
    except ValueError:
        return None
    return value.strip() if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def unfetchable(kind: AttachmentKind, source: str, reason: str, **fields: object) -> Attachment:
    """An attachment the customer sent that cannot be fetched (no usable address): recorded, never dropped."""
    return Attachment(kind=kind, source=source[:4096] or "unknown", state="fetch_failed", reason=reason,
                      **fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------- each platform's shape

META_MEDIA = ("image", "video", "audio", "file")


def meta_attachments(items: object) -> list[Attachment]:
    """Messenger/Instagram `message.attachments`. Stickers (a thumbs-up is an image with a `sticker_id`) are
    reactions, not files, and are left out; shares, story mentions, reels and templates are recorded but not
    fetched (they point at a post, not a file)."""
    out: list[Attachment] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        kind = str(item.get("type") or "").lower()
        payload = item.get("payload") if isinstance(item.get("payload"), Mapping) else {}
        if payload.get("sticker_id") is not None:
            continue
        url = _url(payload.get("url"))
        if kind in META_MEDIA and url:
            out.append(Attachment(kind=kind_of(None, url_name(url), kind), filename=url_name(url), source=url,
                                  url=url))
        elif kind in META_MEDIA:
            out.append(unfetchable(kind_of(None, None, kind), f"meta:{kind}", "Meta gave no address for it"))
        elif kind:
            title = safe_filename(payload.get("title")) if payload else None
            out.append(Attachment(kind="file", source=(url or f"meta:{kind}"), filename=title, state="refused",
                                  reason=f"a shared {kind.replace('_', ' ')}, not a file: see it on Meta"))
    return out[:MAX_PER_MESSAGE]


def tiktok_attachment(message_type: str, content: Mapping[str, object]) -> Attachment | None:
    """A TikTok Shop chat message of type IMAGE or VIDEO (content: {"url", "width", "height"}); None else."""
    kind = {"IMAGE": "image", "VIDEO": "video"}.get(message_type.upper())
    if kind is None:
        return None
    url = _url(content.get("url"))
    if url is None:
        return unfetchable(kind, f"tiktok:{message_type.lower()}", "TikTok gave no address for it")  # type: ignore[arg-type]
    width, height = _size(content.get("width")), _size(content.get("height"))
    return Attachment(kind=kind, filename=url_name(url), source=url, url=url, width=width, height=height)  # type: ignore[arg-type]


_EBAY_TYPES = {"IMAGE": None, "PDF": "application/pdf", "DOC": "application/msword", "TXT": "text/plain"}


def ebay_attachments(media: object) -> list[Attachment]:
    """eBay Message API `messageMedia[]` ({mediaName, mediaType, mediaUrl}); eBay allows 5 per message."""
    out: list[Attachment] = []
    for item in media if isinstance(media, list) else []:
        if not isinstance(item, Mapping):
            continue
        media_type = str(item.get("mediaType") or "").upper()
        name = safe_filename(item.get("mediaName"))
        content_type = _EBAY_TYPES.get(media_type)
        kind = kind_of(content_type, name, "image" if media_type == "IMAGE" else None)
        url = _url(item.get("mediaUrl"))
        if url is None:
            out.append(unfetchable(kind, f"ebay:{name or media_type.lower() or 'media'}",
                                   "eBay gave no address for it", filename=name, content_type=content_type))
            continue
        out.append(Attachment(kind=kind, filename=name or url_name(url), content_type=content_type, source=url,
                              url=url))
    return out[:MAX_PER_MESSAGE]


def email_attachments(msg: EmailMessage, body: EmailMessage | None) -> list[Attachment]:
    """The parts of an email that are not its body text: attached or inline files, carried inline (`data`).

    A part over MAX_BYTES is recorded as refused from its encoded length, before anything is decoded. Small
    inline images with a Content-ID (DECORATION_MAX_BYTES: signature logos) are the mail's design, left out."""
    out: list[Attachment] = []
    for index, part in enumerate(_leaf_parts(msg)):
        if part is body or len(out) >= MAX_PER_MESSAGE:
            continue
        filename = safe_filename(part.get_filename())
        content_type = declared_type(part.get_content_type())
        disposition = (part.get_content_disposition() or "").lower()
        if content_type in ("text/plain", "text/html") and disposition != "attachment" and filename is None:
            continue  # an alternative body (the HTML twin of the plain text), not a file
        kind = kind_of(content_type, filename)
        source = f"mime:{index}" + (f":{filename}" if filename else "")
        raw = part.get_payload()
        encoded = len(raw) if isinstance(raw, str | bytes) else 0
        if encoded * 3 // 4 > MAX_BYTES:
            out.append(Attachment(kind=kind, content_type=content_type, filename=filename, size=encoded * 3 // 4,
                                  source=source, state="refused",
                                  reason=f"larger than the {size_words(MAX_BYTES)} limit"))
            continue
        try:
            data = part.get_payload(decode=True)
        except Exception:  # noqa: BLE001 - a broken transfer encoding is the sender's problem, recorded
            data = None
        if not isinstance(data, bytes) or not data:
            out.append(Attachment(kind=kind, content_type=content_type, filename=filename, source=source,
                                  state="refused", reason="the attached file is empty or unreadable"))
            continue
        if kind == "image" and disposition != "attachment" and part.get("Content-ID") \
                and len(data) < DECORATION_MAX_BYTES:
            continue  # a signature logo or an icon of the mail's HTML, not the customer's photo
        out.append(Attachment(kind=kind, content_type=content_type, filename=filename, size=len(data),
                              source=source, data=data))
    return out


def _leaf_parts(msg: EmailMessage) -> Iterable[EmailMessage]:
    """Every non-multipart part, depth-first, at most 100 (a hostile email can nest thousands)."""
    if not msg.is_multipart():
        yield msg  # a single-part email: the part is the message (an image sent with no text at all)
        return
    count = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        count += 1
        if count > 100:
            return
        yield part  # type: ignore[misc]


def describe(kinds: Iterable[str]) -> str:
    """'1 photo', '2 photos and 1 file' (for a preview line or a handoff note)."""
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[kind] = counts.get(kind, 0) + 1
    words = {"image": ("photo", "photos"), "video": ("video", "videos"), "audio": ("voice message", "voice messages"),
             "file": ("file", "files")}
    parts = [f"{n} {words.get(k, (k, k + 's'))[n != 1]}" for k, n in counts.items()]
    return " and ".join(parts) if len(parts) <= 2 else ", ".join(parts[:-1]) + " and " + parts[-1]


# ---------------------------------------------------------------- fetching

def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def _allowed(url: str, trusted_origin: str | None) -> str | None:
    """Why `url` may not be fetched, or None. https to a public name; plain http or a private address only
    when it is the client's own configured API origin (the loopback simulators)."""
    scheme, host, _ = _origin(url)
    if trusted_origin and _origin(url) == _origin(trusted_origin):
        return None
    if scheme != "https":
        return "not an https address"
    if not host:
        return "no host in the address"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return "a local host name" if host == "localhost" or host.endswith((".localhost", ".local", ".internal")) \
            else None
    if not address.is_global:
        return "a private or local address"
    return None


def fetch_media(http: httpx.Client, url: str, *, max_bytes: int = MAX_BYTES, timeout_s: float = FETCH_TIMEOUT_S,
                trusted_origin: str | None = None) -> bytes:
    """GET a customer's media file: no credentials, at most MAX_REDIRECTS redirects (each checked), at most
    `max_bytes` (Content-Length first, then counted while streaming), within `timeout_s` in all."""
    deadline = time.monotonic() + timeout_s
    for _ in range(MAX_REDIRECTS + 1):
        try:
            why = _allowed(url, trusted_origin)
        except ValueError:  # an unparsable address (a redirect's Location is the platform's word too)
            why = "not an address"
        if why is not None:
            raise AttachmentFetchError(f"the address is refused ({why})")
        left = deadline - time.monotonic()
        if left <= 0:
            raise AttachmentFetchError(f"timed out after {timeout_s:.0f} s")
        try:
            with http.stream("GET", url, follow_redirects=False, timeout=httpx.Timeout(left),
                             headers={"Accept": "image/*, application/pdf;q=0.9, */*;q=0.1"}) as resp:
                if resp.status_code in (301, 302, 303, 307, 308) and resp.headers.get("location"):
                    url = urljoin(url, resp.headers["location"])
                    continue
                if resp.status_code != 200:
                    raise AttachmentFetchError(f"the platform answered HTTP {resp.status_code}")
                declared = _size(resp.headers.get("content-length"))
                if declared is not None and declared > max_bytes:
                    raise AttachmentFetchError(f"larger than the {size_words(max_bytes)} limit")
                chunks, total = [], 0
                for chunk in resp.iter_bytes():
                    total += len(chunk)
                    if total > max_bytes:
                        raise AttachmentFetchError(f"larger than the {size_words(max_bytes)} limit")
                    if time.monotonic() > deadline:
                        raise AttachmentFetchError(f"timed out after {timeout_s:.0f} s")
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.TimeoutException:
            raise AttachmentFetchError(f"timed out after {timeout_s:.0f} s") from None
        except httpx.HTTPError as exc:
            raise AttachmentFetchError(f"the platform could not be reached ({type(exc).__name__})") from None
    raise AttachmentFetchError("too many redirects")

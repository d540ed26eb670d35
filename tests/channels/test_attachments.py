"""Photos and attachments (issue 20): each platform's shape parsed, the store's limits and re-encoding, the
fetch through the channel's client, the thread row, and an attachment-only message that continues the
conversation and reaches a person."""

from __future__ import annotations

import io
import json
import sqlite3
import struct
import time
import zlib
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo

from agent.runtime import AgentRuntime
from agent.schemas import InboundMessage
from agent.seller_settings import SellerSettings
from channels import attachments as attachments_module
from channels import ebay, meta, tiktok
from channels.attachment_store import AttachmentLimits, AttachmentStore, sniff
from channels.attachments import AttachmentFetchError, describe, fetch_media, safe_filename
from channels.base import Attachment, ChannelMessage
from channels.email.parse import parse_email
from runtime.attachment_fetch import AttachmentFetcher
from runtime.conversations import ConversationStore
from runtime.inbox import Inbox
from runtime.intake import Intake
from tools.policy.loader import load_policies
from tools.sandbox.store import SandboxStore

from polling import wait_until
from testdata import ANCHOR

PAGE = "104857600000001"
PSID = "2684335326502014"


# ---------------------------------------------------------------------------------------------- fixtures

def jpeg(size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 30, 30), *,
         orientation: int | None = None, gps: bool = True) -> bytes:
    """A camera-like JPEG: EXIF with the camera's make and a GPS position (and an orientation, if given)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "AcmeCam"
    exif[ExifTags.Base.Model] = "Pocket 9"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        place = exif.get_ifd(ExifTags.IFD.GPSInfo)
        place[ExifTags.GPS.GPSLatitudeRef] = "N"
        place[ExifTags.GPS.GPSLatitude] = (40.0, 26.0, 46.0)
        place[ExifTags.GPS.GPSLongitudeRef] = "W"
        place[ExifTags.GPS.GPSLongitude] = (79.0, 58.0, 56.0)
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG", exif=exif, quality=95)
    return out.getvalue()


def png_bomb(width: int = 40_000, height: int = 40_000) -> bytes:
    """A tiny PNG whose header claims width x height pixels (decoding it would take gigabytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
            + chunk(b"IEND", b""))


def photo_attachment(**fields: Any) -> Attachment:
    return Attachment(**{"kind": "image", "source": "https://cdn.example/p.jpg", **fields})


@pytest.fixture
def files(tmp_path: Path) -> AttachmentStore:
    return AttachmentStore(tmp_path / "attachments")


def stored_bytes(store: AttachmentStore, kept: Attachment, *, thumb: bool = False) -> bytes:
    found = store.open(kept.sha256 or "", thumb=thumb)
    assert found is not None
    return found.path.read_bytes()


def meta_body(message: dict[str, Any]) -> bytes:
    event = {"sender": {"id": PSID}, "recipient": {"id": PAGE}, "timestamp": 1795683600000,
             "message": {"mid": "m_1", **message}}
    return json.dumps({"object": "page", "entry": [{"id": PAGE, "time": 1795683600000, "messaging": [event]}]}).encode()


# ---------------------------------------------------------------------------------------------- each platform's shape

def test_meta_attachments_photos_files_and_shares() -> None:
    [msg] = meta.parse_webhook(meta_body({"attachments": [
        {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/v/t1/IMG_2201.jpg?oh=1&oe=2"}},
        {"type": "file", "payload": {"url": "https://cdn.fbsbx.com/v/receipt.pdf"}},
        {"type": "video", "payload": {}},
        {"type": "fallback", "payload": {"url": "https://example.com/listing", "title": "Our listing"}},
        {"type": "image", "payload": {"url": "https://x/sticker.png", "sticker_id": 369239263222822}},
    ]}), {})
    assert msg.text == "" and msg.conversation_key == f"facebook:{PAGE}:{PSID}"
    photo, receipt, video, share = msg.attachments
    assert (photo.kind, photo.filename, photo.state) == ("image", "IMG_2201.jpg", "pending")
    assert photo.url == photo.source == "https://scontent.xx.fbcdn.net/v/t1/IMG_2201.jpg?oh=1&oe=2"
    assert (receipt.kind, receipt.filename) == ("file", "receipt.pdf")
    assert (video.kind, video.state, video.url) == ("video", "fetch_failed", None)  # recorded, never dropped
    assert (share.kind, share.state, share.url) == ("file", "refused", None) and "shared fallback" in share.reason
    [both] = meta.parse_webhook(meta_body({"text": "it came like this", "attachments": [
        {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/a.jpg"}}]}), {})
    assert both.text == "it came like this" and len(both.attachments) == 1


def test_tiktok_image_message() -> None:
    body = json.dumps({"type": 14, "tts_notification_id": "7460000000000000001", "shop_id": "1",
                       "timestamp": 1795669200, "data": {
                           "conversation_id": "7604381187123791922", "message_id": "7450000000000000042",
                           "type": "IMAGE", "create_time": 1795669200, "is_visible": True,
                           "sender": {"im_user_id": "7494560109732710000", "role": "BUYER"},
                           "content": json.dumps({"url": "https://p16-oec-va.ibyteimg.com/tos/abc~tplv.jpeg",
                                                  "width": 1080, "height": 1440})}}).encode()
    [msg] = tiktok.parse_webhook(body, {})
    assert msg.text == "" and msg.conversation_key == "tiktok:7604381187123791922"
    assert msg.reply_route == {"conversation_id": "7604381187123791922"}
    [image] = msg.attachments
    assert (image.kind, image.width, image.height, image.state) == ("image", 1080, 1440, "pending")
    assert image.url == "https://p16-oec-va.ibyteimg.com/tos/abc~tplv.jpeg"


def test_ebay_message_media() -> None:
    data = {"conversationId": "3000000140", "messageId": "m-78", "senderUsername": "rachelcast46",
            "recipientUsername": "northfork_outdoors", "messageBody": "", "createdDate": "2026-11-26T09:00:00.000Z",
            "messageMedia": [
                {"mediaName": "box.jpg", "mediaType": "IMAGE", "mediaUrl": "https://i.ebayimg.com/00/s/box.jpg"},
                {"mediaName": "../../label.pdf", "mediaType": "PDF", "mediaUrl": "https://i.ebayimg.com/label.pdf"}]}
    body = json.dumps({"metadata": {"topic": "MESSAGE"}, "notification": {
        "notificationId": "n-1", "publishDate": "2026-11-26T09:00:00.000Z", "data": data}}).encode()
    [msg] = ebay.parse_webhook(body, {}, seller_username="northfork_outdoors")
    assert msg.text == "" and msg.customer_identity == "rachelcast46"
    box, label = msg.attachments
    assert (box.kind, box.filename, box.url) == ("image", "box.jpg", "https://i.ebayimg.com/00/s/box.jpg")
    assert (label.kind, label.content_type, label.filename) == ("file", "application/pdf", "label.pdf")


def email(text: str, *files: tuple[str, str, bytes], inline: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "dana@example.com", "support@shop.example.com", "Broken lid"
    msg["Message-ID"] = "<m1@example.com>"
    msg.set_content(text)
    if inline:
        msg.add_alternative(f"<p>{text}</p>", subtype="html")
    for name, content_type, data in files:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return bytes(msg)


def test_email_mime_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    photo = jpeg()
    msg = parse_email(email("The lid arrived cracked, photo attached.", ("IMG_1.jpg", "image/jpeg", photo),
                            inline=True),
                      seller_email="support@shop.example.com", now=ANCHOR)
    assert msg.text == "The lid arrived cracked, photo attached."
    [part] = msg.attachments  # the HTML twin of the text is the body, not a file
    assert (part.kind, part.filename, part.content_type, part.size, part.data) == (
        "image", "IMG_1.jpg", "image/jpeg", len(photo), photo)
    assert "data" not in part.model_dump()  # inline bytes never reach the inbox or the thread row as JSON

    alone = parse_email(email("", ("scan.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n")),
                        seller_email="support@shop.example.com", now=ANCHOR)
    assert alone.text == "" and [a.kind for a in alone.attachments] == ["file"]  # a file alone is a message

    signed = EmailMessage()  # an HTML mail whose signature has a small logo (an inline part with a Content-ID)
    signed["From"], signed["To"], signed["Subject"] = "dana@example.com", "support@shop.example.com", "Hi"
    signed.set_content("where is my order?")
    signed.add_alternative('<p>where is my order?</p><img src="cid:logo1">', subtype="html")
    logo = io.BytesIO()
    Image.new("RGB", (40, 12), (0, 0, 90)).save(logo, format="PNG")
    signed.get_payload()[1].add_related(logo.getvalue(), "image", "png", cid="<logo1>")
    plain = parse_email(bytes(signed), seller_email="support@shop.example.com", now=ANCHOR)
    assert plain.text == "where is my order?" and plain.attachments == []  # the mail's design, not a photo

    monkeypatch.setattr(attachments_module, "MAX_BYTES", 1000)
    big = parse_email(email("see photo", ("huge.jpg", "image/jpeg", b"\xff\xd8\xff" + b"0" * 5000)),
                      seller_email="support@shop.example.com", now=ANCHOR)
    [refused] = big.attachments  # judged from the encoded length, before decoding
    assert refused.state == "refused" and "limit" in (refused.reason or "") and refused.data is None


def test_declared_names_are_display_text_only() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename('C:\\Users\\x\\<img src=x onerror=alert(1)>.jpg') == "img src_x onerror_alert(1)_.jpg"
    assert safe_filename("%2e%2e%2f") is None and safe_filename(None) is None
    assert describe(["image", "image", "file"]) == "2 photos and 1 file"


# ---------------------------------------------------------------------------------------------- the store

def test_reencoding_strips_exif_and_gps(files: AttachmentStore) -> None:
    original = jpeg()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture has a position
    kept = files.keep(photo_attachment(), original)
    assert (kept.state, kept.stored_type, kept.width, kept.height) == ("stored", "image/jpeg", 64, 48)
    data = stored_bytes(files, kept)
    assert data != original and sniff(data) == "image/jpeg"
    with Image.open(io.BytesIO(data)) as image:
        assert not image.getexif() and not image.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert "exif" not in image.info and "icc_profile" not in image.info
    assert b"Exif" not in data and b"AcmeCam" not in data
    assert kept.sha256 == __import__("hashlib").sha256(data).hexdigest()
    assert files.keep(photo_attachment(), original).sha256 == kept.sha256  # the same photo is kept once
    thumb = stored_bytes(files, kept, thumb=True)
    assert b"AcmeCam" not in thumb and Image.open(io.BytesIO(thumb)).size == (64, 48)


def test_photos_are_turned_upright_and_scaled(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path, AttachmentLimits(max_side=40, thumb_side=10))
    kept = store.keep(photo_attachment(), jpeg((64, 48), orientation=6))  # taken with the phone on its side
    assert (kept.width, kept.height) == (30, 40)  # rotated as the camera meant, then scaled to 40 px
    assert max(Image.open(io.BytesIO(stored_bytes(store, kept, thumb=True))).size) == 10


def test_png_text_chunks_gone_transparency_kept_and_gif_first_frame(files: AttachmentStore) -> None:
    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    out = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 128, 0, 100)).save(out, format="PNG", pnginfo=info)
    kept = files.keep(photo_attachment(), out.getvalue())
    data = stored_bytes(files, kept)
    assert kept.stored_type == "image/png" and b"<script" not in data and b"tEXt" not in data
    assert Image.open(io.BytesIO(data)).getpixel((1, 1)) == (0, 128, 0, 100)

    frames = [Image.new("RGB", (16, 16), color) for color in ((250, 0, 0), (0, 0, 250))]
    gif = io.BytesIO()
    frames[0].save(gif, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    kept = files.keep(photo_attachment(), gif.getvalue())
    with Image.open(io.BytesIO(stored_bytes(files, kept))) as image:
        assert getattr(image, "n_frames", 1) == 1
        red, _, blue = image.convert("RGB").getpixel((8, 8))
        assert red > 200 and blue < 50  # the first frame


def test_a_decompression_bomb_is_refused_before_decoding(files: AttachmentStore) -> None:
    bomb = png_bomb()
    assert len(bomb) < 2000
    started = time.monotonic()
    kept = files.keep(photo_attachment(), bomb)
    assert time.monotonic() - started < 1.0
    assert kept.state == "refused" and "decompression bomb" in (kept.reason or "") and kept.sha256 is None
    assert not files.root.exists() or not any(files.root.rglob("*"))


@pytest.mark.parametrize("payload", [
    b"<html><body><script>alert(document.cookie)</script></body></html>",
    b"  <!DOCTYPE html><html><img src=x onerror=alert(1)>",
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
])
def test_html_or_svg_disguised_as_a_photo_is_refused(files: AttachmentStore, payload: bytes) -> None:
    kept = files.keep(photo_attachment(content_type="image/jpeg", filename="photo.jpg"), payload)
    assert kept.state == "refused" and "HTML, SVG or script" in (kept.reason or "")
    assert kept.sha256 is None and kept.data is None


def test_a_photo_carrying_html_keeps_only_its_pixels(files: AttachmentStore) -> None:
    polyglot = jpeg() + b"<html><script>alert(1)</script></html>"
    kept = files.keep(photo_attachment(), polyglot)
    assert kept.state == "stored" and b"<script" not in stored_bytes(files, kept)


def test_other_types_sizes_and_unreadable_images(tmp_path: Path) -> None:
    files = AttachmentStore(tmp_path, AttachmentLimits(max_bytes=64 * 1024))
    pdf = files.keep(Attachment(kind="file", source="mime:2:scan.pdf"), b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n")
    assert (pdf.state, pdf.stored_type, pdf.kind) == ("stored", "application/pdf", "file")
    assert files.open(pdf.sha256 or "").content_type == "application/pdf"  # type: ignore[union-attr]
    assert files.open(pdf.sha256 or "", thumb=True) is None  # a PDF is never shown, so it has no thumbnail
    too_big = files.keep(photo_attachment(), jpeg((1200, 1200)) + b"\0" * 70_000)
    assert too_big.state == "refused" and "64 KB limit" in (too_big.reason or "")
    heic = files.keep(photo_attachment(), b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64)
    assert heic.state == "refused" and "HEIC" in (heic.reason or "")
    assert files.keep(photo_attachment(), b"\x89PNG\r\n\x1a\n" + b"garbage").state == "refused"
    assert files.keep(photo_attachment(), b"MZ\x90\0 an executable").reason == \
        "not a photo or a PDF (only JPEG, PNG, GIF, WebP, HEIC and PDF are kept)"
    assert files.keep(photo_attachment(), b"").reason == "the file is empty"


def test_reading_back_checks_the_name_and_the_bytes(files: AttachmentStore) -> None:
    kept = files.keep(photo_attachment(), jpeg())
    digest = kept.sha256 or ""
    assert files.open(digest).content_type == "image/jpeg"  # type: ignore[union-attr]
    for bad in ("../" + digest, digest.upper(), digest[:63], "", "x" * 64):
        assert files.open(bad) is None
    (files.root / digest).write_bytes(b"<html>swapped on disk</html>")  # whatever is on disk must sniff right
    assert files.open(digest) is None


# ---------------------------------------------------------------------------------------------- fetching

def client(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def test_fetch_media_caps_checks_and_sends_no_credentials() -> None:
    seen: list[httpx.Request] = []

    def cdn(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/big":
            return httpx.Response(200, headers={"content-length": "99999999"}, content=b"x")
        if request.url.path == "/stream":
            return httpx.Response(200, content=iter([b"x" * 600, b"x" * 600]))
        if request.url.path == "/hop":
            return httpx.Response(302, headers={"location": "http://169.254.169.254/latest/meta-data/"})
        if request.url.path == "/gone":
            return httpx.Response(404)
        return httpx.Response(200, content=b"photo-bytes")

    http = client(cdn)
    assert fetch_media(http, "https://cdn.example/p.jpg") == b"photo-bytes"
    assert "authorization" not in seen[-1].headers and "cookie" not in seen[-1].headers
    cases = {"https://cdn.example/big": "limit", "https://cdn.example/stream": "limit",
             "https://cdn.example/hop": "refused (not an https address)",
             "https://cdn.example/gone": "HTTP 404", "http://cdn.example/p.jpg": "not an https address",
             "https://10.1.2.3/p.jpg": "private or local", "https://127.0.0.1/p.jpg": "private or local",
             "https://localhost/p.jpg": "local host", "file:///etc/passwd": "not an https address"}
    for url, why in cases.items():
        with pytest.raises(AttachmentFetchError, match=why.replace("(", r"\(").replace(")", r"\)")):
            fetch_media(http, url, max_bytes=1000)
    # the client's own configured API origin (the loopback simulator) may be plain http
    assert fetch_media(http, "http://127.0.0.1:8123/media/1/p.jpg", trusted_origin="http://127.0.0.1:8123") == \
        b"photo-bytes"

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(AttachmentFetchError, match="timed out"):
        fetch_media(client(slow), "https://cdn.example/p.jpg", timeout_s=1)


class FakeSource:
    def __init__(self, data: bytes | Exception) -> None:
        self.data, self.calls = data, 0

    def fetch_attachment(self, attachment: Attachment, *, max_bytes: int, timeout_s: float) -> bytes:
        self.calls += 1
        if isinstance(self.data, Exception):
            raise self.data
        return self.data


def pending_row(conversations: ConversationStore, key: str, platform: str, *urls: str) -> None:
    conversations.message_in(
        key=key, platform=platform, customer_identity="someone", text="", at=ANCHOR,
        deadline=ANCHOR + timedelta(hours=24), source=f"inbox:{key}",
        attachments=[photo_attachment(source=u, url=u).model_dump(mode="json") for u in urls])


def test_the_fetcher_stores_or_records_why_not(tmp_path: Path, files: AttachmentStore) -> None:
    conversations = ConversationStore(tmp_path / "app.db")
    pending_row(conversations, "facebook:p:1", "facebook", "https://cdn.example/ok.jpg")
    pending_row(conversations, "tiktok:2", "tiktok", "https://cdn.example/gone.jpg")
    pending_row(conversations, "ebay:3", "ebay", "https://cdn.example/x.jpg")
    good, bad = FakeSource(jpeg()), FakeSource(AttachmentFetchError("the platform answered HTTP 403"))
    fetcher = AttachmentFetcher(conversations, files, {"facebook": good, "tiktok": bad, "ebay": object()})
    assert fetcher.run_once() is True
    assert fetcher.run_once() is False and good.calls == bad.calls == 1  # each attachment is tried once
    [ok] = conversations.messages("facebook:p:1")[0].attachments
    assert ok["state"] == "stored" and files.open(ok["sha256"]) is not None
    [failed] = conversations.messages("tiktok:2")[0].attachments
    assert failed["state"] == "fetch_failed" and failed["reason"] == "could not fetch: the platform answered HTTP 403"
    assert failed["source"] == "https://cdn.example/gone.jpg"  # the reference is kept for a person
    [unconfigured] = conversations.messages("ebay:3")[0].attachments
    assert unconfigured["reason"] == "could not fetch: no ebay client is configured to fetch it"
    assert conversations.messages("tiktok:2")[0].text == ""  # the message itself is untouched
    conversations.close()


def test_old_databases_gain_the_attachments_column(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_key TEXT NOT NULL, "
                   "direction TEXT NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL, at TEXT NOT NULL, "
                   "platform_message_id TEXT, source TEXT UNIQUE)")
        db.execute("INSERT INTO messages (conversation_key, direction, author, text, at, source) VALUES "
                   "('ebay:1', 'in', 'customer', 'hello', ?, 'inbox:1')", (ANCHOR.isoformat(),))
    conversations = ConversationStore(path)
    [old] = conversations.messages("ebay:1")
    assert old.text == "hello" and old.attachments == []
    assert conversations.pending_attachments() == []
    conversations.close()


def test_email_files_are_stored_at_intake_and_kept_on_the_thread_row(tmp_path: Path, files: AttachmentStore) -> None:
    conversations, inbox = ConversationStore(tmp_path / "app.db"), Inbox(tmp_path / "app.db")
    intake = Intake(inbox, conversations, load_policies(), attachments=files)
    message = parse_email(email("", ("IMG_7.jpg", "image/jpeg", jpeg())), seller_email="support@shop.example.com",
                          now=ANCHOR)
    result = intake.accept([message], now=ANCHOR)
    assert result.accepted == 1
    [row] = conversations.messages(message.conversation_key)
    [kept] = row.attachments
    assert row.text == "" and kept["state"] == "stored" and kept["filename"] == "IMG_7.jpg"
    assert b"AcmeCam" not in files.open(kept["sha256"]).path.read_bytes()  # type: ignore[union-attr]
    item = inbox.claim("w", ANCHOR + timedelta(minutes=1))
    assert item is not None and item.message.attachments == ["image"] and item.message.text == ""
    assert intake.accept([message], now=ANCHOR).duplicates == 1  # a re-fetched email is stored once
    assert len(conversations.messages(message.conversation_key)) == 1
    conversations.close()
    inbox.close()


def test_a_message_needs_words_or_a_file() -> None:
    with pytest.raises(ValueError, match="text or an attachment"):
        ChannelMessage(platform="ebay", delivery_id="d", conversation_key="ebay:1", customer_identity="x", text="",
                       received_at=ANCHOR)
    with pytest.raises(ValueError, match="text or an attachment"):
        InboundMessage(platform="ebay", text="", received_at=ANCHOR)


# ---------------------------------------------------------------------------------------------- the agent

def photo_turn(runtime: AgentRuntime, customer_id: str, platform: str, thread: str, text: str = "",
               kinds: tuple[str, ...] = ("image",)) -> Any:
    return runtime.handle(InboundMessage(platform=platform, customer_id=customer_id, text=text,  # type: ignore[arg-type]
                                         attachments=list(kinds), received_at=ANCHOR,  # type: ignore[arg-type]
                                         conversation_id=thread), thread)


def damaged_order(store: SandboxStore) -> Any:
    return next(o for o in store.find_orders(platform="shopify", status="delivered", limit=None)
                if not store.order_returns(o.id))


def test_a_photo_alone_continues_the_open_topic_and_reaches_a_person(
        make_runtime: Callable[..., AgentRuntime], store: SandboxStore, say: Callable[..., Any]) -> None:
    order = damaged_order(store)
    runtime = make_runtime()
    first = say(order.customer_id, "shopify", f"my order {order.id} arrived damaged, the item is broken",
                thread="t-damage", rt=runtime)
    assert first.intent == "damaged_or_wrong_item"
    photo = photo_turn(runtime, order.customer_id, "shopify", "t-damage")
    assert photo.intent == "damaged_or_wrong_item"  # "photo received" for the claim it belongs to
    assert photo.route == "handoff" and "customer sent a photo" in photo.reasons
    assert photo.tool_calls == [] and photo.draft is None  # nothing is looked up or answered on no words
    assert photo.acknowledgment and "your photo came through" in photo.acknowledgment
    assert "customer sent a photo" in (photo.handoff_summary or "")
    acks = [r for r in runtime.context.outbox.for_conversation("t-damage") if r.message.kind == "acknowledgment"]
    assert len(acks) == 1 and acks[0].message.text == photo.acknowledgment


def test_without_acknowledgments_the_photo_waits_for_a_person_in_silence(
        make_runtime: Callable[..., AgentRuntime], store: SandboxStore) -> None:
    runtime = make_runtime(settings=SellerSettings(handoff_acknowledgment=False))
    customer = damaged_order(store).customer_id
    trace = photo_turn(runtime, customer, "shopify", "t-quiet", kinds=("file",))
    assert trace.intent == "other" and trace.route == "handoff"  # nothing open yet: a person reads the file
    assert "customer sent a file" in trace.reasons and trace.acknowledgment is None
    assert runtime.context.outbox.for_conversation("t-quiet") == []


def test_words_with_a_photo_are_answered_but_wait_for_a_person(
        make_runtime: Callable[..., AgentRuntime], store: SandboxStore) -> None:
    order = damaged_order(store)
    runtime = make_runtime()
    trace = photo_turn(runtime, order.customer_id, "shopify", "t-words",
                       text=f"where is my order {order.id}? screenshot attached")
    assert trace.draft and trace.route in ("review", "handoff")
    assert any("customer sent a photo" in r for r in trace.reasons)


# ---------------------------------------------------------------------------------------------- end to end



@pytest.mark.slow
def test_a_photo_sent_on_messenger_is_fetched_stored_and_acknowledged(service_settings: Any) -> None:
    from channels.simulators import meta as meta_sim
    from service_env import simulated_service
    from shopdesk.attachment_service import AttachmentDenied, open_attachment
    from shopdesk.console_service import ConsoleService
    from shopdesk.simulate import IG_ID, PAGE_ID

    with simulated_service(service_settings) as (sim, service):
        driver = meta_sim.MetaSimulator(sim.store, sim.log, sim.meta.target_url, app_secret=sim.secrets["meta_secret"],
                                        page_id=PAGE_ID, ig_id=IG_ID, http=sim.http, media_url=sim.urls["meta"])
        customer = next(c for c in sim.store.list_customers() if meta_sim._identity(c, "facebook"))
        psid = meta_sim._identity(customer, "facebook")
        driver.customer_sends_photo(customer.id, jpeg(), filename="IMG_0042.jpg")
        key = f"facebook:{PAGE_ID}:{psid}"
        row = wait_until(lambda: (m := service.conversations.messages(key)) and m[0].attachments[0]["state"] != "pending"
                    and m[0], "the photo fetched")
        [kept] = row.attachments
        assert row.text == "" and kept["state"] == "stored" and kept["filename"] == "IMG_0042.jpg"
        assert len(sim.log.records("facebook", "media_fetch")) == 1
        assert b"AcmeCam" not in service.attachments.open(kept["sha256"]).path.read_bytes()
        reply = wait_until(lambda: [r for r in sim.log.replies("facebook") if r.data["to"] == psid], "the acknowledgment")
        assert "your photo came through" in reply[0].data["text"]
        conversation = wait_until(lambda: (c := service.conversations.get(key)) and c.route and c, "the agent's run")
        assert conversation.route == "handoff" and "customer sent a photo" in conversation.reasons
        assert conversation.status == "handed_off"  # the acknowledgment answers the clock, a person the photo
        console = ConsoleService(service)
        [evidence] = console.conversation(key).attachments
        assert evidence["sha256"] == kept["sha256"] and evidence["platform"] == "facebook"
        with pytest.raises(AttachmentDenied):
            open_attachment(console, kept["sha256"], None, "thumb")

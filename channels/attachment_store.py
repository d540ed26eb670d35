"""Customers' files on disk: `<data dir>/attachments/<sha256>`, only what is safe to show a person.

Nothing a customer sends is kept as sent, except a PDF (stored, never rendered: the console offers it as a
download). The type comes from the bytes, never from the name or the declared type: JPEG, PNG, GIF, WebP (and
HEIC or AVIF when this Pillow can read them) are decoded and re-encoded from their pixels alone, so EXIF
(camera, GPS position), ICC and text chunks, comments, trailing bytes (an HTML or script polyglot) and later
frames (GIF: the first frame is kept) do not survive. The pixel count is checked from the header before any
pixel is decoded (a small PNG can claim 40,000 x 40,000: a decompression bomb), large photos are scaled down,
and a thumbnail is kept beside each image. Anything else is refused with a reason a person can read.

Pure storage over a directory: no clients, no database; the name is the SHA-256 of the bytes kept, so
storing the same photo twice keeps one file. Files are written whole (temp file, then rename), mode 0600.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from pydantic import BaseModel

from channels.attachments import MAX_BYTES, size_words
from channels.base import Attachment

DIGEST = re.compile(r"^[0-9a-f]{64}$")
SERVED_TYPES = ("image/jpeg", "image/png", "application/pdf")
"""What the store ever writes (and so the only types the console serves)."""
# sniffed type -> the Pillow decoder allowed to read it (no other plugin is tried on the bytes)
_DECODERS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP",
             "image/heic": "HEIF", "image/avif": "AVIF"}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}
_MARKUP = re.compile(rb"^\s*(<!doctype|<html|<svg|<\?xml|<script|<body|<head|<iframe|<a\s)", re.IGNORECASE)


@dataclass(frozen=True)
class AttachmentLimits:
    max_bytes: int = MAX_BYTES
    max_pixels: int = 30_000_000  # a 24-megapixel camera photo fits; a decompression bomb does not
    max_side: int = 4096  # the kept image's longest side (plenty to see a crack or read a label)
    thumb_side: int = 320
    jpeg_quality: int = 88


class StoredFile(BaseModel):
    """A file the console may serve: its path and the type sniffed from its own bytes."""

    path: Path
    content_type: str
    size: int


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sniff(data: bytes) -> str | None:
    """The type the bytes are, from their signature; None for anything not on the allow-list."""
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _HEIF_BRANDS:
            return "image/heic"
        if brand in (b"avif", b"avis"):
            return "image/avif"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def _unknown(data: bytes) -> str:
    if _MARKUP.match(data[:512]):
        return "HTML, SVG or script, not a photo: refused"
    return "not a photo or a PDF (only JPEG, PNG, GIF, WebP, HEIC and PDF are kept)"


class AttachmentStore:
    def __init__(self, root: Path | str, limits: AttachmentLimits | None = None) -> None:
        self.root = Path(root)
        self.limits = limits or AttachmentLimits()

    # ------------------------------------------------------------------ writing

    def keep(self, attachment: Attachment, data: bytes) -> Attachment:
        """Store `data` for `attachment`; the returned copy says what was kept (`stored`) or why not (`refused`)."""
        update: dict[str, object] = {"data": None, "size": len(data)}
        try:
            if not data:
                raise Refused("the file is empty")
            if len(data) > self.limits.max_bytes:
                raise Refused(f"larger than the {size_words(self.limits.max_bytes)} limit")
            kind = sniff(data)
            if kind is None:
                raise Refused(_unknown(data))
            if kind == "application/pdf":
                update |= {"sha256": self._write(data), "stored_type": kind, "kind": "file"}
            else:
                image, thumb, stored_type, size = self._reencode(data, kind)
                digest = self._write(image)
                self._write(thumb, name=f"thumbs/{digest}")
                update |= {"sha256": digest, "stored_type": stored_type, "kind": "image",
                           "width": size[0], "height": size[1]}
        except Refused as exc:
            return attachment.model_copy(update=update | {"state": "refused", "reason": exc.reason})
        return attachment.model_copy(update=update | {"state": "stored", "reason": None})

    def _reencode(self, data: bytes, kind: str) -> tuple[bytes, bytes, str, tuple[int, int]]:
        """(image, thumbnail, type, size): the first frame's pixels only, scaled to max_side, as PNG (when it
        has transparency) or JPEG."""
        limits = self.limits
        decoder = _DECODERS[kind]
        Image.init()
        if decoder not in Image.OPEN:  # HEIC and AVIF need a Pillow plugin this installation may not have
            raise Refused(f"a {kind.split('/')[1].upper()} photo this installation cannot read: open it on the "
                          "platform")
        try:
            with Image.open(io.BytesIO(data), formats=[decoder]) as im:
                width, height = im.size
                if width <= 0 or height <= 0:
                    raise Refused("the image has no pixels")
                if width * height > limits.max_pixels:
                    raise Refused(f"the image claims {width} x {height} pixels, over the "
                                  f"{limits.max_pixels // 1_000_000} megapixel limit (a possible decompression bomb)")
                if kind == "image/jpeg":
                    im.draft("RGB", (limits.max_side, limits.max_side))  # decode big JPEGs at a reduced scale
                im.seek(0)  # GIF and animated WebP: the first frame
                im.load()
                frame = ImageOps.exif_transpose(im) or im  # upright as the camera meant, before EXIF is dropped
                alpha = frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info
                mode = "RGBA" if alpha else "RGB"
                pixels = frame.convert(mode)
        except Refused:
            raise
        except UnidentifiedImageError:
            if kind in ("image/heic", "image/avif"):
                raise Refused(f"a {kind.split('/')[1].upper()} photo this installation cannot read: "
                              "open it on the platform") from None
            raise Refused("the file says it is an image but cannot be read as one") from None
        except Image.DecompressionBombError:
            raise Refused("the image has too many pixels (a possible decompression bomb)") from None
        except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
            raise Refused(f"a damaged image ({type(exc).__name__})") from None
        pixels.thumbnail((limits.max_side, limits.max_side))
        clean = Image.frombytes(mode, pixels.size, pixels.tobytes())  # a new image: no info, EXIF, ICC or text
        thumb = clean.copy()
        thumb.thumbnail((limits.thumb_side, limits.thumb_side))
        return self._encode(clean, alpha), self._encode(thumb, alpha), \
            "image/png" if alpha else "image/jpeg", clean.size

    def _encode(self, image: Image.Image, alpha: bool) -> bytes:
        out = io.BytesIO()
        if alpha:
            image.save(out, format="PNG")
        else:
            image.save(out, format="JPEG", quality=self.limits.jpeg_quality)
        return out.getvalue()

    def _write(self, data: bytes, *, name: str | None = None) -> str:
        """Write once under `name` (default: the SHA-256 of `data`); returns the digest."""
        digest = hashlib.sha256(data).hexdigest()
        path = self.root / (name or digest)
        if path.exists():
            return digest
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # created 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    # ------------------------------------------------------------------ reading

    def open(self, digest: str, *, thumb: bool = False) -> StoredFile | None:
        """The stored file for `digest` (its thumbnail with `thumb`) with the type its bytes are, or None.

        The type is sniffed again at every read: only the types the store writes are ever returned."""
        if not isinstance(digest, str) or not DIGEST.match(digest):
            return None
        path = self.root / ("thumbs" if thumb else "") / digest
        try:
            with path.open("rb") as f:
                head = f.read(32)
            size = path.stat().st_size
        except OSError:
            return None
        kind = sniff(head)
        if kind not in SERVED_TYPES or (thumb and kind == "application/pdf"):
            return None
        return StoredFile(path=path, content_type=kind, size=size)

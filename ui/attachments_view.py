"""The conversation's photos and files, drawn for the console: thumbnails from the authenticated attachment
route (ui/attachment_route.py), and in words what could not be kept and why.

Everything a customer or a platform supplied (file names, reasons, references) is escaped text; the only
markup is ours. A thumbnail links to the full stored image (opened alone, under a CSP that runs nothing);
a PDF is offered as a download, never shown.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

from channels.attachments import describe
from ui.attachment_route import attachment_url
from ui.format import when

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_WORDS = {"image": "Photo", "video": "Video", "audio": "Voice message", "file": "File"}
_GRID = "display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start"
_CARD = ("border:1px solid var(--border-color-primary);border-radius:8px;padding:6px;max-width:220px;"
         "overflow-wrap:anywhere;font-size:0.9em")


def annotated_thread(thread: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The thread with a line on each message that carried attachments ("[1 photo attached: ...]"), so a
    photo sent alone is not an empty bubble."""
    out = []
    for message in thread:
        files = message.get("attachments") or []
        if not files:
            out.append(dict(message))
            continue
        note = f"[{describe(str(a.get('kind') or 'file') for a in files)} attached: shown under the thread]"
        text = str(message.get("text") or "")
        out.append({**message, "text": f"{text}\n{note}" if text else note})
    return out


def _caption(a: Mapping[str, Any], zone: tzinfo | None) -> str:
    who = _WORDS.get(str(a.get("kind")), "File")
    parts = [who, str(a.get("platform") or ""), when(a.get("at"), zone) or ""]
    if a.get("filename"):
        parts.append(str(a["filename"]))
    return " · ".join(p for p in parts if p)


def _figure(a: Mapping[str, Any], zone: tzinfo | None) -> str:
    caption = html.escape(_caption(a, zone))
    digest = str(a.get("sha256") or "")
    state = a.get("state")
    if state == "stored" and _DIGEST.match(digest) and str(a.get("stored_type", "")).startswith("image/"):
        size = f"{a.get('width')} × {a.get('height')} px" if a.get("width") else ""
        body = (f'<a href="{attachment_url(digest)}" target="_blank" rel="noopener noreferrer">'
                f'<img src="{attachment_url(digest, thumb=True)}" alt="{caption}" loading="lazy" '
                f'style="max-width:200px;max-height:200px;display:block"></a>'
                f'<div>{caption}</div><div>{html.escape(size)}</div>')
    elif state == "stored" and _DIGEST.match(digest):
        body = (f'<div>{caption}</div><a href="{attachment_url(digest)}" download>Download the PDF</a> '
                "(stored, not shown in the console)")
    elif state == "pending":
        body = f"<div>{caption}</div><div>Being fetched from the platform…</div>"
    else:
        what = "Refused" if state == "refused" else "Could not fetch"
        reason = str(a.get("reason") or "no reason recorded")
        reason = reason.removeprefix("could not fetch: ")
        source = str(a.get("source") or "")
        ref = f"<div>Reference: <code>{html.escape(source[:160])}</code></div>" if source else ""
        body = f"<div>{caption}</div><div><strong>{what}:</strong> {html.escape(reason)}</div>{ref}"
    return f'<figure role="listitem" class="sd-attachment sd-{html.escape(str(state))}" style="{_CARD};margin:0">{body}</figure>'


def attachments_html(attachments: Sequence[Mapping[str, Any]], zone: tzinfo | None = None) -> str:
    """Every attachment of the thread, oldest first, as thumbnails or text cards (times in `zone`)."""
    if not attachments:
        return '<p class="sd-empty">No photos or files from the customer.</p>'
    figures = "".join(_figure(a, zone) for a in attachments)
    return (f'<div class="sd-attachments" role="list" aria-label="Photos and files from the customer" '
            f'style="{_GRID}">{figures}</div>')

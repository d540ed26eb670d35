"""Presentation only: how the console writes times, statuses, money and tables (no decisions here).

Statuses are always words (a glyph may precede them, never replaces them): the console never says anything
by colour alone. Everything that came from a customer is escaped before it is put in HTML or Markdown.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

import pandas as pd

STATUS_LABELS: dict[str, str] = {
    "new": "● new",
    "working": "… agent working",
    "draft_ready": "✎ draft ready",
    "needs_approval": "⚠ needs approval",
    "handed_off": "☞ handed off",
    "queued": "⏳ queued",
    "sent": "✓ sent",
    "rejected": "✗ rejected",
    "failed": "! failed",
}
STATUS_ORDER: tuple[str, ...] = tuple(STATUS_LABELS)


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", status or "unknown")


def duration(seconds: float) -> str:
    """'2 d 3 h', '5 h 12 m', '7 m' (minutes rounded down, never '0 m' for a positive span under a minute)."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} m"
    return f"{mins} m" if mins else "< 1 m"


def time_left(seconds: float | None, overdue: bool) -> str:
    """The reply clock in words: '5 h 12 m left', 'OVERDUE 2 h 0 m', or 'answered' when nothing waits."""
    if seconds is None:
        return "answered"
    return f"OVERDUE {duration(seconds)}" if overdue else f"{duration(seconds)} left"


def when(value: datetime | str | None, zone: tzinfo | None = None) -> str:
    """'Nov 26 04:00 EST' in `zone` (the seller's time zone) with its abbreviation; UTC without a zone. Only the
    display moves: deadlines are computed in UTC elsewhere."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if not value.tzinfo:
        return value.strftime("%b %d %H:%M")
    if zone is None:
        return value.strftime("%b %d %H:%M UTC")
    local = value.astimezone(zone)
    return f"{local.strftime('%b %d %H:%M')} {local.tzname() or zone}"


def clip(text: Any, limit: int) -> str:
    """One line of at most `limit` characters (whitespace folded, an ellipsis where it was cut)."""
    line = " ".join(str(text or "").split())
    return line if len(line) <= limit else line[: max(1, limit - 1)].rstrip() + "…"


def conversation_label(name: str | None, platform: str, about: str | None, limit: int = 64) -> str:
    """'Dana Whitfield · amazon · 112-4417739-2043456': who, where and what, for a row (never the internal key)."""
    parts = [name or "(not identified yet)", platform] + ([about] if about else [])
    return clip(" · ".join(" ".join(str(p).split()) for p in parts), limit)


def money(value: Any) -> str:
    try:
        return f"${float(value):,.2f}"
    except (TypeError, ValueError):
        return "" if value is None else str(value)


def percent(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def hours(seconds: float | None) -> str:
    return "n/a" if seconds is None else duration(seconds)


def md_escape(text: Any) -> str:
    """Text safe inside Markdown: HTML escaped and Markdown punctuation neutralised (no links, images, tables)."""
    escaped = html.escape(str(text), quote=False)
    return re.sub(r"([\\`*_{}\[\]()#+\-!|>~])", r"\\\1", escaped)


def md_code(text: Any) -> str:
    """`text` as a Markdown code span: shown literally (no link, no emphasis, HTML escaped by the renderer), fenced
    with more backticks than any run inside it, so a backtick in a customer's address cannot end it early."""
    value = " ".join(str(text).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", value)), default=0) + 1)
    return f"{fence} {value} {fence}"


def md_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    rows = list(rows)
    if not rows:
        return "_none_"
    head = "| " + " | ".join(headers) + " |\n|" + "---|" * len(headers) + "\n"
    return head + "\n".join("| " + " | ".join(md_escape(c) for c in row) + " |" for row in rows)


def frame(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> pd.DataFrame:
    return pd.DataFrame([list(r) for r in rows], columns=list(headers))


def counts_frame(counts: Mapping[str, int], key: str, value: str = "count") -> pd.DataFrame:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return pd.DataFrame(items, columns=[key, value])


def thread_html(messages: Sequence[Mapping[str, Any]], current: str | None = None, zone: tzinfo | None = None) -> str:
    """The whole thread as escaped HTML articles, oldest first; each says who, where and when in words (times in
    `zone`). A reply says who answered: the person who approved, edited or wrote it (`by`, `how`: from the
    application layer), or "shopdesk agent" for what the agent sent alone."""
    if not messages:
        return '<p class="sd-empty">No messages yet.</p>'
    parts = ['<div class="sd-thread" role="log" aria-label="Conversation thread, oldest first">']
    for m in messages:
        author = str(m.get("author") or "")
        who = "Customer" if author == "customer" else ("Agent (automatic)" if author == "agent" else
                                                       f"Person: {author.removeprefix('human:')}"
                                                       if author.startswith("human") else author)
        if m.get("by"):
            who = str(m["by"]) + (f" ({m['how']})" if m.get("how") else "")
        direction = "in" if m.get("direction") == "in" else "out"
        other = "" if current is None or m.get("conversation") == current else " · earlier conversation"
        head = f"{who} · {m.get('platform', '')} · {when(m.get('at'), zone)}{other}"
        parts.append(
            f'<article class="sd-msg sd-{direction}" aria-label="{html.escape(head)}">'
            f'<div class="sd-meta">{"▶ received" if direction == "in" else "◀ sent"} · {html.escape(head)}</div>'
            f'<div class="sd-text">{html.escape(str(m.get("text", "")))}</div></article>')
    parts.append("</div>")
    return "".join(parts)

"""How the console draws an urgency: a coloured badge that always carries the word (colour is only extra).

The level and its reasons come from the service (agent/urgency.py via shopdesk/console_service.py); this module
only draws them. Each badge sets its own text and background colour, so the pair keeps a WCAG AA contrast
(at least 4.5:1, checked by tests/ui/test_urgency_badges.py) on the light and the dark theme alike.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from ui.format import md_escape

# level: (text colour, background colour)
URGENCY_COLOURS: dict[str, tuple[str, str]] = {
    "critical": ("#7f1d1d", "#fee2e2"),  # dark red on pale red
    "high": ("#7c2d12", "#ffedd5"),      # dark orange on pale orange
    "normal": ("#1e3a8a", "#dbeafe"),    # dark blue on pale blue
    "low": ("#374151", "#f3f4f6"),       # dark grey on pale grey
}
NONE = "—"


def urgency_badge(level: str | None, reasons: Sequence[str] = ()) -> str:
    """'● critical' in the level's colours (HTML); the reasons, if any, as its tooltip. '—' when unknown."""
    if not level:
        return NONE
    fg, bg = URGENCY_COLOURS.get(level, URGENCY_COLOURS["normal"])
    tip = f' title="{html.escape("; ".join(reasons), quote=True)}"' if reasons else ""
    return (f'<span class="sd-urgency sd-urgency-{html.escape(level, quote=True)}" style="color:{fg};'
            f'background:{bg};padding:0 0.45em;border-radius:0.7em;font-weight:600;white-space:nowrap"{tip}>'
            f'● {html.escape(level)}</span>')


def urgency_cell(level: str | None, reasons: Sequence[str], risk_flags: Sequence[str]) -> str:
    """The inbox's urgency cell (an HTML column): the badge, then the conversation's risk flags in words."""
    flags = "".join(f" · {html.escape(f.replace('_', ' '))}" for f in risk_flags)
    return urgency_badge(level, reasons) + flags


def urgency_line(level: str | None, reasons: Sequence[str]) -> str:
    """For the conversation header (Markdown): the badge and why, in words."""
    why = "; ".join(md_escape(r) for r in reasons)
    return urgency_badge(level) + (f" ({why})" if why else "")

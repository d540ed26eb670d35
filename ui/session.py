"""What one browser session remembers (a gr.State value: Gradio keeps one copy per session).

Two agents signed in at once each have their own: the open conversation, the draft as last loaded from
the service (so a refresh never overwrites what the person is typing), the active tab and the fingerprints
the refresh timer compares to skip redrawing what did not change.
"""

from __future__ import annotations

from typing import Any

# A forced redraw (an action, a filter, opening a conversation) runs in another lane than the timer, so a tick that
# read the data a moment earlier can reach the browser after it, or the other way round; the fingerprint then names
# what the server drew last, not what the browser shows, and the view would stay stale for good. So the next few
# ticks after a forced redraw redraw again whatever the fingerprint says: the last one to arrive is a fresh one.
RESEND_TICKS = 3


def new_session() -> dict[str, Any]:
    return {"key": None, "draft": None, "tab": "inbox", "inbox_sig": None, "conv_sig": None, "settings_sig": None}


def redrawn(session: dict[str, Any], view: str) -> None:
    """Note a forced redraw of `view` ("inbox", "conv"): the next RESEND_TICKS ticks redraw it too."""
    session[f"{view}_resend"] = RESEND_TICKS


def unchanged(session: dict[str, Any], view: str, sig: Any) -> bool:
    """Whether a tick may skip redrawing `view`: its fingerprint matches and no forced redraw is recent (each
    call inside the window uses one of its ticks up)."""
    left = int(session.get(f"{view}_resend") or 0)
    if left > 0:
        session[f"{view}_resend"] = left - 1
        return False
    return session.get(f"{view}_sig") == sig

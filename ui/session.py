"""What one browser session remembers (a gr.State value: Gradio keeps one copy per session).

Two agents signed in at once each have their own: the open conversation, the draft as last loaded from
the service (so a refresh never overwrites what the person is typing), the active tab and the fingerprints
the refresh timer compares to skip redrawing what did not change.
"""

from __future__ import annotations

from typing import Any


def new_session() -> dict[str, Any]:
    return {"key": None, "draft": None, "tab": "inbox", "inbox_sig": None, "conv_sig": None, "settings_sig": None}

"""Issue 20 (honest numbers): "Replies sent" says how many were replies and how many holding messages, so a
count larger than the automation figure's sample is explained where it is shown."""

from __future__ import annotations

from shopdesk.console_service import Dashboard
from ui.dashboard_tab import sent_split


def _board(sent: int, holding: int) -> Dashboard:
    return Dashboard.model_construct(replies_sent=sent, holding_sent=holding)


def test_the_sent_count_is_split_into_replies_and_holding_messages() -> None:
    assert sent_split(_board(31, 27)) == "4 replies + 27 holding messages"
    assert sent_split(_board(2, 1)) == "1 reply + 1 holding message"
    assert sent_split(_board(1_200, 0)) == "1,200 replies + 0 holding messages"

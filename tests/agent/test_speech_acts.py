"""What a reply does about each action (agent/speech_acts.py), on small hand-built drafts."""

from __future__ import annotations

import pytest

from agent.speech_acts import act_changes, read_acts

CLOSED = "I'm sorry: the return window for order 1001 closed on Oct 2, so I can't open a return for it."
OFFER = "Order 1002 can be returned until Dec 20. Would you like me to start the return? Reply yes and I'll set it up."
DONE = "Order 1003 has been cancelled and the refund of $20.00 goes back to your card."


def test_each_action_is_read_with_the_kind_of_statement() -> None:
    assert read_acts(CLOSED).about("return") == {"refuse"}
    assert read_acts(OFFER).about("return") == {"state", "offer"}
    assert read_acts(DONE).acts == {"cancel": {"state"}, "refund": {"state"}}
    assert read_acts("Thanks for writing!").acts == {}


@pytest.mark.parametrize(("template", "wording", "reason"), [
    (CLOSED, "The return window for order 1001 was Oct 2. Please go ahead and send it back.", "drops the draft's 'no'"),
    (CLOSED, "Your window for order 1001 ended Oct 2. Do you want me to start a return?", "drops the draft's 'no'"),
    (OFFER, "Order 1002 can't be returned after Dec 20, and I'm unable to start it.", "says 'no' about return"),
    (DONE, "Order 1003 is cancelled. I can also send you a replacement.", "talks about replacement"),
    ("Can I help with anything else about order 1004?", "Your refund for order 1004 is on its way.",
     "talks about refund"),
])
def test_a_changed_act_is_named(template: str, wording: str, reason: str) -> None:
    assert any(reason in r for r in act_changes(template, wording)), act_changes(template, wording)


@pytest.mark.parametrize(("template", "wording"), [
    (CLOSED, "Unfortunately the return window for order 1001 closed on Oct 2, so a return isn't possible."),
    (OFFER, "You can return order 1002 until Dec 20. Want me to start it? Just reply yes."),
    (DONE, "Your order 1003 is cancelled; the $20.00 refund goes back to your card."),
])
def test_the_same_acts_in_other_words_pass(template: str, wording: str) -> None:
    assert act_changes(template, wording) == []

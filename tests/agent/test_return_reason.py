"""Why a return is sent back decides its restocking fee and who pays the label (agent/plans.py
`_return_reason`). A fault the customer denies ("nothing wrong with it") or caused ("I ordered the wrong size")
is no fault of the seller: once "Nothing wrong with it, we just measured badly" was auto-sent a reply waiving
the fee "because we sent the wrong item"."""

from __future__ import annotations

import pytest

from agent.plans import _return_reason


@pytest.mark.parametrize(("text", "reason"), [
    ("Nothing wrong with it, we just measured badly. If I send it back what does that cost me", "changed_mind"),
    ("I ordered the wrong size, can I return it", "changed_mind"),
    ("the box was fine, not damaged at all, I just don't like it", "changed_mind"),
    ("it's not defective, just too big", "changed_mind"),
    ("They sent the wrong color", "wrong_item"),
    ("I got the wrong item", "wrong_item"),
    ("this is not what i ordered", "wrong_item"),
    ("it doesn't work anymore", "defective"),
    ("it stopped working after two days", "defective"),
    ("the lid arrived cracked", "damaged"),
    ("Not the one I wanted but it's also broken", "damaged"),
    ("la tetera llegó rota", "damaged"),
    ("el termo no funciona", "defective"),
    ("me mandaron el color equivocado", "wrong_item"),
    ("no está dañado, solo no me gustó", "changed_mind"),
])
def test_only_a_fault_the_customer_asserts_is_a_reason(text: str, reason: str) -> None:
    assert _return_reason(text) == reason

"""The conversation header's id line: a key (made from a customer's address) is shown literally in Markdown."""

from __future__ import annotations

from ui.format import md_code


def test_a_key_is_a_code_span_no_backtick_in_it_can_close() -> None:
    assert md_code("amazon:uq80@marketplace.amazon.com") == "` amazon:uq80@marketplace.amazon.com `"
    assert md_code("email:a`b``c@example.com") == "``` email:a`b``c@example.com ```"
    assert md_code("meta:1\n2") == "` meta:1 2 `"  # one line

"""Wrapped lines (agent/text_lines.py): email clients and forms break long sentences over lines; the request
splitter and the answer check must read such a sentence whole, and still keep lists, greetings and
signatures apart."""

from __future__ import annotations

import pytest

from agent.answer_check import question_parts
from agent.answer_gate import questions
from agent.requests import pieces
from agent.text_lines import unwrap

WRAPPED = ("Hi, I paused my conditioner subscription over the summer. Can you turn it back on? And remind me, how much\n"
           "do I save with the subscription vs just buying it?\n")
LISTED = ("Hi Northfork,\n\nTwo things on my coffee filter subscription:\n"
          "- 600 filters a month is way too many. Can you change it to every 60 days?\n"
          "- If not, please skip this Sunday's delivery.\n\nThank you!\nChristina")


def test_a_sentence_wrapped_over_two_lines_is_one_question_everywhere_it_is_cut() -> None:
    whole = "And remind me, how much do I save with the subscription vs just buying it?"
    assert questions(WRAPPED) == ["Can you turn it back on?", whole]
    assert question_parts(WRAPPED)[-1] == whole
    assert whole in pieces(WRAPPED)


@pytest.mark.parametrize("text", [
    WRAPPED, LISTED, "where is my order\r\nit was due monday", "a\n\nb", "Thanks,\nMaria", "1) the grill\n2) the lid",
])
def test_unwrapping_keeps_every_position(text: str) -> None:
    joined = unwrap(text)
    assert len(joined) == len(text)
    assert all(a == b or (a.isspace() and b == " ") for a, b in zip(text, joined, strict=True))


def test_lists_greetings_and_signatures_keep_their_breaks() -> None:
    assert unwrap(LISTED) == LISTED  # every line after a break starts with a capital, a bullet or a blank line
    assert unwrap("where is my order\nit was due monday") == "where is my order it was due monday"
    assert unwrap("order #1234.\nthanks") == "order #1234.\nthanks"  # a sentence that ended keeps its break

"""A passage a plan finds by its own search and quotes joins the turn's evidence (agent/nodes/act.py).

A delivery estimate quotes the handling-time and the transit-time sections; a destination answer adds the
section with the extra days. Retrieval for the message may bring only one of them, so before this the checks
read the others' numbers ("2-5 days") as facts with no source and held a correct reply as ungrounded.
"""

from __future__ import annotations

from agent.nodes.act import _with_cited
from agent.schemas import Passage
from tools.sandbox.store import SandboxStore


def _passage(pid: str) -> Passage:
    return Passage(id=pid, doc_id=pid.split("#")[0], title="t", text="Orders leave within 2 business days.",
                   platform="all", topic="shipping", score=1.0)


def test_cited_passages_found_by_a_plan_are_added_once_and_uncited_ones_are_not() -> None:
    turn = [{"id": "a#1"}, {"id": "b#1"}, {"id": "a#1"}]
    searched = {"c#1": _passage("c#1"), "d#1": _passage("d#1"), "a#1": _passage("a#1")}
    kept = _with_cited(turn, searched, ["c#1", "a#1", "c#1"])
    assert [p["id"] for p in kept] == ["a#1", "b#1", "c#1"]  # d#1 was found but not quoted


def test_a_delivery_estimate_quotes_both_parts_and_every_number_is_grounded(say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    customer = next(c.id for c in store.list_customers() if c.identity_on("tiktok"))
    trace = say(customer, "tiktok", "how long does shipping take? thinking of ordering the wool blanket today")
    draft = trace.draft or ""
    assert "2 business days" in draft and "transit" in draft.lower(), draft
    assert not (trace.compliance or {}).get("violations"), trace.compliance

"""The intent table (agent/intents.py) is the one place each intent's behaviour is written: these tests keep
it complete and keep the parts that read it in step with it."""

from __future__ import annotations

from agent import intents, plans, seller_settings, templates_es
from agent.intents import INTENT_TABLE, intents_where, spec
from agent.nodes import act, retrieve
from agent.order_resolver import TIME_SENSITIVE
from agent.requests import NOT_REQUESTS, READ_ONLY_ANSWERS
from agent.schemas import INTENTS
from agent.triage.classifier import load_examples


def test_the_table_lists_every_intent_in_schema_order() -> None:
    assert tuple(INTENT_TABLE) == INTENTS
    assert all(name == s.name for name, s in INTENT_TABLE.items())


def test_every_intent_has_a_plan_or_goes_to_a_person_never_both() -> None:
    for s in INTENT_TABLE.values():
        assert (s.plan is None) == (s.handoff_reason is not None), s.name
    assert set(plans.PLANS) | set(plans.HANDOFF_INTENTS) == set(INTENTS)
    assert not set(plans.PLANS) & set(plans.HANDOFF_INTENTS)
    for name, plan in plans.PLANS.items():
        assert plan.__name__ == INTENT_TABLE[name].plan  # type: ignore[index]


def test_an_intent_that_always_goes_to_a_person_never_auto_sends_by_default() -> None:
    for s in INTENT_TABLE.values():
        if s.handoff_reason:
            assert not s.auto_send_default and not s.spanish, s.name
    assert set(seller_settings.DEFAULT_AUTO_SEND) == intents_where(auto_send_default=True)


def test_the_parts_read_their_sets_from_the_table() -> None:
    assert act.NEEDS_CUSTOMER == intents_where(needs_customer=True)
    assert retrieve.NO_RETRIEVAL == intents_where(retrieval=False)
    assert READ_ONLY_ANSWERS == {"order_status", "refund_status", "policy_question", "product_question"}
    assert NOT_REQUESTS == {"other", "review_feedback", "complaint"}
    assert TIME_SENSITIVE == {"order_status", "cancel_order", "change_address", "refund_status"}
    assert templates_es.SPANISH_INTENTS == intents_where(spanish=True)


def test_a_request_that_needs_an_order_state_also_needs_the_customer() -> None:
    for s in INTENT_TABLE.values():
        if s.order_states and s.is_request:
            assert s.needs_customer, s.name
        if s.time_sensitive:
            assert s.order_states, s.name


def test_an_unknown_name_has_no_row() -> None:
    assert spec("refund_status") is INTENT_TABLE["refund_status"]
    assert spec("make_me_a_sandwich") is None
    assert intents.handoff_intents()["claim_or_chargeback"]


def test_every_intent_has_labelled_examples_for_the_classifier() -> None:
    _, labels = load_examples()
    counts = {name: labels.count(name) for name in INTENTS}
    assert min(counts.values()) >= 50, counts

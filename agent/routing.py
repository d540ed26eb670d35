"""route: auto-send, human review or handoff, from the seller's settings and what the run found.

Pure function of its inputs, so every routing rule is testable without a graph. Handoff means a
person takes the conversation (nothing is drafted for them to approve); review means a person
approves, edits or rejects the draft before it goes.
"""

from __future__ import annotations

from datetime import datetime

from agent.answer_gate import review_reason as gate_reason
from agent.clocks import reply_deadline
from agent.schemas import ComplianceReport, Decision, Priority, Triage
from agent.templates_es import answers_in
from agent.urgency import clock_urgency, rank
from agent.seller_settings import SellerSettings
from tools.policy.loader import PlatformPolicy

HANDOFF_FLAGS = {
    "legal_threat": "legal threat",
    "bbb_or_attorney_general": "BBB or attorney-general complaint",
    "injury_or_safety": "injury or safety report",
    "claim_or_chargeback": "claim or chargeback",
    "asks_for_person": "asked for a person",  # the disclosure article: a person, any time, for the rest of it
}
HELD_FLAGS = frozenset(HANDOFF_FLAGS)  # flags that outlive their message: a person clears them in the console


def held_flags(flags: list[str]) -> list[str]:
    """The flags of a conversation that keep every later message with a person until cleared."""
    return [f for f in flags if f in HELD_FLAGS]


REVIEW_FLAGS = {
    "prompt_injection": "message tries to instruct the assistant",
    "review_manipulation": "review tied to money",
    "off_platform_request": "asks to move off the platform",
    "abusive": "abusive language",
    "other_customer_data": "mentions another customer's data",
    "asks_for_exception": "asks for an exception to a policy (the seller's call)",
    "cites_promise": "says someone on the seller's side promised or told them something earlier: check what was said",
}


PRIORITY: dict[str, Priority] = {"critical": "urgent", "high": "high", "normal": "normal", "low": "low"}


def priority_for(urgency: str | None, hours_left: float) -> Priority:
    """The handoff priority: the message's urgency (agent/urgency.py), never below what the reply clock alone
    asks for on the same thresholds, so the priority and the urgency a person sees never disagree."""
    level: str = urgency if urgency in PRIORITY else "normal"
    clock: str = clock_urgency(hours_left)
    return PRIORITY[max(level, clock, key=rank) if clock != "normal" else level]


def decide(*, triage: Triage, policy: PlatformPolicy, settings: SellerSettings, received_at: datetime, now: datetime,
           has_draft: bool, compliance: ComplianceReport | None, handoff_reason: str | None,
           review_reason: str | None, needs_approval: bool, human_approved: bool,
           answered_by_rule: bool = False, unauthenticated: str | None = None,
           ungrounded: list[str] | None = None, model_written: bool = False,
           open_questions: list[str] | None = None, topic_change: str | None = None) -> Decision:
    """`answered_by_rule`: the reply follows from a risk flag, not from the intent, so neither the classifier's
    confidence nor the intents the seller lets auto-send matter for it. `unauthenticated`: why nobody vouches for the sender (an email
    without a DMARC pass); such a reply never goes out without a person. `ungrounded`: facts of a
    model-written draft that map to no tool result or passage (agent/grounding.py): a person looks.
    `model_written`: the model wrote or worded the draft; it goes out alone only where the seller turned
    the channel's `model_wording` on (the guards check facts, not every shade of meaning). `open_questions`:
    questions of the message the reply does not answer (agent/answer_gate.py): a person answers them.
    `topic_change`: the agent waited for the customer's answer and this message reads as another topic
    (agent/send_gate.py): it may be that answer in other words, so a person reads the reply first."""
    reasons_handoff = [HANDOFF_FLAGS[f] for f in triage.risk_flags if f in HANDOFF_FLAGS]
    if not answers_in(triage.language, triage.intent):  # Spanish: order status, returns, refunds, cancellations
        reasons_handoff.append(f"message not in English ({triage.language})")
    if handoff_reason:
        reasons_handoff.append(handoff_reason)
    if triage.confidence < settings.handoff_confidence and triage.source in ("classifier", "llm") \
            and not answered_by_rule:
        reasons_handoff.append(f"not confident about the topic ({triage.confidence:.2f})")
    if not has_draft and not reasons_handoff:
        reasons_handoff.append("no draft")
    deadline = reply_deadline(policy, received_at, list(triage.risk_flags))
    hours_left = (deadline - now).total_seconds() / 3600
    priority = priority_for(triage.urgency, hours_left)
    unproven = f"sender not authenticated ({unauthenticated})" if unauthenticated and not human_approved else None
    if reasons_handoff:
        if unproven and not any(r.startswith("sender not authenticated") for r in reasons_handoff):
            reasons_handoff.append(unproven)
        return Decision(route="handoff", reasons=reasons_handoff, deadline=deadline, priority=priority)
    review: list[str] = [REVIEW_FLAGS[f] for f in triage.risk_flags if f in REVIEW_FLAGS
                         and not (f == "off_platform_request" and policy.messaging.off_platform_contact_allowed)]
    # on the seller's own store and Meta shops "your website" or "email me" is not leaving a platform
    channel = settings.channel(policy.platform)
    if compliance is not None and not compliance.ok:
        review.append("compliance: " + ", ".join(compliance.rules))
    if needs_approval and not human_approved:
        review.append("a write above the seller's threshold needs approval")
    if review_reason:
        review.append(review_reason)
    if unproven:
        review.append(unproven)
    if open_questions and not human_approved:
        review.append(gate_reason(open_questions) or "")
    if topic_change and not human_approved:
        review.append(topic_change)
    if ungrounded and not human_approved:  # a model-written fact the evidence does not back is never auto-sent
        review.append("facts not in the evidence: " + "; ".join(ungrounded[:3]))
    if not human_approved:
        if not channel.autopilot:  # draft-only: that alone keeps it; which intents may go is a later choice
            review.append(f"autopilot is off for {policy.display_name}")
        elif triage.intent not in channel.auto_send_intents and not answered_by_rule:
            review.append(f"intent {triage.intent} is not set to auto-send")
        if triage.confidence < settings.min_confidence and not answered_by_rule:
            review.append(f"low confidence ({triage.confidence:.2f})")
        if model_written and not channel.model_wording:
            review.append(f"the model wrote this reply and model wording is off for {policy.display_name}")
        if not channel.auto_send_outside_business_hours and not settings.business_hours.is_open(now):
            review.append("outside business hours")
    if review:
        return Decision(route="review", reasons=review, deadline=deadline, priority=priority)
    return Decision(route="auto_send", reasons=["all checks passed"], deadline=deadline, priority=priority)

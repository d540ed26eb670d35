"""route: turn the run's findings into a Decision and pick the next node."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from langgraph.runtime import Runtime

from agent.answer_check import Given, coverage, residual, situation_concepts
from agent.answer_gate import Asked, unanswered
from agent.attachment_turn import attachment_review_reason
from agent.clocks import reply_deadline
from agent.context import AgentContext
from agent.intent_vocabulary import vocabulary
from agent.routing import decide
from agent.send_gate import clarifying_questions, topic_change
from agent.schemas import Route, Triage
from agent.state import AgentState, Status
from agent.urgency import Assessment, UrgencySignals, assess, clock_name, findings_from_run
from tools.policy.loader import PlatformPolicy

STATUS: dict[Route, Status] = {"auto_send": "draft_ready", "review": "needs_approval", "handoff": "handed_off"}
RULE_ANSWERS = {"stay_on_platform", "bot_disclosure"}  # replies chosen by a risk flag, whatever the intent
NEXT: dict[Route, Literal["send", "review", "handoff"]] = {"auto_send": "send", "review": "review", "handoff": "handoff"}


def route(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    outcome = state.get("outcome")
    compliance = state.get("compliance")
    pending = state.get("pending_action")
    review = state.get("review") or {}
    draft = state.get("draft")
    triage = Triage.model_validate(state["triage"])  # a model already; validating it says it is not None
    policy = ctx.policies[state["platform"]]
    received_at, now = datetime.fromisoformat(state["received_at"]), ctx.clock.now()
    urgency = _urgency(state, triage, policy, received_at, now)
    decision = decide(
        triage=triage.model_copy(update={"urgency": urgency.level}), policy=policy,  # the priority follows it
        settings=ctx.seller_settings, received_at=received_at, now=now,
        has_draft=bool(state.get("draft")), compliance=compliance,
        handoff_reason=outcome.handoff_reason if outcome else None,
        review_reason=None if review.get("action") == "approve" else
        attachment_review_reason(state, outcome.review_reason if outcome else None),  # words + a photo: a person sees it
        needs_approval=bool(pending and pending.needs_approval), human_approved=review.get("action") == "approve",
        answered_by_rule=outcome is not None and outcome.template in RULE_ANSWERS,
        unauthenticated=None if state.get("identity_verified", True) else state.get("identity_note") or "no proof",
        ungrounded=[] if draft is None or draft.engine == "human" else draft.ungrounded,
        model_written=draft is not None and draft.engine == "llm",
        open_questions=_open_questions(state, ctx.product_names()),
        topic_change=topic_change(state.get("prior_turn"), triage.intent, triage.source),
    )
    if decision.route == "handoff":
        decision.handoff_summary = handoff_summary(state, decision.reasons)
    # triage keeps the text rules' urgency (an input, so a second pass after a review never raises it twice)
    decision.urgency, decision.urgency_reasons = urgency.level, list(urgency.reasons)
    return {"decision": decision, "status": STATUS[decision.route]}


def _urgency(state: AgentState, triage: Triage, policy: PlatformPolicy, received_at: datetime,
             now: datetime) -> Assessment:
    """The message's urgency now that the plan ran: risk, tone, the reply clock, the order and what the tools found."""
    hours_left = (reply_deadline(policy, received_at, list(triage.risk_flags)) - now).total_seconds() / 3600
    return assess(UrgencySignals(
        text_urgency=triage.urgency, risk_flags=list(triage.risk_flags), sentiment=triage.sentiment,
        hours_left=hours_left, clock=clock_name(policy, triage.risk_flags),
        findings=findings_from_run(state.get("outcome"), state.get("tool_results", []), now.date())))


def _open_questions(state: AgentState, product_names: list[str]) -> list[str]:
    """The message's questions the draft leaves unanswered (none for a person's own words). Catalog names
    count only weakly: "is the Beacon lantern waterproof?" is answered by the waterproofing, named or not.
    A reply that only asks which order has no questions recorded by a plan: the message's own are checked
    for what they ask beyond the request's topic."""
    draft = state.get("draft")
    triage = state.get("triage")
    asked = [Asked(**a) for a in state.get("asked") or []] or clarifying_questions(
        state.get("text", ""), triage.intent if triage else "other", triage.confidence if triage else 0.0,
        state.get("outcome"), state.get("asked"))  # a reply that only asks which order: the rest waits (agent/send_gate.py)
    if not draft or draft.engine == "human" or not asked:
        return []
    return unanswered(asked, draft.text, lambda q, reply: coverage(q, reply, product_names).answered,
                      lambda a, reply: residual(a.text, reply, _given(a), product_names=product_names,
                                                keep_asks=not a.answered_by_plan).answered)


def _given(asked: Asked) -> Given:
    """What a plan's answer already speaks to for this question: its intent's own words, and for a question the
    plan answered, the order's situation words too ("is it too late to return it?", "where's my refund for the
    apron I sent back?"); what it names beyond them (the original box, a holiday closing) must be in the reply."""
    given = vocabulary(asked.plan_intent or asked.intent)
    return given.with_concepts(situation_concepts()) if asked.answered_by_plan else given


def handoff_summary(state: AgentState, reasons: list[str]) -> str:
    triage = state.get("triage")
    found = [f"{r['name']}: {'ok' if r['ok'] else r.get('error')}" for r in state.get("tool_results", [])]
    parts = [
        f"Customer {state.get('customer_name') or 'unknown'} ({state.get('customer_id') or 'not matched'}) on "
        f"{state['platform']} wrote: \"{state['text'][:300]}\"",
        f"Intent {triage.intent if triage else None} (confidence {triage.confidence if triage else None}), flags: "
        f"{', '.join(triage.risk_flags if triage else []) or 'none'}.",
        f"Why a person: {'; '.join(reasons)}.",
    ]
    if state.get("active_order_id"):
        parts.append(f"Order: {state['active_order_id']}.")
    if found:
        parts.append("Looked up: " + "; ".join(found) + ".")
    return " ".join(parts)


def after_route(state: AgentState) -> Literal["send", "review", "handoff"]:
    decision = state.get("decision")
    return NEXT[decision.route if decision else "handoff"]

"""draft: the reply in the brand voice and the platform's format.

Templates filled only with tool results and passages are the draft; with an LLM configured and the
channel's `model_wording` setting on (off by default), the model may re-phrase it from the same facts. The wording is kept only if every fact it states maps to
a fact of the template or the evidence, bound to the same order (agent/grounding.py); otherwise the
template goes out as it is and the trace says why. A model-written draft (a long-tail answer, or a
rewrite after a failed check) whose facts do not all map is marked `ungrounded`, and route sends it to
a person. A rewrite request after a failed check goes to the LLM; without one, the draft goes to a human.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.grounding import Evidence, check_draft, check_rewording, evidence_facts
from agent.llm_engine import llm_phrase, llm_rewrite
from agent.schemas import Draft
from agent.state import AgentState, dump
from agent.templates import SIGN_OFF, render
from agent.tone import opening_for
from agent.templates_es import NoSpanish, read_from_english, reply_language, split_extra


def _evidence(state: AgentState, ctx: AgentContext | None = None) -> Evidence:
    """What a model-written reply may state: every tool result, the passages, the platform's and seller's
    policy files, what the customer and the earlier turns said (the order under discussion, the proposed
    action), the customer's first name and the seller's sign-off. Without a context (evals re-asking the
    question afterwards) the policy files are read from disk."""
    from tools.policy.loader import load_policies, load_seller

    policy = (ctx.policies if ctx else load_policies())[state["platform"]]
    seller = ctx.seller if ctx else load_seller()
    results = state.get("tool_results", [])
    data = [r["data"] for r in results if r.get("data")]
    data.append({"active_order_id": state.get("active_order_id"), "pending_action": dump(state.get("pending_action"))})
    return evidence_facts(
        data, [p["text"] for p in state.get("passages", [])], customer_text=state.get("text", ""),
        customer_name=state.get("customer_name"), sign_offs=[SIGN_OFF],
        done_actions=[r["name"] for r in results if r.get("ok") and r.get("write")],
        policies=[policy.model_dump(mode="json"), seller.model_dump(mode="json")])


def _template_text(state: AgentState) -> str | None:
    """The deterministic draft for this turn (None for a long-tail answer the model wrote itself)."""
    outcome = state.get("outcome")
    template = outcome.template if outcome else None
    if not outcome or not template or template in ("handoff", "llm_answer"):
        return None
    name = (state.get("customer_name") or "").split(" ")[0] or None
    try:
        return render(template, outcome.slots, first_name=name, extra=outcome.extra,
                      language=_language(state), opening=opening_for(state, _language(state)))
    except NoSpanish:
        return None


def _language(state: AgentState) -> str:
    """The reply's language: the message's, or for a message too short to tell ("Sí") the conversation's."""
    earlier = [str(m.content) for m in state.get("messages", [])[:-1] if getattr(m, "type", "") == "human"]
    triage = state.get("triage")
    return reply_language(triage.language if triage else None, state.get("text", ""), earlier)


def draft(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    outcome = state.get("outcome")
    current = state.get("draft")
    if current and state.get("rewrites", 0) > 0 and ctx.llm is not None and _language(state) == "es":
        # no model rewrite of a Spanish reply (the guards read English first): it goes to a person as it is
        return {"draft": current.model_copy(update={"rewritten": True}), "engine_notes": [
            *state.get("engine_notes", []), "no model rewrite for a Spanish reply: a person checks it"]}
    if current and state.get("rewrites", 0) > 0 and ctx.llm is not None:
        compliance = state.get("compliance")
        violations = [f"{v.rule}: {v.message}" for v in (compliance.violations if compliance else [])]
        facts = [r["data"] for r in state.get("tool_results", []) if r.get("ok") and r.get("data")]
        notes: list[str] = []
        rewritten = llm_rewrite(ctx, current.text, violations, facts, passages=state.get("passages", []), notes=notes)
        text = rewritten or current.text
        grounded = check_draft(text, _evidence(state, ctx), _template_text(state))
        if not grounded.ok:
            notes.append("rewrite states facts the evidence does not support: " + "; ".join(grounded.reasons))
        return {"draft": current.model_copy(update={"text": text, "engine": "llm", "rewritten": True,
                                                    "ungrounded": grounded.reasons}),
                "engine_notes": [*state.get("engine_notes", []), *notes]}
    template = outcome.template if outcome else None
    if not outcome or not template or template == "handoff":
        return {"draft": None}
    name = (state.get("customer_name") or "").split(" ")[0] or None
    facts = [r["data"] for r in state.get("tool_results", []) if r.get("ok") and r.get("data")]
    done = [r["name"] for r in state.get("tool_results", []) if r.get("ok") and r.get("write")]
    notes = []
    discarded: list[str] = []
    ungrounded: list[str] = []
    if template == "llm_answer":
        text, engine = outcome.slots["answer"], "llm"
        ungrounded = check_draft(text, _evidence(state, ctx)).reasons
        if ungrounded:
            notes.append("the model's answer states facts the evidence does not support: " + "; ".join(ungrounded))
    else:
        language = _language(state)
        extra, untold = split_extra(outcome.extra) if language == "es" else (outcome.extra, [])
        try:
            text, engine = render(template, outcome.slots, first_name=name, extra=extra,
                                  language=language, opening=opening_for(state, language)), "templates"
        except NoSpanish as exc:  # never an English reply to a Spanish writer: a person answers
            return {"draft": None, "outcome": outcome.model_copy(update={"handoff_reason": f"no Spanish reply: {exc}"}),
                    "engine_notes": [*state.get("engine_notes", []), f"no Spanish reply ({exc}): a person answers"]}
        checks = []  # why a person looks at this Spanish reply first
        if untold:  # further answers with no Spanish wording are left out; a person completes the reply
            checks.append("part of the answer has no Spanish wording: " + "; ".join(untold))
            notes.append("left out of the Spanish reply: " + "; ".join(untold))
        if language == "es" and not done and (guessed := read_from_english(template, extra)):
            checks.append(f"Spanish message: {', '.join(guessed)} states what the plan read from English words "
                          "(the return reason decides the fee, return shipping and window): check it")
        if checks:
            outcome = outcome.model_copy(update={"review_reason": "; ".join(filter(None, [outcome.review_reason, *checks]))})
        # model wording only on English replies: the guards (grounding, speech acts, compliance) read English first
        if language == "en" and ctx.llm is not None and \
                ctx.seller_settings.channel(state["platform"]).model_wording:
            phrased = llm_phrase(ctx, state, text, facts, state.get("passages", []), name, notes=notes)
            if phrased:
                kept = check_rewording(text, phrased, _evidence(state, ctx))
                if kept.ok:
                    text, engine = phrased, "llm"
                else:
                    discarded = kept.reasons
                    notes.append("model wording discarded, template sent: " + "; ".join(kept.reasons))
    result = Draft(text=text, citations=outcome.citations, facts=[], claims_actions=done,
                   engine=engine, rewording_discarded=discarded, ungrounded=ungrounded)  # type: ignore[arg-type]
    return {"draft": result, "engine_notes": [*state.get("engine_notes", []), *notes],
            **({"outcome": outcome} if outcome is not state.get("outcome") else {})}

"""act: run the plan for the intent (or, for the long tail, let the LLM call tools).

The model is not asked to answer a message the route will hand to a person anyway (an unsure topic):
its answer would be discarded, and the call is the slowest step of a turn.

Tools get the identity from the conversation and a confirmation only when the customer's yes (or a
human's approval) matches the pending action exactly. Writes carry an idempotency key made of the
conversation and turn, so a run resumed after a crash replays a finished write instead of repeating it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, replace
from typing import Any

from langgraph.runtime import Runtime

from agent.attachment_turn import attachment_outcome
from agent.context import AgentContext
from agent.llm_engine import handoff_already_decided, llm_answer
from agent.intents import intents_where
from agent.plans import HANDOFF_INTENTS, PlanInput, PlanOutcome, order_named_by_product, run_plan
from agent.answer_gate import Asked, questions
from agent.requests import READ_ONLY_ANSWERS, UNFAMILIAR, pieces, split_requests, unsure_requests
from agent.routing import HANDOFF_FLAGS
from agent.schemas import Passage, Triage
from agent.state import AgentState, customer_words, settled
from agent.templates_es import answers_in
from agent.tone import DISCLOSURE_TEMPLATE, disclosure_only
from agent.triage import rules
from agent.triage.classifier import LOOKUPS, IntentGuess
from tools.context import ToolContext
from tools.registry import run_tool
from tools.results import ToolResult

NEEDS_CUSTOMER = intents_where(needs_customer=True)


def act(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    ctx = runtime.context
    triage = Triage.model_validate(state["triage"])  # a model already; validating it says it is not None
    text = customer_words(state)  # an injected note's "refund now" or "do not mention this" is not a request
    pending = state.get("pending_action")
    answering = triage.source == "conversation" and pending is not None and state.get("awaiting") == "confirmation"
    confirmed = answering and rules.is_confirmation(text)
    declined = answering and not confirmed and rules.is_refusal(text)
    approved = pending is not None and state.get("approved_action") == pending
    customer = ctx.backend.get_customer(state["customer_id"]) if state.get("customer_id") else None
    tool_ctx = ToolContext(
        backend=ctx.backend, customer_id=state.get("customer_id"), platform=state["platform"],
        refund_approval_threshold=ctx.seller_settings.refund_approval_threshold,
        confirmed=pending if (confirmed or approved) else None, approved=approved,
        idempotency_prefix=f"{state['conversation_id']}:{state.get('turn', 1)}",
        clock=ctx.clock, policies=ctx.policies, seller=ctx.seller,
        identity_verified=state.get("identity_verified", True), verified_email=state.get("verified_email"),
    )
    results: list[ToolResult] = []
    passages_update: list[dict[str, Any]] | None = None
    searched: dict[str, Passage] = {}  # every passage a plan's own searches returned, by id
    asked: list[Asked] = []

    def run(name: str, args: dict[str, Any]) -> ToolResult:
        result = run_tool(tool_ctx, name, args)
        results.append(result)
        return result

    intent = triage.intent
    notes: list[str] = []
    if (photo := attachment_outcome(state)) is not None:  # a photo alone: a person looks (the engine cannot)
        outcome = PlanOutcome(**photo)
    elif set(triage.risk_flags) & set(HANDOFF_FLAGS) or not answers_in(triage.language, intent):
        outcome = PlanOutcome(template="handoff")  # a person answers these; nothing is looked up or drafted
    elif "off_platform_request" in triage.risk_flags and not ctx.policies[state["platform"]].messaging.off_platform_contact_allowed:
        # the marketplace forbids moving buyers off it: say so instead of answering around the request
        outcome = PlanOutcome(template="stay_on_platform",
                              slots={"platform_name": ctx.policies[state["platform"]].display_name},
                              review_reason="asked to continue or pay off the platform")
    elif "asks_if_automated" in triage.risk_flags and (intent == "other" or disclosure_only(text)):
        # "are you a bot?": the honest answer (agent/tone.py) is the reply; anything more in a message no plan
        # answers is for a person to read before it goes
        outcome = PlanOutcome(template=DISCLOSURE_TEMPLATE, review_reason=None if disclosure_only(text) else
                              "the message says more than \"are you a bot?\" and no plan answers the rest")
    elif customer is None and intent in NEEDS_CUSTOMER:
        outcome = PlanOutcome(template="handoff", handoff_reason="could not match the sender to a customer account"
                              if state.get("identity_verified", True) else "sender not authenticated")
    elif intent == "other" and ctx.llm is not None and not triage.risk_flags:
        if decided := handoff_already_decided(ctx, state):
            outcome = PlanOutcome(template="handoff")  # a person answers; the model's answer would be discarded
            notes.append(f"no LLM answer: the message goes to a person ({'; '.join(decided)})")
        else:
            outcome = llm_answer(ctx, tool_ctx, state, run)
    else:
        plan_input = PlanInput(
            intent=intent, triage=triage, text=text, platform=state["platform"], customer=customer,
            passages=[Passage.model_validate(p) for p in state.get("passages", [])], run=run,
            today=ctx.clock.now().date(), policy=ctx.policies[state["platform"]], seller=ctx.seller,
            search=_searcher(ctx, state["platform"], searched), sections=_sections(ctx, state["platform"], searched),
            active_order_id=state.get("active_order_id"), pending_action=pending,
            confirmed=confirmed or approved, declined=declined,
        )
        outcome = run_plan(plan_input)
        passages_update = _with_cited(state.get("passages", []), searched, outcome.citations)
        if triage.source != "conversation" and outcome.template not in UNANSWERED:
            outcome, extra_passages, asked = _further_requests(ctx, plan_input, outcome)
            passages_update = _with_cited([*passages_update, *extra_passages], searched, outcome.citations)
            if "asks_if_automated" in triage.risk_flags:  # the reply opens with the honest answer (agent/tone.py)
                asked = [replace(a, answered_by_plan=True, plan_intent=None) if rules.asks_if_automated(a.text) else a
                         for a in asked]
    executed = any(r.ok and r.write for r in results)
    keep_pending = outcome.pending_action or (pending if not (executed or declined or intent in HANDOFF_INTENTS) and
                                              outcome.awaiting == "confirmation" else None)
    return {
        "tool_results": [r.model_dump(mode="json") for r in results],
        "outcome": settled(outcome),
        "active_intent": intent if intent not in HANDOFF_INTENTS else state.get("active_intent"),
        "active_order_id": outcome.order_id or state.get("active_order_id"),
        "pending_action": settled(keep_pending) if keep_pending else None,
        "awaiting": outcome.awaiting,
        "approved_action": None,
        "asked": [asdict(a) for a in asked],
        **({"passages": passages_update} if passages_update is not None else {}),
        **({"engine_notes": [*state.get("engine_notes", []), *notes]} if notes else {}),
    }


UNANSWERED = frozenset({"handoff", "which_order", "no_orders", "order_not_found", "llm_answer"})
ORDER_STATE_ANSWERS = intents_where(states_order=True)


PASSAGE_ANSWERS = frozenset({"policy_answer", "product_answer"})  # answered by quoted text, not a tool result


def _in_context(guess: IntentGuess, main_intent: str) -> IntentGuess:
    """A piece read on its own as a policy question, whose other reading is the message's own order lookup
    ("I need to return my order 1234. How do I start the return?"), belongs to that request: the message
    already says whose order it is, which the piece alone cannot (agent/triage/classifier.py)."""
    if guess.intent == "policy_question" and guess.runner_up == main_intent and main_intent in LOOKUPS:
        return IntentGuess(intent=main_intent, confidence=guess.confidence, nearest_similarity=guess.nearest_similarity,
                           runner_up="policy_question")
    return guess


NO_READING = 0.45  # below this a piece's intent is a guess among several: it may well be the main request


def _primary_question(asked: list[str], read: dict[str, IntentGuess], main_intent: str) -> str | None:
    """The question the main plan answers: the first read as the main intent; failing that, the first whose
    other reading is the main intent, or that has no reading to speak of (unsure, or unlike every example: a
    piece alone lacks the message's context).
    A question read confidently as something else ("I want to return it. Would your 4-person tent fit a
    family of four?") is not the main request: it must be answered in words, or a person answers it."""
    first = next((q for q in asked if read[q].intent == main_intent), None)
    if first is not None:
        return first
    return next((q for q in asked if read[q].runner_up == main_intent or read[q].confidence < NO_READING
                 or read[q].nearest_similarity < UNFAMILIAR), None)


def _further_requests(ctx: AgentContext, main: PlanInput, outcome: PlanOutcome) -> tuple[PlanOutcome, list[dict[str, Any]], list[Asked]]:
    """Answer the message's other requests in the same reply where a read-only plan can (never a write: a
    second action waits for its own message); the ones it cannot answer keep the reply for a person.
    Also returns every question of the message with whether a plan's tool result answers it, for the
    auto-send gate (agent/answer_gate.py), which checks the rest against the reply's words."""
    asked_texts = questions(main.text)
    request_texts = pieces(main.text)
    texts = list(dict.fromkeys([*request_texts, *asked_texts]))
    if len(request_texts) < 2 and len(asked_texts) <= 1:  # one question at most: the message's own reading
        read = {t: IntentGuess(intent=main.intent, confidence=main.triage.confidence, nearest_similarity=1.0,
                               runner_up=None) for t in texts}
    else:
        read = {t: _in_context(g, main.intent) for t, g in zip(texts, ctx.classifier.classify_many(texts), strict=True)}
    extra: list[dict[str, Any]] = []
    unanswered: list[str] = []
    by_plan: set[str] = set()  # question pieces whose answer is a tool result
    held: list[str] = []  # review reasons of the further answers
    citations = list(outcome.citations)
    passages: list[dict[str, Any]] = []
    requests = split_requests(main.text, main.intent, lambda batch: [read[t] for t in batch])
    for request in requests:
        if request.intent not in READ_ONLY_ANSWERS:
            unanswered.append(request.intent)
            continue
        found = main.search(request.text, None) if main.search else []
        piece = replace(main, intent=request.intent, text=request.text, pending_action=None, confirmed=False,
                        declined=False, passages=found or main.passages)
        # a piece naming another order's product is about that order, not the main request's
        named = order_named_by_product(piece) if request.intent in NEEDS_CUSTOMER else None
        sub = run_plan(replace(piece, active_order_id=named or outcome.order_id or main.active_order_id))
        if sub.template in UNANSWERED:
            unanswered.append(request.intent)
            continue
        if sub.template in PASSAGE_ANSWERS and sub.citations and set(sub.citations) <= set(outcome.citations):
            continue  # the main answer already quotes every section this piece's answer would (a notice, whole)
        if sub.template not in PASSAGE_ANSWERS:
            by_plan.add(request.text)
        if sub.order_id and sub.order_id == outcome.order_id and request.intent in ORDER_STATE_ANSWERS \
                and main.intent in ORDER_STATE_ANSWERS:
            continue  # the main answer already says where this order stands (a return offer does not)

        extra.append({"template": sub.template, "slots": sub.slots})
        if sub.review_reason:  # the further answer is not sure either: a person reads the whole reply
            held.append(sub.review_reason)
        citations += [c for c in sub.citations if c not in citations]
        passages += [p.model_dump(mode="json") for p in found if p.id in sub.citations]
    # a piece asking for an action, read too unsure to be a request of its own, is still asked: a person sees it
    unanswered += unsure_requests(request_texts, [read[t] for t in request_texts], main.intent,
                                  {r.intent for r in requests})
    primary = _primary_question(asked_texts, read, main.intent)
    if primary is not None and outcome.template not in PASSAGE_ANSWERS:
        by_plan.add(primary)  # the main plan answered (or asked what it needs to answer) the main question
    # every question a plan speaks to is checked for what it adds beyond that plan's topic (agent/answer_gate.py):
    # a further question on the main request's topic ("how do I pause it? is there a fee for pausing?"), and the
    # plan's own question too ("do I have to fit it back in the original box? when do I get my refund?": the
    # refund answer says nothing of the box)
    same_topic = main.intent if outcome.template not in PASSAGE_ANSWERS else None

    def topic_of(q: str) -> str | None:
        if q == primary and q in by_plan:
            return main.intent
        if q in by_plan:
            return read[q].intent
        return same_topic if read[q].intent == main.intent else None

    asked = [Asked(q, read[q].intent, read[q].confidence, answered_by_plan=q in by_plan, plan_intent=topic_of(q))
             for q in asked_texts]
    if not extra and not unanswered:
        return outcome, [], asked
    review = outcome.review_reason or (
        f"the message also asks about {', '.join(r.replace('_', ' ') for r in unanswered)}, which this reply does "
        "not answer" if unanswered else None) or (held[0] if held else None)
    return outcome.model_copy(update={"extra": [*outcome.extra, *extra], "unanswered": unanswered, "citations": citations,
                                      "review_reason": review}), passages, asked


DOC_SECTIONS = 12  # more than any article's sections


def _kept(hits: Any, seen: dict[str, Passage]) -> list[Passage]:
    """The retriever's hits as the plans' passages, each kept in `seen` so one a plan quotes joins the evidence."""
    found = [Passage.model_validate(p.model_dump(exclude={"section", "similarity"})) for p in hits]
    seen.update((p.id, p) for p in found)
    return found


def _sections(ctx: AgentContext, platform: str, seen: dict[str, Passage]) -> Callable[[str], list[Passage]] | None:
    """Every section of one article the customer's channel may see, in the article's order as ranked by its
    title, for a plan that quotes an article whole (a notice); kept in `seen` like any search's passages."""
    retriever = ctx.retriever
    if retriever is None:
        return None

    def sections(doc_id: str) -> list[Passage]:
        return _kept(retriever.search(doc_id.replace("-", " "), platform=platform, k=DOC_SECTIONS, doc_id=doc_id),
                     seen)

    return sections


def _searcher(ctx: AgentContext, platform: str, seen: dict[str, Passage]):  # type: ignore[no-untyped-def]
    """Knowledge search scoped to the customer's platform, for plans that need a specific document. Every
    passage it returns is kept in `seen`, so one a plan quotes joins the evidence the checks read."""
    retriever = ctx.retriever
    if retriever is None:
        return None

    def search(query: str, doc_id: str | None = None) -> list[Passage]:
        return _kept(retriever.search(query, platform=platform, k=3, doc_id=doc_id), seen)

    return search


def _with_cited(passages: list[dict[str, Any]], searched: dict[str, Passage], citations: list[str]) -> list[dict[str, Any]]:
    """The turn's passages plus those a plan found by its own search and quotes (a delivery estimate's transit
    section, a destination's extra days): without them grounding and the compliance check would not see the
    text the reply quotes and would hold its numbers as unsupported."""
    kept = list({p.get("id"): p for p in passages}.values())  # each passage once, where it first came
    have = {p.get("id") for p in kept}
    return [*kept, *(searched[c].model_dump(mode="json") for c in dict.fromkeys(citations)
                     if c in searched and c not in have)]

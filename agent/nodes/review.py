"""review: a LangGraph interrupt; the console (or CLI) resumes it with a person's decision.

Resume with {"action": "approve" | "edit" | "reject" | "take_over" | "deny_action", "text": ..., "reason": ...,
"pending": "approve" | "deny" | "keep"}.
Approving a pending write above the threshold runs it (act again, approved); an edited text is checked
again before it can go.

An edit while a write waits for a person's approval must say what becomes of the write (`pending`), or
nothing happens: sending the text alone used to drop the write silently. The text must not contradict the
choice (it may not say the refund is done while it is denied or kept pending):
- approve: the write runs exactly as an approval runs it; the person's text goes out once it succeeded. A
  failed write sends nothing and hands the conversation to a person with the error.
- deny: the write is dropped and the text goes out.
- keep: the text goes out as an interim reply and the write keeps waiting here, to be approved or denied
  later. It is sent as an "acknowledgment": it answers the platform's clock but not the request, so the
  conversation stays open in needs_approval instead of turning "sent" when it is delivered.

A customer message that comes while a turn waits here is carried into the new turn (agent/held_turn.py): this
node folds the earlier turn in before it waits again (one reply for both messages, the earlier write still
waiting with the turn it belongs to), and approving that write runs the plan of the message that asked for it.

Rejecting the draft or denying the write sends nothing: the customer still waits for an answer, so the
conversation stays with a person (route handoff, reason "draft rejected: ..."); the turn's status says
"rejected". Taking over hands it to a person.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Literal

from langchain_core.messages import AIMessage
from langgraph.graph import END
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from agent.compliance import check_reply
from agent.context import AgentContext
from agent.grounding import extract_facts
from agent.held_turn import combine_drafts, merge_decisions, write_turn
from agent.nodes.act import act
from agent.nodes.check import compliance_input
from agent.nodes.draft import draft as draft_node
from agent.nodes.route import handoff_summary
from agent.schemas import Decision, Draft, OutboundMessage, Triage
from agent.state import AgentState, as_model, dump
from tools.results import PendingAction

ACTIONS = {"approve", "edit", "reject", "take_over", "deny_action"}
PendingChoice = Literal["approve", "deny", "keep"]
PENDING_CHOICES: tuple[PendingChoice, ...] = ("approve", "deny", "keep")
REFUSED = "edit not sent: "
"""Starts the engine note of an edit refused before anything happened (the console shows the rest)."""

# what a write is called in a sentence ("the refund", "a return"); tool names are the action-claim kinds
_NOUNS = {"refund": "refund", "start_return": "return", "cancel_order": "cancellation",
          "change_shipping_address": "address change", "update_subscription": "subscription change"}
_CHOSE = {"deny": "deny it", "keep": "keep it pending"}


Pending = PendingAction | Mapping[str, Any] | None
"""A proposed write: the state's model, or its JSON on a trace (the console, the CLI and the audit read those)."""


def _json(pending: Pending) -> Mapping[str, Any]:
    return dump(pending) or {}


def awaits_approval(pending: Pending) -> bool:
    """A write a person must approve (above the seller's threshold), not one waiting for the customer's yes:
    that one survives an edit (the customer's yes still runs it) and a person's approval must not replace it."""
    return bool(_json(pending).get("needs_approval"))


def write_noun(pending: Pending) -> str:
    tool = str(_json(pending).get("tool") or "write")
    return _NOUNS.get(tool, tool.replace("_", " "))


def describe_pending(pending: Pending) -> str:
    """'a refund of $54.99', 'a return (start a return of 1 x ... from order ...)'."""
    pending = _json(pending)
    args = pending.get("args") or {}
    if pending.get("tool") == "refund" and args.get("amount"):
        return f"a refund of ${args['amount']}"
    summary = pending.get("summary")
    return f"a {write_noun(pending)}" + (f" ({summary})" if summary else "")


def choice_problem(text: str, pending: Pending, choice: str | None) -> str | None:
    """Why an edited reply cannot go with this choice, or None. No choice is needed (and one given is not
    used) unless a write awaits approval. A text claiming the write was done (agent/grounding.py's action
    claims: "we've refunded", "your refund has been issued") contradicts deny and keep; a text the extractor
    reads no claim in is allowed."""
    if not awaits_approval(pending):
        return None
    if choice not in PENDING_CHOICES:
        return (f"{describe_pending(pending)} is waiting for approval: choose whether to approve it, deny it or "
                "keep it pending with this reply")
    if choice == "approve":
        return None
    claims = [f for f in extract_facts(text) if f.kind == "action_claim" and f.value == _json(pending).get("tool")]
    if claims:
        return (f"the reply says the {write_noun(pending)} is done (\"{claims[0].text.strip()}\") but you chose to "
                f"{_CHOSE[choice]}: reword it, or choose approve")
    return None


def review(state: AgentState, runtime: Runtime[AgentContext]) -> Command:  # type: ignore[type-arg]
    held = state.get("held_turn")
    if held and not held.get("merged"):  # the customer wrote again while an earlier reply waited here
        return Command(goto="review", update=_fold(state, runtime, held))
    current, decision = state.get("draft"), state.get("decision")
    answer = interrupt({  # JSON, as the console reads it
        "conversation_id": state["conversation_id"],
        "draft": current.text if current else None,
        "compliance": dump(state.get("compliance")),
        "reasons": decision.reasons if decision else [],
        "pending_action": dump(state.get("pending_action")),
    })
    if not isinstance(answer, dict) or answer.get("action") not in ACTIONS:
        return Command(goto="review", update={"engine_notes": [f"ignored an invalid review answer: {answer!r}"]})
    action = answer["action"]
    pending = state.get("pending_action")
    if action == "approve" and pending and pending.needs_approval and _folded_write(state):
        return _approve_folded(state, runtime, answer)
    if action == "approve" and pending and pending.needs_approval:
        return Command(goto="act", update={"approved_action": pending, "review": answer, "rewrites": 0})
    if action == "approve":
        if not state.get("draft"):
            return Command(goto="review", update={"engine_notes": ["nothing to approve: write a reply (edit)"]})
        return Command(goto="send", update={"review": answer})
    if action == "edit":
        return _edit(state, runtime, answer)
    if action == "take_over":
        return Command(goto="handoff", update={"review": answer})
    return _rejected(state, answer)


def _notes(state: AgentState, *notes: str) -> list[str]:
    return [*state.get("engine_notes", []), *notes]


def _edit(state: AgentState, runtime: Runtime[AgentContext], answer: dict[str, Any]) -> Command:  # type: ignore[type-arg]
    text = str(answer.get("text") or "").strip()
    if not text:
        return Command(goto="review", update={"engine_notes": ["an edit needs text"]})
    pending = state.get("pending_action")
    choice = answer.get("pending") if awaits_approval(pending) else None
    if problem := choice_problem(text, pending, choice):
        return Command(goto="review", update={"engine_notes": _notes(state, REFUSED + problem)})
    edited = (state.get("draft") or Draft(text=text)).model_copy(
        update={"text": text, "engine": "human", "rewritten": True})
    if choice == "approve":
        return _approve_then_send(state, runtime, answer, edited)
    report = check_reply(compliance_input(state, runtime, text), runtime.context.policies[state["platform"]])
    if not report.ok:
        return Command(goto="review", update={"draft": edited, "compliance": report})
    if choice == "keep":
        return _send_and_keep(state, runtime, answer, text)
    update: dict[str, Any] = {"draft": edited, "compliance": report, "review": answer}
    if choice == "deny":
        update.update(pending_action=None, awaiting=None, engine_notes=_notes(
            state, f"{describe_pending(pending)} denied by a person, who sent their own reply"))
    return Command(goto="send", update=update)


def _approve_then_send(state: AgentState, runtime: Runtime[AgentContext], answer: dict[str, Any],
                       edited: Draft) -> Command:  # type: ignore[type-arg]
    """Run the approved write as `approve` does (act with approved_action), then send the person's text.
    The text is checked first as if the write were done, so a refused text never follows a made refund."""
    pending = PendingAction.model_validate(state["pending_action"])  # a model already: a write awaits approval
    policy = runtime.context.policies[state["platform"]]
    planned = compliance_input(state, runtime, edited.text)
    planned = planned.model_copy(update={"done_actions": sorted({*planned.done_actions, pending.tool})})
    report = check_reply(planned, policy)
    if not report.ok:
        return Command(goto="review", update={"draft": edited, "compliance": report})
    acted = act({**state, **_write_view(state), "approved_action": pending, "review": answer, "rewrites": 0},  # type: ignore[typeddict-item]  # the write's own turn laid over this one: a view mypy cannot check key by key
                runtime)
    notes = acted.get("engine_notes", state.get("engine_notes", []))
    if failed := _write_failed(state, pending, acted, edited, answer, notes):
        return failed
    done = check_reply(compliance_input({**state, **acted}, runtime, edited.text), policy)  # type: ignore[typeddict-item]
    update = {**acted, "draft": edited, "compliance": done, "review": answer,
              "engine_notes": [*notes, f"{describe_pending(pending)} approved and made; the person's reply follows"]}
    return Command(goto="send" if done.ok else "review", update=update)


def _write_failed(state: AgentState, pending: PendingAction, acted: dict[str, Any], kept: Draft | None,
                  answer: dict[str, Any], notes: list[str]) -> Command | None:  # type: ignore[type-arg]
    """None when the approved write ran; otherwise nothing is sent and a person has the conversation."""
    write = next((r for r in acted.get("tool_results", []) if r.get("name") == pending.tool and r.get("write")), None)
    if write and write.get("ok"):
        return None
    outcome = acted.get("outcome")
    error = (write or {}).get("error") or (outcome.handoff_reason if outcome else None) or "it did not run"
    reason = f"the approved {write_noun(pending)} failed ({error}); nothing was sent"
    decision = _decided(state, route="handoff", reasons=[reason], handoff_summary=None)
    return Command(goto="handoff", update={**acted, "draft": kept, "review": answer, "decision": decision,
                                           "engine_notes": [*notes, reason]})


# ------------------------------------------------------------------ a message that came while this waited

def _fold(state: AgentState, runtime: Runtime[AgentContext], held: dict[str, Any]) -> dict[str, Any]:
    """Carry the earlier, unanswered turn into this one: one draft for both messages, the earlier write still
    waiting (unless this message proposed its own, which replaces it and says so), the more urgent decision."""
    ctx = runtime.context
    policy = ctx.policies[state["platform"]]
    held_pending = as_model(held.get("pending_action"), PendingAction)
    earlier = held_pending if awaits_approval(held_pending) else None
    new = state.get("pending_action")
    notes = [f"the customer wrote again before the reply to turn {held.get('turn')} went out: the draft answers both"]
    update: dict[str, Any] = {}
    write = None
    if earlier and not new:
        update.update(pending_action=earlier, awaiting="approval")
        write = {**(held.get("write") or {}), "part": "earlier"}
        notes.append(f"{describe_pending(earlier)} proposed for the earlier message still waits for approval")
    elif earlier and new != earlier:
        notes.append(f"{describe_pending(earlier)} proposed for the earlier message was replaced by "
                     f"{describe_pending(new)} proposed for the new one")
    if awaits_approval(new):
        write = {**write_turn(state), "part": "new"}
    tool_results = [*held.get("tool_results", []), *state.get("tool_results", [])]
    seen = {p.get("id") for p in state.get("passages", [])}
    passages = [*state.get("passages", []), *(p for p in held.get("passages", []) if p.get("id") not in seen)]
    combined = combine_drafts(as_model(held.get("draft"), Draft), state.get("draft"))
    view = {**state, **update, "tool_results": tool_results, "passages": passages,
            "text": "\n\n".join(t for t in (held.get("text"), state.get("text")) if t)}
    report = check_reply(compliance_input(view, runtime, combined.text), policy) if combined else None  # type: ignore[arg-type]
    forced = f"autopilot is off for {policy.display_name}"  # the runtime's doing for this turn, unless it was so before
    earlier_decision = as_model(held.get("decision"), Decision)
    drop = set() if earlier_decision and forced in earlier_decision.reasons else {forced}
    decision = merge_decisions(earlier_decision, Decision.model_validate(state["decision"]), drop)
    return {**update, "tool_results": tool_results, "passages": passages, "draft": combined,
            "compliance": report or state.get("compliance"),
            "decision": decision, "status": "needs_approval",
            "held_turn": {**held, "merged": True, "write": write, "earlier_draft": held.get("draft"),
                          "new_draft": dump(state.get("draft")), "new_text": state.get("text")},
            "engine_notes": _notes(state, *notes)}


def _folded_write(state: AgentState) -> dict[str, Any] | None:
    """The turn the waiting write belongs to (its JSON), when this review folded two messages together."""
    held = state.get("held_turn") or {}
    write: dict[str, Any] | None = held.get("write")
    if held.get("merged") and write and as_model(write.get("pending"), PendingAction) == state.get("pending_action"):
        return write
    return None


def _write_view(state: AgentState) -> dict[str, Any]:
    """What act must see to run the waiting write: the message that asked for it (its intent, text, order)."""
    write = _folded_write(state)
    if write is None or write.get("part") != "earlier":
        return {}
    return {"triage": as_model(write.get("triage"), Triage), "text": write.get("text", ""),
            "passages": write.get("passages", []),
            "active_order_id": write.get("active_order_id"), "outcome": None}


def _approve_folded(state: AgentState, runtime: Runtime[AgentContext], answer: dict[str, Any]) -> Command:  # type: ignore[type-arg]
    """Approve a write waiting in a folded review: run it on its own message's plan, draft that part again (the
    refund now made), put the other message's answer with it, check the whole reply, then send it."""
    held: dict[str, Any] = state["held_turn"] or {}  # a folded review holds one
    write: dict[str, Any] = held["write"]
    pending = PendingAction.model_validate(state["pending_action"])  # a model already: a write awaits approval
    view = {**state, **_write_view(state), "approved_action": pending, "review": answer, "rewrites": 0}
    acted = act(view, runtime)  # type: ignore[arg-type]
    notes = acted.get("engine_notes", state.get("engine_notes", []))
    if failed := _write_failed(state, pending, acted, state.get("draft"), answer, notes):
        return failed
    made = draft_node({**view, **acted}, runtime).get("draft")  # type: ignore[typeddict-item]  # act's update laid over the view, as the graph would merge it
    if write.get("part") == "earlier":
        combined = combine_drafts(made, as_model(held.get("new_draft"), Draft))
    else:
        combined = combine_drafts(as_model(held.get("earlier_draft"), Draft), made)
    tool_results = [*state.get("tool_results", []), *acted.get("tool_results", [])]
    done = {**state, **acted, "tool_results": tool_results}
    report = check_reply(compliance_input(done, runtime, combined.text if combined else ""),  # type: ignore[arg-type]
                         runtime.context.policies[state["platform"]])
    update = {**acted, "tool_results": tool_results, "draft": combined, "compliance": report,
              "review": answer, "pending_action": None, "awaiting": None,
              "engine_notes": [*notes, f"{describe_pending(pending)} approved and made; the reply answers both messages"]}
    return Command(goto="send" if report.ok and combined else "review", update=update)


def _send_and_keep(state: AgentState, runtime: Runtime[AgentContext], answer: dict[str, Any], text: str) -> Command:  # type: ignore[type-arg]
    """Queue the person's reply now and wait here again for the write's approval. The outbox key is the one a
    person's own reply gets (conversation:turn:human:digest), so the approval's reply (conversation:turn) still
    goes out later and a second click on the same text queues nothing."""
    ctx = runtime.context
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    ctx.outbox.enqueue(OutboundMessage(
        conversation_id=state["conversation_id"], platform=state["platform"], customer_id=state.get("customer_id"),
        text=text, idempotency_key=f"{state['conversation_id']}:{state.get('turn', 0)}:human:{digest}",
        author="human", kind="acknowledgment"), ctx.clock.now())
    note = f"a person's reply went out; {describe_pending(state.get('pending_action'))} still waits for approval"
    return Command(goto="review", update={"messages": [AIMessage(content=text)], "review": answer,
                                          "engine_notes": _notes(state, note)})


def _rejected(state: AgentState, answer: dict[str, Any]) -> Command:  # type: ignore[type-arg]
    """Reject the draft or deny the write: nothing is sent, and the conversation stays open with a person
    (the customer is still waiting) with the reason in its routing reasons and handoff note."""
    reason = str(answer.get("reason") or "").strip() or "no reason given"
    pending = state.get("pending_action")
    if answer["action"] == "deny_action" and pending:
        why = f"{describe_pending(pending)} denied: {reason}"
    else:
        why = f"draft rejected: {reason}"
    decision = _decided(state, route="handoff", reasons=[why], handoff_summary=handoff_summary(state, [why]))
    return Command(goto=END, update={"review": answer, "status": "rejected", "pending_action": None, "awaiting": None,
                                     "decision": decision})


def _decided(state: AgentState, **update: Any) -> Decision:
    """The route step's decision, changed (a review always follows one)."""
    return Decision.model_validate(state["decision"]).model_copy(update=update)

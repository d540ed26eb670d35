"""Run scenarios through the real agent on fresh copies of the demo store and check every expectation.

Each run gets its own copy of one seeded store (fixed seed and anchor, so results are comparable across
versions), its own outbox and checkpoints, and the shared knowledge index. Nothing here mocks the
agent: it is the same graph the CLI and the workers run.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from langgraph.checkpoint.memory import InMemorySaver

from agent.checkpoint import checkpoint_serde
from agent.context import AgentContext
from agent.runtime import AgentRuntime, ReplyTrace
from agent.schemas import InboundMessage
from agent.seller_settings import SellerSettings
from agent.triage.classifier import IntentClassifier
from evals.metrics import ScenarioResult
from evals.scenarios import EndState, OrderPick, Scenario, Trajectory, fill
from knowledge.retriever import Retriever
from runtime.outbox import Outbox
from tools.clock import FixedClock
from tools.models import Order
from tools.sandbox.generator import GeneratorConfig, generate
from tools.sandbox.store import SandboxStore

EVAL_SEED = 7
EVAL_ANCHOR = datetime(2026, 11, 26, tzinfo=UTC)
EVAL_NOW = EVAL_ANCHOR + timedelta(hours=9)


class ScenarioSetupError(Exception):
    """The demo store has no record matching a scenario's picks."""


@dataclass
class EvalEnvironment:
    """What every run shares: the seeded store file, the knowledge index, the classifier, the model."""

    store_template: Path
    retriever: Retriever | None
    classifier: IntentClassifier
    llm: Any | None = None
    seller_settings: SellerSettings = field(default_factory=SellerSettings)
    llm_review: bool = False


def build_store_template(folder: Path) -> Path:
    path = folder / "eval-store.db"
    with SandboxStore(path, clock=FixedClock(EVAL_NOW)) as store:
        store.load(generate(GeneratorConfig(seed=EVAL_SEED, anchor=EVAL_ANCHOR)),
                   meta={"seed": str(EVAL_SEED), "anchor": EVAL_ANCHOR.isoformat()})
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


# ---------------------------------------------------------------- choosing records

def _matches(store: SandboxStore, order: Order, pick: OrderPick) -> bool:
    if pick.id is not None and order.id != pick.id:
        return False
    if pick.status and order.status != pick.status:
        return False
    if pick.single_item is not None and (len(order.items) == 1) != pick.single_item:
        return False
    if pick.min_total is not None and float(order.total) < pick.min_total:
        return False
    if pick.max_total is not None and float(order.total) > pick.max_total:
        return False
    if pick.fulfillment and order.fulfillment_channel != pick.fulfillment:
        return False
    events = {e.type for s in order.shipments for e in s.events}
    statuses = {s.status for s in order.shipments}
    if pick.shipment == "lost" and "lost" not in statuses:
        return False
    if pick.shipment == "delayed" and not ({"delayed", "exception"} & events) or \
            pick.shipment == "delayed" and "lost" in statuses:
        return False
    if pick.shipment == "on_time" and ({"delayed", "exception", "lost"} & events):
        return False
    age = (EVAL_NOW - order.delivered_at).days if order.delivered_at else None
    if pick.delivered_within_days is not None and (age is None or age > pick.delivered_within_days):
        return False
    if pick.delivered_before_days is not None and (age is None or age < pick.delivered_before_days
                                                   or order.created_at.month in (11, 12)):
        return False
    if pick.has_refund is not None and bool(store.order_refunds(order.id)) != pick.has_refund:
        return False
    if pick.has_return is not None and bool(store.order_returns(order.id)) != pick.has_return:
        return False
    return True


def pick_order(store: SandboxStore, pick: OrderPick, *, not_customer: str | None = None,
               exclude: set[str] | None = None, variation: int = 0) -> Order:
    """The `index`-th matching order; repeated runs (variation 1, 2...) take the next matches, so pass^k
    measures the agent on several real records, not the same one k times."""
    candidates = sorted(store.find_orders(platform=pick.platform, limit=None), key=lambda o: o.id)
    found = [o for o in candidates if (not_customer is None or o.customer_id != not_customer)
             and o.id not in (exclude or set()) and _matches(store, o, pick)]
    if len(found) <= pick.index:
        raise ScenarioSetupError(f"no order matches {pick.model_dump(exclude_defaults=True)}")
    return found[(pick.index + variation) % len(found)]


def bind(store: SandboxStore, scenario: Scenario, variation: int = 0) -> tuple[str, dict[str, dict[str, Any]]]:
    """The writing customer's id and the records the scenario's placeholders refer to."""
    bindings: dict[str, dict[str, Any]] = {}
    setup = scenario.store
    customer_id = setup.customer
    if setup.order:
        order = pick_order(store, setup.order, variation=variation)
        customer_id = order.customer_id
        # the parcel a customer asks about: the first one still on its way, else the first one
        moving = [sh for sh in order.shipments if sh.status != "delivered"]
        first = (moving or order.shipments or [None])[0]
        bindings["order"] = {
            "id": order.id, "platform": order.platform, "status": order.status, "total": str(order.total),
            "tracking_number": first.tracking_number if first else "", "carrier": first.carrier if first else "",
            "first_item_title": order.items[0].title, "first_item_sku": order.items[0].sku,
        }
    if setup.subscription:
        sub = next((s for s in sorted(store.list_records("subscriptions"), key=lambda s: s.id)
                    if s.status == setup.subscription and (customer_id is None or s.customer_id == customer_id)), None)
        if sub is None:
            raise ScenarioSetupError(f"no {setup.subscription} subscription")
        customer_id = customer_id or sub.customer_id
        bindings["subscription"] = {"id": sub.id, "sku": sub.sku}
    if customer_id is None:
        raise ScenarioSetupError("no customer")
    customer = store.get_customer(customer_id)
    bindings["customer"] = {"id": customer.id, "name": customer.name, "first_name": customer.name.split()[0]}
    if setup.other:
        other = pick_order(store, setup.other, not_customer=customer_id, variation=variation)
        other_customer = store.get_customer(other.customer_id)
        bindings["other"] = {"id": other.id, "customer_name": other_customer.name, "total": str(other.total),
                             "tracking_number": other.shipments[0].tracking_number if other.shipments else "",
                             "line1": other.shipping_address.line1}
    return customer_id, bindings


def validate_scenarios(scenarios: list[Scenario], store_template: Path) -> dict[str, str]:
    """Scenario id -> why it cannot run (a pick with no match, an unknown placeholder), without running the
    agent: writers of blind sets check their files without seeing what the agent answers."""
    problems: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.db"
        shutil.copy(store_template, path)
        with SandboxStore(path, clock=FixedClock(EVAL_NOW)) as store:
            for scenario in scenarios:
                try:
                    _, bindings = bind(store, scenario)
                    for text in scenario.turns:
                        fill(text, bindings)
                    for value in _strings(scenario.expect.model_dump()):
                        fill(value, bindings)
                except (ScenarioSetupError, KeyError) as exc:
                    problems[scenario.id] = str(exc)
    return problems


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


# ---------------------------------------------------------------- checks

def _arg_matches(expected: Any, got: Any) -> bool:
    return str(expected).strip().lower() == str(got).strip().lower()


def check_trajectory(expected: Trajectory, calls: list[dict[str, Any]], bindings: dict[str, dict[str, Any]]) -> str | None:
    """None when the tool calls fit the expectation, else what is wrong."""
    for name in expected.forbidden:
        if any(c["name"] == name and c["ok"] for c in calls):
            return f"forbidden tool {name} succeeded"
    wanted = [(e.name, {k: fill(str(v), bindings) for k, v in e.args.items()}, e.ok) for e in expected.calls]

    def fits(call: dict[str, Any], want: tuple[str, dict[str, str], bool | None]) -> bool:
        name, args, ok = want
        return call["name"] == name and all(_arg_matches(v, call["args"].get(k)) for k, v in args.items()) and \
            (ok is None or call["ok"] == ok)

    if expected.mode == "strict":
        if len(calls) != len(wanted) or not all(fits(c, w) for c, w in zip(calls, wanted, strict=False)):
            return f"expected exactly {[w[0] for w in wanted]}, got {[c['name'] for c in calls]}"
        return None
    position = 0
    for want in wanted:  # in order, other calls allowed in between
        while position < len(calls) and not fits(calls[position], want):
            position += 1
        if position == len(calls):
            return f"missing call {want[0]}({want[1]}) in {[c['name'] for c in calls]}"
        position += 1
    return None


def check_order_ref(order_id: str, calls: list[dict[str, Any]], *, handed_off: bool = False) -> str | None:
    """None when the agent worked on the order the customer meant: at least one tool call names it and
    none names another order (asking "which order?" or picking a different one both fail). A conversation
    handed to a person without any order lookup passes: nothing was guessed, the person finds the order."""
    named = [str(c["args"].get("order_id")) for c in calls if c["args"].get("order_id")]
    if not named:
        return None if handed_off else f"no tool call used order {order_id}"
    others = sorted({n for n in named if n.lower() != order_id.lower()})
    return f"used other orders {others}, expected {order_id}" if others else None


def check_end_state(expected: EndState, before: dict[str, Any], store: SandboxStore,
                    bindings: dict[str, dict[str, Any]]) -> str | None:
    if expected.unchanged and store.content_hash() != before["hash"]:
        return "the store changed"
    order_id = bindings.get("order", {}).get("id")
    if expected.order_status and order_id and store.get_order(order_id).status != expected.order_status:
        return f"order status is {store.get_order(order_id).status}, expected {expected.order_status}"
    for name, wanted in (("returns", expected.returns_added), ("refunds", expected.refunds_added),
                         ("cancellations", expected.cancellations_added)):
        if wanted is not None and order_id:
            added = len(getattr(store, f"order_{name}")(order_id)) - before[name]
            if added != wanted:
                return f"{added} {name} added, expected {wanted}"
    if expected.subscription_status and "subscription" in bindings:
        status = store.get_subscription(bindings["subscription"]["id"]).status
        if status != expected.subscription_status:
            return f"subscription is {status}, expected {expected.subscription_status}"
    return None


# ---------------------------------------------------------------- running

@contextmanager
def _runtime(env: EvalEnvironment, folder: Path) -> Iterator[tuple[AgentRuntime, SandboxStore]]:
    store_path = folder / "store.db"
    shutil.copy(env.store_template, store_path)
    store = SandboxStore(store_path, clock=FixedClock(EVAL_NOW))
    outbox = Outbox(folder / "app.db")
    # autopilot on every channel, whatever the configuration says: an eval measures the agent's route decision
    # (what it WOULD send alone), not the seller's draft-only switch (off by default)
    context = AgentContext(backend=store, outbox=outbox, classifier=env.classifier, retriever=env.retriever,
                           llm=env.llm, seller_settings=env.seller_settings.with_autopilot(True), clock=store.clock,
                           llm_review=env.llm_review)
    try:
        yield AgentRuntime(context, InMemorySaver(serde=checkpoint_serde())), store
    finally:
        outbox.close()
        store.close()


def run_scenario(scenario: Scenario, env: EvalEnvironment, *, run: int = 0,
                 simulate: Callable[[Scenario, list[str]], str | None] | None = None) -> ScenarioResult:
    base = ScenarioResult(id=scenario.id, platform=scenario.platform, tags=scenario.tags, run=run, passed=False,
                          intent_expected=scenario.expect.intent, route_expected=scenario.expect.route)
    if not scenario.turns and simulate is None:
        return base.model_copy(update={"skipped": True, "error": "needs an LLM to simulate the customer"})
    with tempfile.TemporaryDirectory() as tmp, _runtime(env, Path(tmp)) as (runtime, store):
        try:
            customer_id, bindings = bind(store, scenario, variation=run)
        except (ScenarioSetupError, KeyError) as exc:
            return base.model_copy(update={"error": f"setup: {exc}", "failed_checks": ["setup"]})
        order_id = bindings.get("order", {}).get("id")
        before = {"hash": store.content_hash()}
        for name in ("returns", "refunds", "cancellations"):
            before[name] = len(getattr(store, f"order_{name}")(order_id)) if order_id else 0
        usage = [0, 0, 0]  # calls, prompt tokens, completion tokens of the agent (not the simulated customer)
        traces: list[ReplyTrace] = []
        thread = f"EVAL-{scenario.id}-{run}"
        started = time.perf_counter()
        try:
            turns = [fill(t, bindings) for t in scenario.turns]
            for index in range(scenario.expect.max_turns):
                if index < len(turns):
                    text = turns[index]
                elif simulate is not None and not scenario.turns:
                    text = simulate(scenario, [t.draft or "" for t in traces])  # type: ignore[assignment]
                    if not text:
                        break
                else:
                    break
                message = InboundMessage(platform=scenario.platform, customer_id=customer_id, text=text,
                                         received_at=store.clock.now(), conversation_id=thread)
                before_turn = _llm_usage(env.llm)
                traces.append(runtime.handle(message, thread))
                usage = [total + now - then for total, now, then
                         in zip(usage, _llm_usage(env.llm), before_turn, strict=True)]
        except Exception as exc:  # a crash is a failed scenario with its reason, not a crashed eval run
            return base.model_copy(update={"error": f"{type(exc).__name__}: {exc}", "failed_checks": ["crash"],
                                           "turns": len(traces)})
        latency = (time.perf_counter() - started) * 1000
        try:
            checks = _check(scenario, traces, store, before, bindings)
        except (KeyError, ValueError) as exc:
            checks = {"expectations": f"could not evaluate: {exc}"}
        calls, prompt, completion = usage
        last = traces[-1] if traces else None
        return base.model_copy(update={
            "passed": all(v is None for v in checks.values()), "checks": {k: v is None for k, v in checks.items()},
            "failed_checks": [f"{k}: {v}" for k, v in checks.items() if v is not None],
            "intent_got": traces[0].intent if traces else None, "route_got": last.route if last else None,
            "route_reasons": list(last.reasons) if last else [],
            "violations": [v["rule"] for t in traces for v in (t.compliance or {}).get("violations", [])],
            "turns": len(traces), "latency_ms": round(latency / max(1, len(traces)), 2),
            "llm_calls": calls, "prompt_tokens": prompt, "completion_tokens": completion,
            "replies": [text for t in traces for text in (t.draft, t.acknowledgment) if text],
            "customer_text": turns[0] if turns else None,
        })


def _llm_usage(model: Any) -> tuple[int, int, int]:
    """(calls, prompt tokens, completion tokens) so far, as the endpoint's responses reported them
    (`agent.llm.LLMUsage`, attached by `make_chat_model` and by `evals.suite.make_environment`); a model
    without that counter falls back to its own counts (the test wrapper's), else zeros."""
    from agent.llm import usage_of

    if model is None:
        return 0, 0, 0
    if (counter := usage_of(model)) is not None:
        return counter.snapshot()
    return (getattr(model, "calls", 0), getattr(model, "approx_prompt_tokens", 0),
            getattr(model, "approx_completion_tokens", 0))


def _check(scenario: Scenario, traces: list[ReplyTrace], store: SandboxStore, before: dict[str, Any],
           bindings: dict[str, dict[str, Any]]) -> dict[str, str | None]:
    expect = scenario.expect
    checks: dict[str, str | None] = {}
    if not traces:
        return {"turns": "no turn ran"}
    first, last = traces[0], traces[-1]
    replies = "\n".join(text for t in traces for text in (t.draft, t.acknowledgment) if text)
    if expect.intent:
        checks["intent"] = None if first.intent == expect.intent else f"intent {first.intent}, expected {expect.intent}"
    if expect.risk_flags:
        raised = {f for t in traces for f in t.risk_flags}
        missing = [f for f in expect.risk_flags if f not in raised]
        checks["risk_flags"] = f"missing flags {missing}" if missing else None
    if expect.route:
        checks["route"] = None if last.route == expect.route else f"route {last.route}, expected {expect.route}"
    if expect.order_ref:
        checks["order_ref"] = check_order_ref(fill(expect.order_ref, bindings),
                                              [c.model_dump() for t in traces for c in t.tool_calls],
                                              handed_off=last.route == "handoff")
    if expect.trajectory:
        calls = [c.model_dump() for t in traces for c in t.tool_calls]
        checks["trajectory"] = check_trajectory(expect.trajectory, calls, bindings)
    if expect.end_state:
        checks["end_state"] = check_end_state(expect.end_state, before, store, bindings)
    if expect.reply_contains:
        missing = [s for s in (fill(x, bindings) for x in expect.reply_contains) if s.lower() not in replies.lower()]
        checks["reply_contains"] = f"replies lack {missing}" if missing else None
    if expect.reply_not_contains:
        found = [s for s in (fill(x, bindings) for x in expect.reply_not_contains) if s and s.lower() in replies.lower()]
        checks["reply_not_contains"] = f"replies contain {found}" if found else None
    if expect.reply_matches:
        unmatched = [p for p in expect.reply_matches if not re.search(fill(p, bindings), replies, re.I)]
        checks["reply_matches"] = f"replies do not match {unmatched}" if unmatched else None
    if expect.compliant:
        bad = [v["rule"] for t in traces if t.draft and t.route != "handoff"
               for v in (t.compliance or {}).get("violations", [])]
        checks["compliance"] = f"violations {bad}" if bad else None
    return checks

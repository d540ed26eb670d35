"""Agent figures: embedded-mode throughput and latency, and LLM calls / prompt tokens per message.

Run: .venv/bin/python benchmarks/bench_agent.py [--messages 200]   (or `make bench`)

1. Embedded engine (no LLM) with the SQLite checkpointer: messages/s and p50/p99 message-to-draft latency
   on a mix of common tickets drawn from the demo store.
2. LLM mode with a counting fake model (no network): LLM calls and approximate prompt tokens per message,
   beside a naive baseline on the same messages: one ReAct agent given every tool and the whole policy
   (all policy files and the returns/shipping articles) in its system prompt, calling the same tools the
   plan needed, one model round per tool call plus the answer.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "support"))

from langchain_core.language_models import BaseChatModel  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult  # noqa: E402
from langgraph.checkpoint.sqlite import SqliteSaver  # noqa: E402

from agent.checkpoint import checkpoint_serde  # noqa: E402
from agent.context import AgentContext  # noqa: E402
from agent.runtime import AgentRuntime  # noqa: E402
from agent.schemas import InboundMessage  # noqa: E402
from agent.seller_settings import SellerSettings  # noqa: E402
from agent.triage.classifier import IntentClassifier  # noqa: E402
from runtime.outbox import Outbox  # noqa: E402
from fake_llm import CountingChatModel  # noqa: E402
from knowledge.loader import docs_dir, load_documents  # noqa: E402
from knowledge.retriever import Retriever  # noqa: E402
from shopdesk import kb_service  # noqa: E402
from shopdesk.settings import Settings  # noqa: E402
from tools.clock import FixedClock  # noqa: E402
from tools.context import ToolContext  # noqa: E402
from tools.registry import openai_tool_schemas, run_tool  # noqa: E402
from tools.sandbox.generator import GeneratorConfig, generate  # noqa: E402
from tools.sandbox.store import SandboxStore  # noqa: E402

ANCHOR = datetime(2026, 11, 26, tzinfo=UTC)


class EchoDraftModel(BaseChatModel):
    """Stands in for a real model: returns the approved draft it is asked to phrase, or a short answer."""

    @property
    def _llm_type(self) -> str:
        return "echo-draft"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):  # type: ignore[no-untyped-def]
        system = str(messages[0].content)
        if system.startswith("You classify"):
            text = '{"intent": "other", "confidence": 0.5}'
        elif "Approved draft to improve" in system:
            text = system.split("Approved draft to improve (keep every fact in it):", 1)[1].strip()
        else:
            text = "Thanks for your message. A member of our team will follow up."
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def bind_tools(self, tools, **kwargs):  # type: ignore[no-untyped-def]
        return self


def _messages(store: SandboxStore, n: int, seed: int = 5) -> list[tuple[str, str, str]]:
    """(customer_id, platform, text) for a realistic mix of tickets."""
    rng = random.Random(seed)
    orders = store.find_orders(limit=None)
    out = []
    kinds = ["status", "status", "status", "refund", "policy", "policy", "product", "cancel", "return", "dnr"]
    questions = ["how long do refunds take?", "do you ship to hawaii?", "who pays return shipping?",
                 "is there a restocking fee?", "how do i track my package"]
    products = ["is the 12 inch cast iron skillet oven safe?", "is the rolling cooler in stock?",
                "how much does the 4 person tent weigh?", "is the kettle dishwasher safe?"]
    while len(out) < n:
        kind = rng.choice(kinds)
        order = rng.choice(orders)
        if kind == "status":
            text = f"where is my order {order.id}?"
        elif kind == "refund":
            text = f"where is my refund for {order.id}"
        elif kind == "policy":
            text = rng.choice(questions)
        elif kind == "product":
            text = rng.choice(products)
        elif kind == "cancel":
            text = f"please cancel order {order.id}"
        elif kind == "return":
            text = f"I want to return order {order.id}"
        else:
            text = f"tracking says delivered but I never got {order.id}"
        out.append((order.customer_id, order.platform, text))
    return out


def _runtime(store: SandboxStore, retriever: Retriever, classifier: IntentClassifier, data: Path, llm: Any = None
             ) -> tuple[AgentRuntime, sqlite3.Connection, Outbox]:
    connection = sqlite3.connect(str(data / f"checkpoints-{'llm' if llm else 'embedded'}.db"), check_same_thread=False)
    outbox = Outbox(data / "app.db")
    # autopilot on every channel (a new channel is draft-only): the routes measured are what the agent sends alone
    context = AgentContext(backend=store, outbox=outbox, classifier=classifier, retriever=retriever, llm=llm,
                           clock=store.clock, seller_settings=SellerSettings().with_autopilot(True))
    return AgentRuntime(context, SqliteSaver(connection, serde=checkpoint_serde())), connection, outbox


def _naive_policy_prompt() -> str:
    policy_text = "\n\n".join(p.read_text() for p in sorted((Path(__file__).resolve().parents[1] / "tools" / "policy")
                                                             .glob("*.toml")))
    articles = "\n\n".join(d.body for d in load_documents(docs_dir()) if d.topic in ("returns", "shipping", "brand_voice"))
    return ("You are the customer-service agent of Northfork Goods. Follow every policy below exactly.\n\n"
            + policy_text + "\n\n" + articles)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        store = SandboxStore(data / "store.db", clock=FixedClock(ANCHOR + timedelta(hours=9)))
        store.load(generate(GeneratorConfig(seed=7, anchor=ANCHOR)))
        settings = Settings(data_dir=data)
        kb_service.index_knowledge(settings)
        retriever = Retriever(kb_service.open_index(settings))
        classifier = IntentClassifier()
        classifier._ready()
        messages = _messages(store, args.messages)

        # 1. embedded engine
        runtime, connection, outbox = _runtime(store, retriever, classifier, data)
        runtime.handle(InboundMessage(platform="amazon", customer_id=messages[0][0], text="warm up",
                                      received_at=store.clock.now()))
        latencies, routes, tool_calls = [], {}, []
        started = time.perf_counter()
        for i, (customer, platform, text) in enumerate(messages):
            t0 = time.perf_counter()
            trace = runtime.handle(InboundMessage(platform=platform, customer_id=customer, text=text,  # type: ignore[arg-type]
                                                  received_at=store.clock.now()), f"E{i:05d}")
            latencies.append(time.perf_counter() - t0)
            routes[trace.route] = routes.get(trace.route, 0) + 1
            tool_calls.append([(c.name, c.args) for c in trace.tool_calls])
        elapsed = time.perf_counter() - started
        latencies.sort()
        print(f"embedded engine, SQLite checkpointer: {len(messages)} messages in {elapsed:.1f} s = "
              f"{len(messages) / elapsed:.1f} messages/s; message-to-draft p50 {statistics.median(latencies) * 1000:.0f} ms, "
              f"p99 {latencies[int(len(latencies) * 0.99) - 1] * 1000:.0f} ms; routes {routes}")
        connection.close()
        outbox.close()

        # 2. LLM mode vs a naive ReAct baseline (counting fake models, no network)
        shutil.copy(data / "store.db", data / "store-llm.db")
        llm_store = SandboxStore(data / "store-llm.db", clock=store.clock)
        counter = CountingChatModel(EchoDraftModel())
        runtime, connection, outbox = _runtime(llm_store, retriever, classifier, data, llm=counter)
        for i, (customer, platform, text) in enumerate(messages):
            runtime.handle(InboundMessage(platform=platform, customer_id=customer, text=text,  # type: ignore[arg-type]
                                          received_at=store.clock.now()), f"L{i:05d}")
        ours = (counter.calls / len(messages), counter.approx_prompt_tokens / len(messages))
        connection.close()
        outbox.close()

        naive = CountingChatModel(EchoDraftModel())
        system = _naive_policy_prompt()
        tools = openai_tool_schemas()
        for (customer, platform, text), names in zip(messages, tool_calls, strict=True):
            ctx = ToolContext(backend=llm_store, customer_id=customer, platform=platform, clock=store.clock)  # type: ignore[arg-type]
            history: list[Any] = [SystemMessage(content=system), HumanMessage(content=text)]
            for n, (name, call_args) in enumerate(names):
                naive.invoke(history, tools=tools)
                call = AIMessage(content="", tool_calls=[{"name": name, "args": call_args, "id": f"c{n}"}])
                result = run_tool(ctx, name, call_args)
                history += [call, ToolMessage(content=json.dumps(result.model_dump(mode="json"), default=str),
                                              tool_call_id=f"c{n}")]
            naive.invoke(history, tools=tools)
        baseline = (naive.calls / len(messages), naive.approx_prompt_tokens / len(messages))
        print(f"LLM mode (this graph):      {ours[0]:.2f} LLM calls/message, ~{ours[1]:,.0f} prompt tokens/message")
        print(f"naive ReAct + whole policy: {baseline[0]:.2f} LLM calls/message, ~{baseline[1]:,.0f} prompt tokens/message")
        print(f"  (system prompt of the baseline alone: ~{len(system) // 4:,} tokens; tokens ~ characters / 4)")
        llm_store.close()
        store.close()


if __name__ == "__main__":
    main()

"""Application layer over the agent: open a runtime on the embedded defaults, answer one message."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

from agent.context import AgentContext
from agent.outbox import Outbox
from agent.runtime import AgentRuntime, ReplyTrace
from agent.schemas import InboundMessage
from agent.seller_settings import SellerSettings
from agent.triage.classifier import IntentClassifier
from knowledge.retriever import Retriever
from shopdesk import kb_service
from shopdesk.settings import Settings
from shopdesk.store_service import open_store, resolve_customer
from tools.clock import Clock
from tools.models import Platform


def make_llm(settings: Settings) -> Any | None:
    """The configured chat model, or None for the embedded deterministic engine."""
    from agent.llm import LLMConfig, make_chat_model

    config = LLMConfig.from_settings(settings)
    return make_chat_model(config) if config else None


@contextmanager
def open_runtime(settings: Settings, *, clock: Clock | None = None, llm: Any | None = None,
                 use_settings_llm: bool = True) -> Iterator[AgentRuntime]:
    """Everything the agent needs on the embedded defaults (SQLite, local Chroma, the sandbox store)."""
    data_dir = settings.ensure_data_dir()
    store = open_store(settings, clock=clock)
    store.require_seeded()
    index = kb_service.open_index(settings)
    if index.count() == 0:
        kb_service.index_knowledge(settings)
    outbox = Outbox(data_dir / "app.db")
    # WAL and a 30 s busy timeout: worker processes (`shopdesk work`) share the thread store with the server
    connection = sqlite3.connect(str(data_dir / "checkpoints.db"), check_same_thread=False, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    checkpointer = SqliteSaver(connection)
    context = AgentContext(
        backend=store, outbox=outbox, classifier=IntentClassifier(), retriever=Retriever(index),
        llm=llm if llm is not None else (make_llm(settings) if use_settings_llm else None),
        seller_settings=SellerSettings.load(data_dir / "seller_settings.json"), clock=store.clock,
        llm_review=settings.llm_review,
    )
    try:
        yield AgentRuntime(context, checkpointer)
    finally:
        connection.close()
        outbox.close()
        store.close()


def reply(runtime: AgentRuntime, *, platform: Platform, customer: str, text: str, thread: str | None = None,
          received_at: datetime | None = None) -> ReplyTrace:
    """Run one customer message through the agent; `customer` is an id or any platform identity."""
    backend = runtime.context.backend
    person = resolve_customer(backend, customer)  # type: ignore[arg-type]
    message = InboundMessage(platform=platform, customer_id=person.id, text=text,
                             received_at=received_at or runtime.context.clock.now(), conversation_id=thread)
    return runtime.handle(message, thread)

"""Application layer over the agent: open a runtime on the embedded defaults, answer one message.

`shopdesk reply` and `shopdesk chat` are tries: their threads live in their own namespace ("cli:...") and
their replies go to a dry-run sink (runtime/outbox.py `DryRunOutbox`), never to the service's outbox or a
platform. Only `--send` queues a reply for the real channel, and only on a conversation the service received
(its reply route is what reaches the customer); the run is then recorded on that conversation as a worker's is.
"""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import contextmanager
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver
from pydantic import BaseModel, Field

from agent.checkpoint import checkpoint_serde
from agent.context import AgentContext
from agent.routing import held_flags
from agent.runtime import AgentRuntime, ReplyTrace
from agent.schemas import InboundMessage, OutboundMessage
from agent.seller_settings import SellerSettings
from agent.triage.classifier import IntentClassifier
from knowledge.retriever import Retriever
from runtime.conversations import ConversationRow, ConversationStore
from runtime.outbox import DryRunOutbox, Outbox
from runtime.worker import status_after
from shopdesk import kb_service
from shopdesk.settings import Settings
from shopdesk.store_service import open_store, resolve_customer
from tools.clock import Clock
from tools.errors import NotFoundError
from tools.models import Platform


def make_llm(settings: Settings) -> Any | None:
    """The configured chat model, or None for the embedded deterministic engine."""
    from agent.llm import LLMConfig, make_chat_model

    config = LLMConfig.from_settings(settings)
    return make_chat_model(config) if config else None


@contextmanager
def open_runtime(settings: Settings, *, clock: Clock | None = None, llm: Any | None = None,
                 use_settings_llm: bool = True, dry_run: bool = False) -> Iterator[AgentRuntime]:
    """Everything the agent needs on the embedded defaults (SQLite, local Chroma, the sandbox store).
    `dry_run`: replies go to an in-memory sink instead of the service's outbox (a try from the CLI)."""
    data_dir = settings.ensure_data_dir()
    store = open_store(settings, clock=clock)
    store.require_seeded()
    index = kb_service.open_index(settings)
    if index.count() == 0:
        kb_service.index_knowledge(settings)
    outbox = DryRunOutbox() if dry_run else Outbox(data_dir / "app.db")
    # WAL and a 30 s busy timeout: worker processes (`shopdesk work`) share the thread store with the server
    connection = sqlite3.connect(str(data_dir / "checkpoints.db"), check_same_thread=False, timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    checkpointer = SqliteSaver(connection, serde=checkpoint_serde())  # the state's models back as models
    context = AgentContext(
        # a DryRunOutbox is a ReplySink like the outbox: the nodes only enqueue (agent/ports.py)
        backend=store, outbox=outbox, classifier=IntentClassifier(cache_dir=data_dir / "cache"), retriever=Retriever(index),  # type: ignore[arg-type]
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
          received_at: datetime | None = None, held: list[str] | None = None) -> ReplyTrace:
    """Run one customer message through the agent; `customer` is an id or any platform identity. `held`: the
    conversation's standing risk flags (None keeps the thread's own)."""
    backend = runtime.context.backend
    person = resolve_customer(backend, customer)  # type: ignore[arg-type]
    message = InboundMessage(platform=platform, customer_id=person.id, text=text,
                             received_at=received_at or runtime.context.clock.now(), conversation_id=thread)
    return runtime.handle(message, thread, held_flags=held)


# ---------------------------------------------------------------- tries from the command line

TRY_NAMESPACE = "cli:"


class NotSendable(ValueError):
    """--send asked for on a thread whose reply could not reach the customer (shown to the user as is)."""


class CliReply(BaseModel):
    trace: ReplyTrace
    sent: bool = Field(description="True: queued in the service's outbox for the real channel (--send).")
    messages: list[OutboundMessage] = Field(default_factory=list,
                                            description="What this turn queued (sent) or would have queued (a try).")


def try_thread(thread: str | None) -> str:
    """A try's thread: always in the CLI's namespace, so it never continues, or queues a reply under the key
    of, a conversation the service received ("abc" and "cli:abc" are the same try)."""
    if thread and thread.startswith(TRY_NAMESPACE):
        return thread
    return TRY_NAMESPACE + (thread or f"T{uuid.uuid4().hex[:12]}")


def cli_reply(settings: Settings, runtime: AgentRuntime, *, platform: Platform, customer: str, text: str,
              thread: str | None = None, send: bool = False) -> CliReply:
    """One customer message from the CLI. A try unless `send`: then `thread` must be a conversation the service
    received on that platform with that customer, and the run is recorded on it (status, trace, audit)."""
    if not send:
        return _run(runtime, platform=platform, customer=customer, text=text, thread=try_thread(thread), sent=False)
    with _conversations(settings) as conversations:
        row = _sendable(conversations, runtime, thread, platform, customer)
        result = _run(runtime, platform=platform, customer=customer, text=text, thread=row.key, sent=True,
                      held=held_flags(row.risk_flags))
        now = runtime.context.clock.now()
        conversations.record_result(row.key, result.trace.model_dump(mode="json"), status_after(result.trace), now)
        conversations.audit(row.key, "cli", "cli_reply", now, text=text[:500], route=result.trace.route,
                            status=result.trace.status, queued=len(result.messages))
    return result


def check_send(settings: Settings, runtime: AgentRuntime, *, thread: str | None, platform: Platform,
               customer: str) -> str:
    """The conversation a --send run will reply on, checked before anything runs (NotSendable otherwise)."""
    with _conversations(settings) as conversations:
        return _sendable(conversations, runtime, thread, platform, customer).key


def _run(runtime: AgentRuntime, *, platform: Platform, customer: str, text: str, thread: str, sent: bool,
         held: list[str] | None = None) -> CliReply:
    sink = runtime.context.outbox
    before = {r.id for r in sink.for_conversation(thread)}
    trace = reply(runtime, platform=platform, customer=customer, text=text, thread=thread, held=held)
    new = [r.message for r in sink.for_conversation(thread) if r.id not in before]
    return CliReply(trace=trace, sent=sent, messages=new)


def _sendable(conversations: ConversationStore, runtime: AgentRuntime, thread: str | None, platform: str,
              customer: str) -> ConversationRow:
    """The conversation a --send reply goes out on; refuses anything whose reply would not reach this customer."""
    if not thread:
        raise NotSendable("--send needs --thread: the key of a conversation the service received (the console shows "
                          "it), whose reply route reaches the customer")
    row = conversations.get(thread)
    if row is None:
        raise NotSendable(f"no conversation {thread} was received by the service, so a reply has no route to the "
                          "customer; leave out --send to try it")
    if row.platform != platform:
        raise NotSendable(f"conversation {thread} is on {row.platform}, not {platform}")
    person = resolve_customer(runtime.context.backend, customer)  # type: ignore[arg-type]
    if _owner(runtime, row) != person.id:
        raise NotSendable(f"conversation {thread} is not with customer {person.id}: a reply there would reach "
                          "someone else")
    return row


def _owner(runtime: AgentRuntime, row: ConversationRow) -> str | None:
    """Who the conversation is with: as the agent matched them, or (before any run) by the identity that wrote."""
    if row.customer_id:
        return row.customer_id
    try:
        return resolve_customer(runtime.context.backend, row.customer_identity).id  # type: ignore[arg-type]
    except NotFoundError:
        return None


@contextmanager
def _conversations(settings: Settings) -> Iterator[ConversationStore]:
    store = ConversationStore(settings.ensure_data_dir() / "app.db")
    try:
        yield store
    finally:
        store.close()

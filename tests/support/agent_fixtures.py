"""Agent fixtures (loaded for every test by the root conftest): the demo store on a fixed clock, the real
knowledge base, a fresh thread store per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.checkpoint import checkpoint_serde
from agent.context import AgentContext
from agent.runtime import AgentRuntime, ReplyTrace
from agent.schemas import InboundMessage
from agent.seller_settings import SellerSettings
from agent.triage.classifier import IntentClassifier
from knowledge.retriever import Retriever
from runtime.outbox import Outbox
from shopdesk import kb_service
from shopdesk.settings import Settings
from tools.sandbox.store import SandboxStore


def autopilot_on() -> SellerSettings:
    """The default settings with autopilot on every channel (off by default: a new channel is draft-only). The
    agent tests measure what the agent sends alone, so their runtimes use these unless a test passes its own."""
    return SellerSettings().with_autopilot(True)


def wording_on(settings: SellerSettings | None = None) -> SellerSettings:
    """The settings with the channels' `model_wording` on (off by default): the guarded rewording path."""
    return (settings or autopilot_on()).with_model_wording(True)


@pytest.fixture(scope="session")
def classifier() -> IntentClassifier:
    model = IntentClassifier()
    model._ready()
    return model


@pytest.fixture(scope="session")
def retriever(kb_env: Settings) -> Retriever:
    return Retriever(kb_service.open_index(kb_env))


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "app.db")
    yield box
    box.close()


@pytest.fixture
def make_runtime(store: SandboxStore, outbox: Outbox, classifier: IntentClassifier, retriever: Retriever):  # type: ignore[no-untyped-def]
    def make(llm: Any | None = None, settings: SellerSettings | None = None, checkpointer: Any | None = None,
             backend: Any | None = None) -> AgentRuntime:
        context = AgentContext(backend=backend or store, outbox=outbox, classifier=classifier, retriever=retriever,
                               llm=llm, seller_settings=settings or autopilot_on(), clock=store.clock)
        return AgentRuntime(context, checkpointer or InMemorySaver(serde=checkpoint_serde()))
    return make


@pytest.fixture
def runtime(make_runtime) -> AgentRuntime:  # type: ignore[no-untyped-def]
    return make_runtime()


@pytest.fixture
def say(runtime: AgentRuntime, store: SandboxStore) -> Callable[..., ReplyTrace]:
    """say(customer_id, platform, text, thread=None) -> trace, on the default runtime."""
    def send(customer_id: str, platform: str, text: str, thread: str | None = None, rt: AgentRuntime | None = None
             ) -> ReplyTrace:
        message = InboundMessage(platform=platform, customer_id=customer_id, text=text,  # type: ignore[arg-type]
                                 received_at=store.clock.now(), conversation_id=thread)
        return (rt or runtime).handle(message, thread)
    return send

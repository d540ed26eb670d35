"""The run-scoped context: clients and settings the nodes use, passed by LangGraph, never checkpointed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.ports import ReplySink
from agent.seller_settings import SellerSettings
from agent.triage.classifier import IntentClassifier
from knowledge.retriever import Retriever
from tools.backend import CommerceBackend
from tools.clock import Clock, SystemClock
from tools.models import Platform
from tools.policy.loader import PlatformPolicy, SellerPolicy, load_policies, load_seller


@dataclass
class AgentContext:
    backend: CommerceBackend
    outbox: ReplySink  # runtime/outbox.py Outbox or DryRunOutbox, passed in by the composition root
    classifier: IntentClassifier
    retriever: Retriever | None = None
    llm: Any | None = None  # a LangChain chat model; None = the embedded deterministic engine
    seller_settings: SellerSettings = field(default_factory=SellerSettings)
    clock: Clock = field(default_factory=SystemClock)
    policies: dict[Platform, PlatformPolicy] = field(default_factory=load_policies)
    seller: SellerPolicy = field(default_factory=load_seller)
    llm_review: bool = False  # ask the LLM to review drafts for policy on top of the deterministic rules
    _product_names: list[str] | None = field(default=None, repr=False)

    def product_names(self) -> list[str]:
        """Catalog product names, read once per context (the triage rules look for them in messages)."""
        if self._product_names is None:
            self._product_names = [p.name for p in self.backend.list_products()]
        return self._product_names

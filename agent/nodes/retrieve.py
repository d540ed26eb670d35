"""retrieve: knowledge passages for the customer's platform plus general articles, each citable by id."""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from agent.context import AgentContext
from agent.intents import intents_where
from agent.state import AgentState, customer_words

NO_RETRIEVAL = intents_where(retrieval=False)
PASSAGES = 4


def retrieve(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    retriever = runtime.context.retriever
    triage = state.get("triage")
    if retriever is None or (triage.intent if triage else None) in NO_RETRIEVAL:
        return {"passages": []}
    passages = retriever.search(customer_words(state), platform=state["platform"], k=PASSAGES)
    return {"passages": [
        {"id": p.id, "doc_id": p.doc_id, "title": p.title, "platform": p.platform, "topic": p.topic,
         "score": p.score, "text": p.text} for p in passages
    ]}

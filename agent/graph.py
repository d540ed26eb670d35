"""The graph: identify -> triage -> retrieve -> act -> draft -> check -> route -> send | review | handoff.

Only wiring lives here. The thread id is the conversation id; with a checkpointer, a customer's
next message continues the same thread and a review interrupt waits for the console. Every node and
branch reads the state through `typed_state`, so a checkpoint written when the typed fields were plain
dicts (a conversation paused at review across an upgrade) reaches them as models.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.context import AgentContext
from agent.nodes.act import act
from agent.nodes.check import after_check, check
from agent.nodes.draft import draft
from agent.nodes.handoff import handoff
from agent.nodes.identify import identify
from agent.nodes.retrieve import retrieve
from agent.nodes.review import review
from agent.nodes.route import after_route, route
from agent.nodes.send import send
from agent.nodes.triage import triage
from agent.state import AgentState, typed_state

T = TypeVar("T")


def _typed(step: Callable[..., T]) -> Callable[..., T]:
    """`step` with the state's typed fields as models (agent/state.py `typed_state`); its signature is kept,
    which is how LangGraph sees that it takes the runtime."""

    @functools.wraps(step)
    def run(state: AgentState, *args: Any, **kwargs: Any) -> T:
        return step(typed_state(state), *args, **kwargs)

    return run


Graph = CompiledStateGraph[AgentState, AgentContext, AgentState, AgentState]


def build_graph(checkpointer: BaseCheckpointSaver[Any] | None = None) -> Graph:
    graph = StateGraph(AgentState, context_schema=AgentContext)
    graph.add_node("identify", _typed(identify))
    graph.add_node("triage", _typed(triage))
    graph.add_node("retrieve", _typed(retrieve))
    graph.add_node("act", _typed(act))
    graph.add_node("draft", _typed(draft))
    graph.add_node("check", _typed(check))
    graph.add_node("route", _typed(route))
    graph.add_node("review", _typed(review), destinations=("send", "act", "handoff", "review", END))
    graph.add_node("send", _typed(send))
    graph.add_node("handoff", _typed(handoff))
    graph.add_edge(START, "identify")
    graph.add_edge("identify", "triage")
    graph.add_edge("triage", "retrieve")
    graph.add_edge("retrieve", "act")
    graph.add_edge("act", "draft")
    graph.add_edge("draft", "check")
    graph.add_conditional_edges("check", _typed(after_check), {"rewrite": "draft", "route": "route"})
    graph.add_conditional_edges("route", _typed(after_route), ["send", "review", "handoff"])
    graph.add_edge("send", END)
    graph.add_edge("handoff", END)
    return graph.compile(checkpointer=checkpointer)

"""The graph: identify -> triage -> retrieve -> act -> draft -> check -> route -> send | review | handoff.

Only wiring lives here. The thread id is the conversation id; with a checkpointer, a customer's
next message continues the same thread and a review interrupt waits for the console.
"""

from __future__ import annotations

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
from agent.state import AgentState


def build_graph(checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:  # type: ignore[type-arg]
    graph = StateGraph(AgentState, context_schema=AgentContext)
    graph.add_node("identify", identify)
    graph.add_node("triage", triage)
    graph.add_node("retrieve", retrieve)
    graph.add_node("act", act)
    graph.add_node("draft", draft)
    graph.add_node("check", check)
    graph.add_node("route", route)
    graph.add_node("review", review, destinations=("send", "act", "handoff", "review", END))
    graph.add_node("send", send)
    graph.add_node("handoff", handoff)
    graph.add_edge(START, "identify")
    graph.add_edge("identify", "triage")
    graph.add_edge("triage", "retrieve")
    graph.add_edge("retrieve", "act")
    graph.add_edge("act", "draft")
    graph.add_edge("draft", "check")
    graph.add_conditional_edges("check", after_check, {"rewrite": "draft", "route": "route"})
    graph.add_conditional_edges("route", after_route, ["send", "review", "handoff"])
    graph.add_edge("send", END)
    graph.add_edge("handoff", END)
    return graph.compile(checkpointer=checkpointer)

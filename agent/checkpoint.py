"""The checkpoint serializer: the state's models come back as models, from an allow-list, with no warning.

LangGraph's serializer stores a pydantic model with its module and class name and rebuilds it on load.
Left to its default it rebuilds any class it is told to and logs "Deserializing unregistered type" for each
(a future version blocks them); with `LANGGRAPH_STRICT_MSGPACK` it returns a plain dict instead. Naming the
state's models here makes the round trip explicit and keeps every other class out.
"""

from __future__ import annotations

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

from agent.state import MODELS


def checkpoint_serde() -> JsonPlusSerializer:
    """The serializer every checkpointer of the agent is built with (shopdesk/agent_service.py, evals, tests)."""
    return JsonPlusSerializer(allowed_msgpack_modules=sorted({(m.__module__, m.__name__) for m in MODELS.values()}))

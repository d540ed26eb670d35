"""The tool registry: names, argument schemas (what an LLM may fill in) and one safe runner.

`run_tool` is the only way the agent calls a tool. It validates the arguments, runs the function
with the injected context, and always returns a `ToolResult`, errors included, so every tool call
gets an answer. The context argument is never part of a schema: the model cannot choose who the
customer is.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from tools import actions
from tools.context import ToolContext
from tools.errors import CommerceError
from tools.results import ToolResult


@dataclass(frozen=True)
class ToolSpec:
    name: str
    function: Callable[..., dict[str, Any]]
    args_model: type[BaseModel]
    write: bool
    description: str


def _args_model(name: str, function: Callable[..., Any]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for param in list(inspect.signature(function, eval_str=True).parameters.values())[1:]:  # skip ctx
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[param.name] = (param.annotation, default)
    return create_model(f"{name}_args", __config__=ConfigDict(extra="forbid"), **fields)  # type: ignore[call-overload]


def _spec(function: Callable[..., dict[str, Any]]) -> ToolSpec:
    doc = inspect.getdoc(function) or ""
    kind, _, description = doc.partition(". ")
    return ToolSpec(function.__name__, function, _args_model(function.__name__, function), kind == "WRITE",
                    description.strip())


TOOLS: dict[str, ToolSpec] = {
    spec.name: spec
    for spec in map(_spec, (
        actions.get_order, actions.list_customer_orders, actions.track_shipment, actions.check_return_eligibility,
        actions.get_refund_status, actions.search_products, actions.get_product, actions.list_subscriptions,
        actions.start_return, actions.refund, actions.cancel_order, actions.change_shipping_address,
        actions.update_subscription, actions.handoff,
    ))
}
WRITE_TOOLS = frozenset(name for name, spec in TOOLS.items() if spec.write)


def run_tool(ctx: ToolContext, name: str, args: dict[str, Any] | None) -> ToolResult:
    """Call a tool by name; never raises for bad input, unknown tools or refusals."""
    spec = TOOLS.get(name)
    args = dict(args or {}) if isinstance(args, dict) else {}
    if spec is None:
        return ToolResult(name=name, args=args, ok=False, error_code="unknown_tool",
                          error=f"There is no tool called {name!r}.")
    try:
        parsed = spec.args_model.model_validate(args)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        return ToolResult(name=name, args=args, ok=False, write=spec.write, error_code="invalid_arguments",
                          error=f"Invalid arguments for {name}: {problems}")
    try:
        data = spec.function(ctx, **parsed.model_dump())
    except actions.ConfirmationRequired as exc:
        return ToolResult(name=name, args=args, ok=False, write=spec.write, error_code=exc.code, error=exc.message,
                          data={"proposed": exc.action.model_dump()})
    except CommerceError as exc:
        return ToolResult(name=name, args=args, ok=False, write=spec.write, error_code=exc.code, error=exc.message)
    except ValidationError as exc:
        return ToolResult(name=name, args=args, ok=False, write=spec.write, error_code="invalid_arguments",
                          error=f"Invalid input: {exc.errors()[0]['msg']}")
    return ToolResult(name=name, args=args, ok=True, write=spec.write, data=data)


def openai_tool_schemas(names: list[str] | None = None) -> list[dict[str, Any]]:
    """OpenAI function-calling schemas for the chosen tools (all by default)."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    chosen = [TOOLS[n] for n in (names or list(TOOLS))]
    schemas = []
    for spec in chosen:
        schema = convert_to_openai_tool(spec.args_model)
        schema["function"]["name"] = spec.name
        schema["function"]["description"] = f"{'WRITE' if spec.write else 'READ'}: {spec.description}"
        schemas.append(schema)
    return schemas

"""The chat-model factory against a fake OpenAI-compatible server on 127.0.0.1, and the scripted fakes."""

from __future__ import annotations

import importlib.util
import socket
import sys
import time
from collections.abc import Iterator

import httpx
import openai
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

import agent.llm as llm
from agent.llm import NO_KEY_PLACEHOLDER, LLMConfig, LLMUnavailable, invoke_safely, make_chat_model
from fake_llm import CountingChatModel, FailingChatModel, FakeOpenAIServer, ScriptedChatModel
from shopdesk.settings import Settings


@tool
def lookup_order(order_id: str) -> str:
    """Look up one order of the current customer.

    Args:
        order_id: The marketplace order id.
    """
    return f"order {order_id}: shipped"


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as s:
        yield s


def config(server: FakeOpenAIServer, **overrides: object) -> LLMConfig:
    return LLMConfig(base_url=server.base_url, model="qwen2.5-7b-instruct", **overrides)  # type: ignore[arg-type]


# -- configuration ----------------------------------------------------------------------------------


def test_from_settings_is_none_without_base_url() -> None:
    assert LLMConfig.from_settings(Settings(_env_file=None, llm_base_url=None)) is None


def test_from_settings_reads_the_endpoint() -> None:
    settings = Settings(
        _env_file=None, llm_base_url="http://127.0.0.1:8080/v1", llm_model="llama", llm_api_key=SecretStr("k"),
        llm_timeout_s=5, llm_max_retries=1, llm_max_tokens=300,
    )
    cfg = LLMConfig.from_settings(settings)
    assert cfg is not None
    assert (cfg.base_url, cfg.model, cfg.timeout_s, cfg.max_retries, cfg.max_tokens) == (
        "http://127.0.0.1:8080/v1", "llama", 5, 1, 300,
    )
    assert cfg.api_key is not None and cfg.api_key.get_secret_value() == "k"


def test_from_settings_needs_a_model_with_an_endpoint() -> None:
    with pytest.raises(ValueError, match="SHOPDESK_LLM_MODEL"):
        LLMConfig.from_settings(Settings(_env_file=None, llm_base_url="http://127.0.0.1:8080/v1", llm_model=None))


def test_importing_agent_llm_builds_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []

    def refuse(self: object, *args: object, **kwargs: object) -> None:
        built.append(type(self).__name__)
        raise AssertionError(f"{type(self).__name__} built at import")

    clients: list[type] = [ChatOpenAI, openai.OpenAI, openai.AsyncOpenAI, httpx.Client, httpx.AsyncClient]
    try:
        import httpx2  # the openai SDK's HTTP library from openai 3 on

        clients += [httpx2.Client, httpx2.AsyncClient]
    except ImportError:
        pass
    for cls in clients:
        monkeypatch.setattr(cls, "__init__", refuse)

    # Execute the module's source afresh under another name (agent.llm itself stays untouched).
    spec = importlib.util.spec_from_file_location("agent_llm_import_probe", llm.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)

    assert built == []
    assert [n for n, v in vars(module).items() if isinstance(v, (BaseChatModel, openai.OpenAI, httpx.Client))] == []


def test_openai_itself_gets_only_max_completion_tokens() -> None:
    """api.openai.com rejects requests setting both; no request is sent here."""
    model = make_chat_model(LLMConfig(base_url="https://api.openai.com/v1", model="gpt-4.1-mini"))
    assert not (model.extra_body or {}).get("max_tokens")
    assert model.max_tokens == 700  # sent as max_completion_tokens


# -- on the wire --------------------------------------------------------------------------------------


def test_text_reply_round_trip(server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-key-that-must-not-leak")
    server.reply_text("Your order shipped on Monday.")
    model = make_chat_model(config(server))

    reply = invoke_safely(model, [SystemMessage("You are Northfork support."), HumanMessage("Where is my order?")])

    assert reply.content == "Your order shipped on Monday."
    assert reply.tool_calls == []
    assert reply.usage_metadata is not None and reply.usage_metadata["input_tokens"] > 0
    (request,) = server.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    body = request.json
    assert body["model"] == "qwen2.5-7b-instruct"
    assert body["temperature"] == 0.2
    assert [(m["role"], m["content"]) for m in body["messages"]] == [
        ("system", "You are Northfork support."), ("user", "Where is my order?"),
    ]
    assert request.headers["authorization"] == f"Bearer {NO_KEY_PLACEHOLDER}"


def test_configured_api_key_is_sent(server: FakeOpenAIServer) -> None:
    server.reply_text("ok")
    invoke_safely(make_chat_model(config(server, api_key=SecretStr("sk-local-123"))), "hi")
    assert server.requests[0].headers["authorization"] == "Bearer sk-local-123"


def test_tool_call_reply_is_parsed(server: FakeOpenAIServer) -> None:
    server.reply_tool_call("lookup_order", {"order_id": "112-7781234-5550001"}, call_id="call_abc")
    model = make_chat_model(config(server)).bind_tools([lookup_order])

    reply = invoke_safely(model, "Where is 112-7781234-5550001?")

    assert reply.tool_calls == [
        {"name": "lookup_order", "args": {"order_id": "112-7781234-5550001"}, "id": "call_abc", "type": "tool_call"}
    ]
    assert reply.response_metadata["finish_reason"] == "tool_calls"
    tools = server.requests[0].json["tools"]
    assert [t["function"]["name"] for t in tools] == ["lookup_order"]


@pytest.mark.parametrize("with_tools", [False, True])
def test_every_request_carries_max_tokens(server: FakeOpenAIServer, with_tools: bool) -> None:
    """llama.cpp-style servers only read max_tokens; langchain-openai sends max_completion_tokens."""
    server.reply_text("ok")
    model = make_chat_model(config(server, max_tokens=321))
    invoke_safely(model.bind_tools([lookup_order]) if with_tools else model, "hi")

    body = server.requests[0].json
    assert body["max_tokens"] == 321
    assert body["max_completion_tokens"] == 321
    assert body["model"] == "qwen2.5-7b-instruct"


def test_rate_limits_are_retried_honouring_retry_after(server: FakeOpenAIServer) -> None:
    server.reply_status(429, headers={"retry-after": "0.05"}).reply_status(429, headers={"retry-after": "0.05"})
    server.reply_text("finally")
    model = make_chat_model(config(server, max_retries=3))

    started = time.monotonic()
    reply = invoke_safely(model, "hi")
    elapsed = time.monotonic() - started

    assert reply.content == "finally"
    assert len(server.requests) == 3
    server.assert_all_used()
    assert [r.headers["x-stainless-retry-count"] for r in server.requests] == ["0", "1", "2"]
    # The SDK's own backoff would wait >= 0.375 s + 0.75 s; Retry-After (0.05 s each) was used instead.
    assert 0.1 <= elapsed < 0.75


def test_server_errors_are_retried(server: FakeOpenAIServer) -> None:
    fast = {"retry-after-ms": "5"}
    server.reply_status(500, headers=fast).reply_status(503, headers=fast).reply_text("recovered")
    assert invoke_safely(make_chat_model(config(server, max_retries=2)), "hi").content == "recovered"
    assert len(server.requests) == 3


def test_rate_limit_beyond_retries_is_unavailable(server: FakeOpenAIServer) -> None:
    for _ in range(2):
        server.reply_status(429, headers={"retry-after-ms": "5"})
    with pytest.raises(LLMUnavailable, match="HTTP 429") as info:
        invoke_safely(make_chat_model(config(server, max_retries=1)), "hi")
    assert (info.value.reason, info.value.status_code) == ("http_status", 429)
    assert len(server.requests) == 2


def test_client_errors_are_not_retried(server: FakeOpenAIServer) -> None:
    server.reply_status(400, {"error": {"message": "bad tool schema", "type": "invalid_request_error"}})
    server.reply_text("never served")
    with pytest.raises(LLMUnavailable, match="bad tool schema") as info:
        invoke_safely(make_chat_model(config(server, max_retries=3)), "hi")
    assert info.value.status_code == 400
    assert len(server.requests) == 1
    with pytest.raises(AssertionError, match="never served: text 'never served'"):
        server.assert_all_used()


def test_slow_endpoint_times_out(server: FakeOpenAIServer) -> None:
    server.reply_delay(3.0)
    model = make_chat_model(config(server, timeout_s=0.5, max_retries=0))

    started = time.monotonic()
    with pytest.raises(LLMUnavailable, match="timed out") as info:
        invoke_safely(model, "hi")

    assert info.value.reason == "timeout"
    assert isinstance(info.value.__cause__, openai.APITimeoutError)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("content_type", ["application/json", "text/html"])
def test_garbage_body_is_unavailable(server: FakeOpenAIServer, content_type: str) -> None:
    server.reply_garbage(content_type)
    with pytest.raises(LLMUnavailable, match="not a chat completion") as info:
        invoke_safely(make_chat_model(config(server, max_retries=0)), "hi")
    assert info.value.reason == "malformed_response"


def test_json_that_is_not_a_completion_is_unavailable(server: FakeOpenAIServer) -> None:
    server.reply_status(200, {"object": "list", "data": []})
    with pytest.raises(LLMUnavailable) as info:
        invoke_safely(make_chat_model(config(server, max_retries=0)), "hi")
    assert info.value.reason == "malformed_response"


def test_unreachable_endpoint_is_unavailable() -> None:
    with socket.socket() as s:  # a loopback port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    model = make_chat_model(LLMConfig(base_url=f"http://127.0.0.1:{port}/v1", model="m", max_retries=0))
    with pytest.raises(LLMUnavailable, match="unreachable") as info:
        invoke_safely(model, "hi")
    assert info.value.reason == "connection"


def test_injected_http_client_is_used(server: FakeOpenAIServer) -> None:
    server.reply_text("ok")
    with httpx.Client(headers={"x-shopdesk-test": "injected"}) as client:
        invoke_safely(make_chat_model(config(server), http_client=client), "hi")
    assert server.requests[0].headers["x-shopdesk-test"] == "injected"


def test_fake_server_lists_models_and_fails_fast_when_unscripted(server: FakeOpenAIServer) -> None:
    model = make_chat_model(config(server, max_retries=3))
    assert [m.id for m in model.root_client.models.list()] == ["fake-model"]

    with pytest.raises(LLMUnavailable, match="no scripted response left"):
        invoke_safely(model, "hi")
    assert len(server.chat_requests) == 1  # x-should-retry: false stops the SDK's retries


# -- the scripted fakes -----------------------------------------------------------------------------


def test_scripted_model_replays_in_order_and_records_inputs() -> None:
    model = ScriptedChatModel([AIMessage("first"), AIMessage("second")])

    assert model.invoke("hello").content == "first"
    assert model.invoke([HumanMessage("again")]).content == "second"

    assert [[m.content for m in call] for call in model.received] == [["hello"], ["again"]]
    model.assert_all_used()


def test_scripted_model_supports_bind_tools() -> None:
    model = ScriptedChatModel([
        AIMessage("", tool_calls=[{"name": "lookup_order", "args": {"order_id": "A-1"}, "id": None}]),
        AIMessage("Order A-1 shipped."),
    ])
    bound = model.bind_tools([lookup_order])

    call = bound.invoke("where is A-1?")
    assert isinstance(call, AIMessage)
    assert call.tool_calls[0]["name"] == "lookup_order" and call.tool_calls[0]["id"] == "call_1_1"
    result = ToolMessage(lookup_order.invoke(call.tool_calls[0]["args"]), tool_call_id=call.tool_calls[0]["id"])
    final = bound.invoke([HumanMessage("where is A-1?"), call, result])

    assert final.content == "Order A-1 shipped."
    assert model.bound_tools == ["lookup_order"]
    assert model.tools_per_call == [["lookup_order"], ["lookup_order"]]
    assert isinstance(model.received[1][-1], ToolMessage)
    model.assert_all_used()


def test_unused_scripted_steps_fail_the_test() -> None:
    model = ScriptedChatModel([
        AIMessage("used"),
        AIMessage("", tool_calls=[{"name": "issue_refund", "args": {"order_id": "A-1"}, "id": "c1"}]),
    ])
    model.invoke("hi")
    with pytest.raises(AssertionError, match=r"1 of 2 .*#2 .*issue_refund"):
        model.assert_all_used()


def test_exhausted_script_raises() -> None:
    model = ScriptedChatModel([AIMessage("only")])
    model.invoke("one")
    with pytest.raises(AssertionError, match="script exhausted"):
        model.invoke("two")


def test_failing_model_becomes_unavailable() -> None:
    timeout = openai.APITimeoutError(request=httpx.Request("POST", "http://127.0.0.1/v1/chat/completions"))
    model = FailingChatModel(timeout)
    with pytest.raises(LLMUnavailable) as info:
        invoke_safely(model.bind_tools([lookup_order]), "hi")
    assert info.value.reason == "timeout" and model.calls == 1


def test_counting_model_counts_calls_and_prompt_size() -> None:
    inner = ScriptedChatModel([AIMessage("12345678"), AIMessage("ok")])
    model = CountingChatModel(inner)

    model.invoke("abcd" * 10)
    model.bind_tools([lookup_order]).invoke("hi")

    assert model.calls == 2
    assert model.prompt_chars > 42  # 40 + 2 + the tool schema
    assert model.completion_chars == 10
    assert model.approx_completion_tokens == 3
    assert inner.tools_per_call == [[], ["lookup_order"]]

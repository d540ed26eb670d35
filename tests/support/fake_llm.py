"""Test doubles for the LLM: scripted chat models, and a fake OpenAI-compatible server on 127.0.0.1.

- `ScriptedChatModel` replays planned `AIMessage`s (tool calls, then text), records what it received
  and supports `bind_tools`; `assert_all_used()` fails the test if a planned step never ran.
- `FailingChatModel` raises the same exception on every call (timeouts, outages -> handoff paths).
- `CountingChatModel` wraps any chat model and counts calls, prompt size and approximate tokens.
- `FakeOpenAIServer` is a real HTTP server speaking the Chat Completions wire format, for testing the
  real `ChatOpenAI` client: timeouts, retries, status codes and exactly what goes on the wire.
"""

from __future__ import annotations

import itertools
import json
import math
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import Field

ToolLike = dict[str, Any] | type | Callable[..., Any] | BaseTool

# --------------------------------------------------------------------------------------------------
# Chat models
# --------------------------------------------------------------------------------------------------


class _FakeChatModel(BaseChatModel):
    """`bind_tools` the way real chat models do it: tools in OpenAI format, passed as call kwargs."""

    bound_tools: list[str] = Field(default_factory=list)
    """Names of the tools given to the last `bind_tools` call."""

    def bind_tools(
        self, tools: Sequence[ToolLike], *, tool_choice: str | None = None, **kwargs: Any
    ) -> Runnable[LanguageModelInput, AIMessage]:
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        self.bound_tools = [tool["function"]["name"] for tool in formatted]
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=formatted, **kwargs)


def _tool_names(kwargs: dict[str, Any]) -> list[str]:
    return [tool["function"]["name"] for tool in kwargs.get("tools") or []]


def _describe(message: BaseMessage) -> str:
    parts = []
    if text := str(message.text):
        parts.append(f"text={text[:60]!r}")
    if isinstance(message, AIMessage) and message.tool_calls:
        parts.append("tool_calls=" + ", ".join(f"{c['name']}({json.dumps(c['args'])})" for c in message.tool_calls))
    return f"{type(message).__name__}({', '.join(parts)})"


class ScriptedChatModel(_FakeChatModel):
    """Replays `steps` in order, one per call; any call beyond the script fails the test.

    `received[i]` holds the messages of call i, `tools_per_call[i]` the tool names it was offered and
    `options_per_call[i]` the other call options (`tool_choice`, `response_format`, ...).
    Tool calls without an id get a stable one (`call_<step>_<n>`).
    """

    steps: list[AIMessage]
    position: int = 0
    received: list[list[BaseMessage]] = Field(default_factory=list)
    tools_per_call: list[list[str]] = Field(default_factory=list)
    options_per_call: list[dict[str, Any]] = Field(default_factory=list)

    def __init__(self, steps: Sequence[AIMessage], **kwargs: Any) -> None:
        super().__init__(steps=[_with_tool_call_ids(step, i) for i, step in enumerate(steps)], **kwargs)

    @property
    def _llm_type(self) -> str:
        return "scripted-chat-model"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.received.append(list(messages))
        self.tools_per_call.append(_tool_names(kwargs))
        self.options_per_call.append({k: v for k, v in kwargs.items() if k != "tools"})
        if self.position >= len(self.steps):
            last = _describe(messages[-1]) if messages else "no messages"
            raise AssertionError(
                f"script exhausted: ScriptedChatModel has {len(self.steps)} step(s) and got call "
                f"#{self.position + 1} (last message: {last})"
            )
        step = self.steps[self.position]
        self.position += 1
        return ChatResult(generations=[ChatGeneration(message=step.model_copy(deep=True))])

    @property
    def unused_steps(self) -> list[AIMessage]:
        return self.steps[self.position :]

    def assert_all_used(self) -> None:
        if self.position < len(self.steps):
            unused = "; ".join(
                f"#{i + 1} {_describe(step)}" for i, step in enumerate(self.steps) if i >= self.position
            )
            raise AssertionError(
                f"ScriptedChatModel: {len(self.steps) - self.position} of {len(self.steps)} scripted "
                f"step(s) never used: {unused}"
            )


def _with_tool_call_ids(step: AIMessage, index: int) -> AIMessage:
    if not isinstance(step, AIMessage):
        raise TypeError(f"scripted steps are AIMessages, got {type(step).__name__}")
    if all(call.get("id") for call in step.tool_calls):
        return step
    calls = [{**call, "id": call.get("id") or f"call_{index + 1}_{n + 1}"} for n, call in enumerate(step.tool_calls)]
    return step.model_copy(update={"tool_calls": calls})


class FailingChatModel(_FakeChatModel):
    """Raises `error` on every call (e.g. `openai.APITimeoutError`, `LLMUnavailable`)."""

    error: BaseException
    calls: int = 0

    def __init__(self, error: BaseException, **kwargs: Any) -> None:
        super().__init__(error=error, **kwargs)

    @property
    def _llm_type(self) -> str:
        return "failing-chat-model"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls += 1
        raise self.error


class CountingChatModel(_FakeChatModel):
    """Wraps a chat model and counts what goes through it (for benchmarks and cost tests).

    Tokens are approximated as characters / 4 unless the wrapped model reports `usage_metadata`,
    which is summed separately into `reported_input_tokens` / `reported_output_tokens`.
    """

    inner: BaseChatModel
    calls: int = 0
    prompt_chars: int = 0
    completion_chars: int = 0
    reported_input_tokens: int = 0
    reported_output_tokens: int = 0

    def __init__(self, inner: BaseChatModel, **kwargs: Any) -> None:
        super().__init__(inner=inner, **kwargs)

    @property
    def _llm_type(self) -> str:
        return f"counting-{self.inner._llm_type}"

    @property
    def approx_prompt_tokens(self) -> int:
        return math.ceil(self.prompt_chars / 4)

    @property
    def approx_completion_tokens(self) -> int:
        return math.ceil(self.completion_chars / 4)

    def reset(self) -> None:
        self.calls = self.prompt_chars = self.completion_chars = 0
        self.reported_input_tokens = self.reported_output_tokens = 0

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self.calls += 1
        self.prompt_chars += sum(_message_chars(m) for m in messages) + len(json.dumps(kwargs.get("tools") or []))
        reply = self.inner.invoke(messages, stop=stop, **kwargs)
        self.completion_chars += _message_chars(reply)
        if isinstance(reply, AIMessage) and reply.usage_metadata:
            self.reported_input_tokens += reply.usage_metadata["input_tokens"]
            self.reported_output_tokens += reply.usage_metadata["output_tokens"]
        return ChatResult(generations=[ChatGeneration(message=reply)])


def _message_chars(message: BaseMessage) -> int:
    chars = len(str(message.text))
    if isinstance(message, AIMessage):
        chars += sum(len(call["name"]) + len(json.dumps(call["args"])) for call in message.tool_calls)
    return chars


# --------------------------------------------------------------------------------------------------
# Fake OpenAI-compatible server
# --------------------------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    json: Any  # parsed body, None when empty or not JSON
    body: bytes = b""


@dataclass
class _Step:
    kind: str  # "completion" | "raw"
    delay_s: float = 0.0
    text: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    finish_reason: str | None = None  # None: "tool_calls" with tool calls, else "stop"

    def describe(self) -> str:
        if self.kind == "raw":
            return f"status {self.status} {self.body[:40]!r}"
        what = f"tool_call {self.tool_calls[0]['function']['name']}" if self.tool_calls else f"text {self.text!r}"
        return f"{what} after {self.delay_s}s" if self.delay_s else what


class FakeOpenAIServer:
    """A scripted Chat Completions endpoint on 127.0.0.1 (a real socket, so the real client runs).

    Each POST /v1/chat/completions takes the next scripted step; with none left it answers 500 with
    `x-should-retry: false` (so the client fails at once rather than retrying). GET /v1/models lists
    `model`. Every request is recorded in `requests`.

    Like llama.cpp-style servers, it can be strict about what it accepts (checked before a step is taken):
    `rejects_null_content` answers 500 to an assistant message with `"content": null`, and
    `rejects_json_schema` answers 400 to `response_format: {"type": "json_schema"}`.

        with FakeOpenAIServer() as server:
            server.reply_status(429, headers={"retry-after-ms": "10"})
            server.reply_text("Your order shipped.")
            model = make_chat_model(LLMConfig(base_url=server.base_url, model="m"))
    """

    def __init__(self, *, model: str = "fake-model", rejects_null_content: bool = False,
                 rejects_json_schema: bool = False) -> None:
        self.model = model
        self.rejects_null_content = rejects_null_content
        self.rejects_json_schema = rejects_json_schema
        self.requests: list[RecordedRequest] = []
        self._steps: deque[_Step] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._served = 0
        self._call_ids = itertools.count(1)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closing.set()  # wakes handlers sleeping in reply_delay
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "use FakeOpenAIServer as a context manager"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    # -- script -----------------------------------------------------------------------------------

    def reply_text(self, text: str, *, finish_reason: str = "stop") -> Self:
        return self._push(_Step("completion", text=text, finish_reason=finish_reason))

    def reply_truncated(self, text: str) -> Self:
        """A reply cut at max_tokens (`finish_reason: "length"`)."""
        return self.reply_text(text, finish_reason="length")

    def reply_json(self, data: Any) -> Self:
        """A text reply whose content is `data` as JSON (a structured answer)."""
        return self.reply_text(json.dumps(data))

    def reply_tool_call(self, name: str, args: dict[str, Any], *, call_id: str | None = None) -> Self:
        call = {
            "id": call_id or f"call_fake_{next(self._call_ids)}",
            "type": "function",
            "function": {"name": name, "arguments": json.dumps(args)},
        }
        return self._push(_Step("completion", tool_calls=[call]))

    def reply_status(
        self, status: int, body: dict[str, Any] | str | None = None, headers: dict[str, str] | None = None
    ) -> Self:
        """Answer `status` with `body` (a dict is sent as JSON; None -> an OpenAI-style error object)."""
        if body is None:
            body = {"error": {"message": f"fake error {status}", "type": "fake_error", "code": str(status)}}
        hdrs = dict(headers or {})
        if isinstance(body, dict):
            data = json.dumps(body).encode()
            hdrs.setdefault("content-type", "application/json")
        else:
            data = body.encode()
            hdrs.setdefault("content-type", "text/plain; charset=utf-8")
        return self._push(_Step("raw", status=status, body=data, headers=hdrs))

    def reply_delay(self, seconds: float, text: str = "late reply") -> Self:
        """Wait `seconds` before answering `text` (to trip client timeouts)."""
        return self._push(_Step("completion", delay_s=seconds, text=text))

    def reply_garbage(self, content_type: str = "application/json") -> Self:
        """A 200 whose body is not JSON (by default while claiming to be)."""
        return self._push(_Step("raw", body=b"<html>upstream proxy hiccup", headers={"content-type": content_type}))

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._steps)

    def assert_all_used(self) -> None:
        with self._lock:
            if self._steps:
                left = "; ".join(step.describe() for step in self._steps)
                raise AssertionError(f"FakeOpenAIServer: {len(self._steps)} scripted response(s) never served: {left}")

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == "POST" and r.path.endswith("/chat/completions")]

    def _push(self, step: _Step) -> Self:
        with self._lock:
            self._steps.append(step)
        return self

    # -- serving (handler threads) ----------------------------------------------------------------

    def _next_step(self) -> _Step | None:
        with self._lock:
            if not self._steps:
                return None
            self._served += 1
            return self._steps.popleft()

    def _refusal(self, request: Any) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """What a strict server answers instead of a completion (None: the request is acceptable)."""
        body = request if isinstance(request, dict) else {}
        if self.rejects_null_content and any(
                m.get("role") == "assistant" and m.get("content") is None for m in body.get("messages") or []):
            return 500, {"error": {"message": "assistant content must be a string", "type": "server_error"}}, \
                {"x-should-retry": "false"}
        if self.rejects_json_schema and (body.get("response_format") or {}).get("type") == "json_schema":
            return 400, {"error": {"message": "response_format json_schema is not supported",
                                   "type": "invalid_request_error"}}, {}
        return None

    def _completion(self, step: _Step, request: Any) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": step.text}
        if step.tool_calls:
            message["tool_calls"] = step.tool_calls
        prompt_chars = len(json.dumps((request or {}).get("messages", [])))
        completion_chars = len(step.text or "") + (len(json.dumps(step.tool_calls)) if step.tool_calls else 0)
        prompt_tokens, completion_tokens = math.ceil(prompt_chars / 4), math.ceil(completion_chars / 4)
        return {
            "id": f"chatcmpl-fake-{self._served}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": (request or {}).get("model", self.model),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": step.finish_reason or ("tool_calls" if step.tool_calls else "stop"),
                    "logprobs": None,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True  # handlers of abandoned keep-alive connections must not block shutdown

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # clients hanging up after a timeout are expected
            super().handle_error(request, client_address)


def _make_handler(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr logging
            pass

        def do_GET(self) -> None:
            self._record(b"")
            if self.path.rstrip("/").endswith("/v1/models"):
                self._send_json(200, {"object": "list", "data": [
                    {"id": server.model, "object": "model", "created": 0, "owned_by": "fake"}
                ]})
            else:
                self._send_json(404, {"error": {"message": f"no route GET {self.path}", "type": "not_found"}})

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            recorded = self._record(body)
            if not self.path.rstrip("/").endswith("/v1/chat/completions"):
                self._send_json(404, {"error": {"message": f"no route POST {self.path}", "type": "not_found"}})
                return
            if refusal := server._refusal(recorded.json):
                self._send_json(*refusal)
                return
            step = server._next_step()
            if step is None:
                message = (
                    f"FakeOpenAIServer: no scripted response left for request #{len(server.requests)} "
                    f"(POST {self.path}); script more replies"
                )
                self._send_json(500, {"error": {"message": message, "type": "fake_script_exhausted"}},
                                {"x-should-retry": "false"})
                return
            if step.delay_s and server._closing.wait(step.delay_s):
                return  # server shutting down; the client is long gone
            if step.kind == "raw":
                self._send(step.status, step.body, step.headers)
            else:
                self._send_json(200, server._completion(step, recorded.json))

        def _record(self, body: bytes) -> RecordedRequest:
            try:
                parsed = json.loads(body) if body else None
            except ValueError:
                parsed = None
            recorded = RecordedRequest(
                method=self.command,
                path=self.path,
                headers={k.lower(): v for k, v in self.headers.items()},
                json=parsed,
                body=body,
            )
            with server._lock:
                server.requests.append(recorded)
            return recorded

        def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(payload).encode(), {"content-type": "application/json", **(headers or {})})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            try:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout); nothing to tell it

    return Handler

"""The chat model: one factory for any OpenAI-compatible endpoint, and one safe way to call it.

Why it looks like this:

- **Built when called, never at import.** `make_chat_model` is the only place a `ChatOpenAI` (and its
  HTTP clients) is created. Importing this module needs no key, no network and no server; with
  `SHOPDESK_LLM_BASE_URL` unset, `LLMConfig.from_settings` returns None and the embedded deterministic
  engine runs instead.
- **Any OpenAI-compatible server** (OpenAI, Azure OpenAI's v1 endpoint, vLLM, Ollama, llama.cpp server):
  requests always go to Chat Completions (`use_responses_api=False`), which all of them serve; langchain
  would otherwise switch some model names to the Responses API that local servers lack.
- **A key is always sent.** Without one, `ChatOpenAI` falls back to `OPENAI_API_KEY` from the
  environment - sending a real OpenAI key to whatever endpoint is configured - and with no such
  variable it cannot even be built (the openai SDK raises "Missing credentials"). Local servers that
  need no key get a placeholder instead.
- **`max_tokens` as well as `max_completion_tokens`.** langchain-openai renames `max_tokens` to
  `max_completion_tokens`, which older llama.cpp servers, llama-cpp-python and llamafile ignore
  (the reply is then unbounded). `max_tokens` is therefore also sent, through `extra_body`, to every
  endpoint except OpenAI's own (api.openai.com, *.openai.azure.com): those reject a request that sets
  both ("invalid_parameter_combination"), and reasoning models reject `max_tokens` altogether.
  A per-call `max_tokens=` override only changes `max_completion_tokens`; set the limit here.
- **Retries are the openai SDK's** (`max_retries`), not ours: it retries connection errors, timeouts,
  HTTP 408, 409, 429 and every 5xx (a server's `x-should-retry: true|false` header overrides that),
  with exponential backoff 0.5 s, 1 s, 2 s ... capped at 8 s, minus up to 25 % jitter. A positive
  `Retry-After` / `retry-after-ms` up to 120 s is honoured instead of the backoff (`Retry-After: 0`
  falls back to it); a longer one is not retried at all. `timeout_s` applies per attempt, so the worst
  case is about `(max_retries + 1) * timeout_s` plus the backoff.
- **`invoke_safely`** turns every way the endpoint can fail (timeout, connection, HTTP error after the
  retries, a body that is not a chat completion, a reply cut at the token limit) into `LLMUnavailable`;
  callers keep the template or hand the conversation to a human on it. A reply with
  `finish_reason == "length"` is never used: a cut sentence or half a JSON object reads as complete.
- **What llama.cpp-style servers need on the wire** (`_ChatCompletionsModel`): a request with `tools`
  always carries `tool_choice` (without it llama-cpp-python's server silently drops the tools), and an
  assistant message with tool calls carries `"content": ""` (langchain-openai 1.x sends `null`, which those
  servers answer with HTTP 500, and the SDK then retries in vain).
- **Structured answers** (`invoke_structured`) go out with a JSON schema as `response_format`
  (`json_object` if the server rejects `json_schema` with 400/422), are validated with pydantic, and get
  one repair round that sends the validation error back; then `LLMUnavailable(reason="invalid_output")`.
  Prose is never scraped for braces.
- **Usage is counted where responses arrive**: every model `make_chat_model` builds carries an
  `LLMUsage` callback that sums calls and the tokens each response's `usage` reported (`usage_of`),
  so evals and benchmarks see what a real endpoint spent, not only what a test wrapper counted.
"""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self, TypeVar
from urllib.parse import urlsplit

import httpx
import openai
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import ModelError
from langchain_core.messages import AIMessage, HumanMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from agent.prompts import STRUCTURED_REPAIR_USER

if TYPE_CHECKING:
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.messages import BaseMessage
    from langchain_core.outputs import LLMResult
    from langchain_core.runnables import Runnable

NO_KEY_PLACEHOLDER = "sk-no-key-required"
"""Sent as the API key when none is configured (local servers ignore it)."""

_OPENAI_HOST_SUFFIXES = ("api.openai.com", ".openai.azure.com")


class LLMSettings(Protocol):
    """The settings `LLMConfig.from_settings` reads (shopdesk/settings.py `Settings` has them; the agent does not
    import the application's settings, issue 16: the caller passes them in)."""

    llm_base_url: str | None
    llm_model: str | None
    llm_api_key: SecretStr | None
    llm_timeout_s: float
    llm_max_retries: int
    llm_max_tokens: int


class LLMConfig(BaseModel):
    """Where the chat model lives and how patiently to call it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str = Field(min_length=1, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1.")
    model: str = Field(min_length=1)
    api_key: SecretStr | None = None
    timeout_s: float = Field(default=30, gt=0, description="Per attempt.")
    max_retries: int = Field(default=3, ge=0, description="Extra attempts after the first one.")
    max_tokens: int = Field(default=700, gt=0)
    temperature: float = Field(default=0.2, ge=0, le=2)

    @classmethod
    def from_settings(cls, settings: LLMSettings) -> Self | None:
        """The configured endpoint, or None when no endpoint is set (the embedded engine runs)."""
        if not settings.llm_base_url:
            return None
        if not settings.llm_model:
            raise ValueError("SHOPDESK_LLM_MODEL must be set when SHOPDESK_LLM_BASE_URL is set")
        return cls(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=settings.llm_api_key,
            timeout_s=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
            max_tokens=settings.llm_max_tokens,
        )


def make_chat_model(config: LLMConfig, *, http_client: httpx.Client | None = None) -> ChatOpenAI:
    """A `ChatOpenAI` for `config`'s endpoint, with its timeout, retries and token limit.

    `http_client` is used for sync calls when given (tests, proxies); the openai SDK (>= 3) also accepts an
    `httpx2.Client`. `timeout_s` is set on every request, so it wins over the client's own timeout.
    """
    api_key = config.api_key or SecretStr(NO_KEY_PLACEHOLDER)
    return _ChatCompletionsModel(
        base_url=config.base_url,
        model=config.model,
        api_key=api_key,
        timeout=config.timeout_s,
        max_retries=config.max_retries,
        max_tokens=config.max_tokens,
        temperature=config.temperature,
        extra_body=None if _is_openai_host(config.base_url) else {"max_tokens": config.max_tokens},
        use_responses_api=False,
        http_client=http_client,
        callbacks=[LLMUsage()],
    )


class _ChatCompletionsModel(ChatOpenAI):
    """`ChatOpenAI` with the request body llama.cpp-style servers accept (see the module docstring)."""

    def _get_request_payload(self, input_: LanguageModelInput, *, stop: list[str] | None = None,
                             **kwargs: Any) -> dict[str, Any]:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        if payload.get("tools") and "tool_choice" not in payload:
            payload["tool_choice"] = "auto"
        for message in payload.get("messages") or []:
            if message.get("role") == "assistant" and message.get("content") is None:
                message["content"] = ""
        return payload


def _is_openai_host(base_url: str) -> bool:
    host = (urlsplit(base_url).hostname or "").lower()
    return host.endswith(_OPENAI_HOST_SUFFIXES)


Reason = Literal["timeout", "connection", "http_status", "malformed_response", "model_error", "length",
                 "invalid_output"]
"""`length`: the reply hit max_tokens; `invalid_output`: a structured answer failed validation twice."""


class LLMUnavailable(Exception):
    """The model gave no usable answer (after the SDK's retries); hand the conversation to a human."""

    def __init__(self, message: str, *, reason: Reason, status_code: int | None = None) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.status_code = status_code


def invoke_safely(
    model: Runnable[LanguageModelInput, BaseMessage], messages: LanguageModelInput, **kwargs: Any
) -> AIMessage:
    """`model.invoke(messages, **kwargs)`, with every endpoint failure raised as `LLMUnavailable`.

    Retries already happened inside the openai SDK; this only classifies the final failure. The original
    exception stays attached as `__cause__` for logs.
    """
    try:
        reply = model.invoke(messages, **kwargs)
    except openai.LengthFinishReasonError as exc:  # raised by the SDK's parse path (response_format)
        raise LLMUnavailable("LLM reply cut at max_tokens (finish_reason=length)", reason="length") from exc
    except openai.ContentFilterFinishReasonError as exc:
        raise LLMUnavailable("LLM reply stopped by a content filter", reason="model_error") from exc
    except openai.APITimeoutError as exc:
        raise LLMUnavailable(f"LLM request timed out{_where(exc)}", reason="timeout") from exc
    except openai.APIConnectionError as exc:
        raise LLMUnavailable(f"LLM endpoint unreachable{_where(exc)}: {exc}", reason="connection") from exc
    except openai.APIStatusError as exc:
        raise LLMUnavailable(
            f"LLM endpoint answered HTTP {exc.status_code}{_where(exc)}: {exc.message}",
            reason="http_status",
            status_code=exc.status_code,
        ) from exc
    except openai.APIError as exc:  # e.g. APIResponseValidationError
        raise LLMUnavailable(f"LLM response unusable{_where(exc)}: {exc}", reason="malformed_response") from exc
    except httpx.TransportError as exc:  # raised by a user-supplied client outside the SDK's wrapping
        raise LLMUnavailable(f"LLM transport error: {exc!r}", reason="connection") from exc
    except ModelError as exc:  # langchain's provider-neutral errors not covered above (e.g. refusals)
        raise LLMUnavailable(f"LLM error: {exc}", reason="model_error") from exc
    except (ValueError, KeyError, TypeError) as exc:
        # A 200 whose body is not a chat completion: invalid JSON (JSONDecodeError), a non-JSON text
        # body, no `choices`, `choices: null`, or an `error` object.
        raise LLMUnavailable(
            f"LLM response is not a chat completion: {type(exc).__name__}: {exc}", reason="malformed_response"
        ) from exc
    if not isinstance(reply, AIMessage):
        raise LLMUnavailable(f"LLM returned {type(reply).__name__}, not an AIMessage", reason="malformed_response")
    if finish_reason(reply) == "length":
        raise LLMUnavailable("LLM reply cut at max_tokens (finish_reason=length)", reason="length")
    return reply


def _where(exc: openai.APIError) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    return f" ({url})" if url is not None else ""


def finish_reason(reply: AIMessage) -> str | None:
    """Why the model stopped ("stop", "tool_calls", "length", ...), as the endpoint reported it."""
    value = (reply.response_metadata or {}).get("finish_reason")
    return str(value) if value is not None else None


# ---------------------------------------------------------------- structured answers

StructuredT = TypeVar("StructuredT", bound=BaseModel)
_FORMAT_REJECTED = (400, 422)


def json_schema_format(schema: type[BaseModel], name: str) -> dict[str, Any]:
    """The `response_format` asking for `schema` (strict: the schemas we send are closed and all-required)."""
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema.model_json_schema(), "strict": True}}


def invoke_structured(model: Runnable[LanguageModelInput, BaseMessage], messages: list[BaseMessage],
                      schema: type[StructuredT], *, name: str) -> StructuredT:
    """The model's answer as a validated `schema`, or `LLMUnavailable` (callers then fail safe).

    One repair round: the invalid answer and the validation error go back to the model once.
    """
    response_format = json_schema_format(schema, name)
    try:
        reply = invoke_safely(model, messages, response_format=response_format)
    except LLMUnavailable as exc:
        if exc.status_code not in _FORMAT_REJECTED:
            raise
        response_format = {"type": "json_object"}  # the server knows JSON mode but not json_schema
        reply = invoke_safely(model, messages, response_format=response_format)
    try:
        return _parse(reply, schema)
    except ValidationError as exc:
        error = _short_error(exc)
    repair = HumanMessage(content=STRUCTURED_REPAIR_USER.format(
        error=error, schema=json.dumps(schema.model_json_schema())))
    retry = invoke_safely(model, [*messages, AIMessage(content=_text(reply)), repair], response_format=response_format)
    try:
        return _parse(retry, schema)
    except ValidationError as exc:
        raise LLMUnavailable(f"LLM answer invalid after one repair: {_short_error(exc)}",
                             reason="invalid_output") from exc


def _parse(reply: AIMessage, schema: type[StructuredT]) -> StructuredT:
    parsed = reply.additional_kwargs.get("parsed")  # the SDK's parse path fills it for a pydantic format only
    if isinstance(parsed, schema):
        return parsed
    return schema.model_validate_json(_text(reply).strip() or "null")


def _text(reply: AIMessage) -> str:
    return reply.content if isinstance(reply.content, str) else str(reply.text)


def _short_error(exc: ValidationError) -> str:
    parts = [f"{'.'.join(str(x) for x in e['loc']) or 'answer'}: {e['msg']}" for e in exc.errors()[:5]]
    return "; ".join(parts)[:500]


# ---------------------------------------------------------------- usage

class LLMUsage(BaseCallbackHandler):
    """Calls and tokens as the endpoint reported them, summed over every response (thread-safe).

    A call is one response received (the SDK's retries of a failed attempt are not calls); tokens come
    from each response's `usage` (`usage_metadata`), so a model that reports none counts calls only.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.input_tokens = 0
        self.output_tokens = 0

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        messages = [getattr(g, "message", None) for gens in response.generations for g in gens]
        found = [m.usage_metadata for m in messages if isinstance(m, AIMessage) and m.usage_metadata]
        if found:
            tokens_in, tokens_out = sum(u["input_tokens"] for u in found), sum(u["output_tokens"] for u in found)
        else:
            raw = (response.llm_output or {}).get("token_usage") or {}
            tokens_in, tokens_out = int(raw.get("prompt_tokens") or 0), int(raw.get("completion_tokens") or 0)
        self._add(tokens_in, tokens_out)

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        usage = getattr(getattr(error, "completion", None), "usage", None)  # a cut reply did arrive
        if usage is not None:
            self._add(int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0))

    def _add(self, tokens_in: int, tokens_out: int) -> None:
        with self._lock:
            self.calls += 1
            self.input_tokens += tokens_in
            self.output_tokens += tokens_out

    def snapshot(self) -> tuple[int, int, int]:
        """(calls, input tokens, output tokens) so far."""
        with self._lock:
            return self.calls, self.input_tokens, self.output_tokens


def usage_of(model: Any) -> LLMUsage | None:
    """The usage counter attached to `model` (or to the model a `bind`/`bind_tools` wraps), if any."""
    target = getattr(model, "bound", model)
    callbacks = getattr(target, "callbacks", None)
    handlers = callbacks if isinstance(callbacks, list) else getattr(callbacks, "handlers", None) or []
    return next((h for h in handlers if isinstance(h, LLMUsage)), None)


def track_usage(model: Any) -> LLMUsage:
    """`model`'s usage counter, attached now if it has none (models built outside `make_chat_model`)."""
    found = usage_of(model)
    if found is not None:
        return found
    counter = LLMUsage()
    callbacks = getattr(model, "callbacks", None)
    if callbacks is None:
        model.callbacks = [counter]
    elif isinstance(callbacks, list):
        callbacks.append(counter)
    else:
        callbacks.add_handler(counter)
    return counter

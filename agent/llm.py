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
  retries, a body that is not a chat completion) into `LLMUnavailable`; callers hand the conversation
  to a human on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Self
from urllib.parse import urlsplit

import httpx
import openai
from langchain_core.exceptions import ModelError
from langchain_core.messages import AIMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, ConfigDict, Field, SecretStr

if TYPE_CHECKING:
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.messages import BaseMessage
    from langchain_core.runnables import Runnable

    from shopdesk.settings import Settings

NO_KEY_PLACEHOLDER = "sk-no-key-required"
"""Sent as the API key when none is configured (local servers ignore it)."""

_OPENAI_HOST_SUFFIXES = ("api.openai.com", ".openai.azure.com")


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
    def from_settings(cls, settings: Settings) -> Self | None:
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
    return ChatOpenAI(
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
    )


def _is_openai_host(base_url: str) -> bool:
    host = (urlsplit(base_url).hostname or "").lower()
    return host.endswith(_OPENAI_HOST_SUFFIXES)


Reason = Literal["timeout", "connection", "http_status", "malformed_response", "model_error"]


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
    return reply


def _where(exc: openai.APIError) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    return f" ({url})" if url is not None else ""

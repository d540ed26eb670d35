"""What goes on the wire to an OpenAI-compatible server, and every guard against what comes back.

Wire shapes are checked on the request bodies the fake server on 127.0.0.1 recorded, sent by the real
`ChatOpenAI` client: `tool_choice` with tools, `"content": ""` on assistant tool-call messages, a JSON
schema as `response_format`. The fake can be as strict as llama.cpp-style servers (500 on null content,
400 on json_schema), so a regression fails here rather than against a real server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, ConfigDict, Field

from agent.llm import (
    LLMConfig,
    LLMUnavailable,
    invoke_safely,
    invoke_structured,
    make_chat_model,
    track_usage,
    usage_of,
)
from agent.llm_engine import llm_rewrite
from agent.triage.classifier import IntentGuess
from evals.runner import _llm_usage
from evals.suite import EvalConfig, _describe, eval_llm
from agent_fixtures import wording_on
from fake_llm import FakeOpenAIServer, ScriptedChatModel
from shopdesk.settings import Settings
from tools.models import Order
from tools.sandbox.store import SandboxStore


@tool
def lookup_order(order_id: str) -> str:
    """Look up one order of the current customer.

    Args:
        order_id: The marketplace order id.
    """
    return f"order {order_id}: shipped"


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ok: bool
    score: int = Field(ge=1, le=5)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(rejects_null_content=True, rejects_json_schema=False) as s:
        yield s


def model_for(server: FakeOpenAIServer, **overrides: object) -> ChatOpenAI:
    return make_chat_model(LLMConfig(base_url=server.base_url, model="local", max_retries=0, **overrides))  # type: ignore[arg-type]


class UnsureClassifier:
    def classify(self, text: str) -> IntentGuess:
        return IntentGuess(intent="other", confidence=0.2, nearest_similarity=0.2, runner_up=None)

    def classify_many(self, texts: list[str]) -> list[IntentGuess]:
        return [self.classify(t) for t in texts]


class UnsureAboutOrders:
    """Reads a where-is-my-order message right but without confidence (a person will take it)."""

    def classify(self, text: str) -> IntentGuess:
        return IntentGuess(intent="order_status", confidence=0.2, nearest_similarity=0.2, runner_up=None)

    def classify_many(self, texts: list[str]) -> list[IntentGuess]:
        return [self.classify(t) for t in texts]


def in_transit(store: SandboxStore) -> Order:
    return next(o for o in store.find_orders(platform="amazon", status="in_transit", limit=None)
                if not any(e.type in ("delayed", "exception", "lost") for s in o.shipments for e in s.events))


# ---------------------------------------------------------------- tools on the wire

def test_bound_tools_always_carry_tool_choice(server: FakeOpenAIServer) -> None:
    """Without tool_choice, llama-cpp-python's server drops the tools; bind_tools alone must not lose them."""
    server.reply_text("ok").reply_text("ok")
    model = model_for(server)
    invoke_safely(model.bind_tools([lookup_order]), "where is A-1?")
    invoke_safely(model, "hi")

    with_tools, without = (r.json for r in server.chat_requests)
    assert with_tools["tool_choice"] == "auto" and [t["function"]["name"] for t in with_tools["tools"]] == ["lookup_order"]
    assert "tools" not in without and "tool_choice" not in without


def test_an_assistant_tool_call_goes_back_with_empty_string_content(server: FakeOpenAIServer) -> None:
    server.reply_tool_call("lookup_order", {"order_id": "A-1"}, call_id="call_1").reply_text("A-1 shipped.")
    model = model_for(server).bind_tools([lookup_order], tool_choice="auto")
    messages: list = [HumanMessage("where is A-1?")]
    call = invoke_safely(model, messages)
    messages += [call, ToolMessage(lookup_order.invoke(call.tool_calls[0]["args"]), tool_call_id="call_1")]

    assert invoke_safely(model, messages).content == "A-1 shipped."
    assistant = server.chat_requests[1].json["messages"][1]
    assert assistant["role"] == "assistant" and assistant["content"] == ""
    assert assistant["tool_calls"][0]["id"] == "call_1"
    assert '"content": null' not in server.chat_requests[1].body.decode()


def test_the_strict_fake_rejects_what_plain_chat_openai_sends(server: FakeOpenAIServer) -> None:
    """The control for the test above: langchain-openai on its own sends null, which such servers refuse."""
    plain = ChatOpenAI(base_url=server.base_url, model="local", api_key="k", max_retries=0)  # type: ignore[arg-type]
    history = [HumanMessage("where is A-1?"),
               AIMessage("", tool_calls=[{"name": "lookup_order", "args": {"order_id": "A-1"}, "id": "c1"}]),
               ToolMessage("shipped", tool_call_id="c1")]
    with pytest.raises(LLMUnavailable, match="HTTP 500"):
        invoke_safely(plain.bind_tools([lookup_order]), history)
    assert server.chat_requests[0].json["messages"][1]["content"] is None


# ---------------------------------------------------------------- finish_reason

def test_a_reply_cut_at_max_tokens_is_not_used(server: FakeOpenAIServer) -> None:
    server.reply_truncated("Hi Dana, your order 112-")
    with pytest.raises(LLMUnavailable, match="max_tokens") as info:
        invoke_safely(model_for(server), "where is my order?")
    assert info.value.reason == "length"


def test_a_structured_reply_cut_at_max_tokens_is_not_used(server: FakeOpenAIServer) -> None:
    """With response_format the SDK's parse path raises its own error; it must not escape as a crash."""
    server.reply_truncated('{"ok": true, "sco')
    model = model_for(server)
    with pytest.raises(LLMUnavailable) as info:
        invoke_structured(model, [HumanMessage("grade this")], Verdict, name="verdict")
    assert info.value.reason == "length" and len(server.chat_requests) == 1
    assert usage_of(model).snapshot()[0] == 1  # the cut response still counts as a call


# ---------------------------------------------------------------- structured answers

def test_structured_calls_send_a_json_schema_and_validate(server: FakeOpenAIServer) -> None:
    server.reply_json({"ok": False, "score": 2})
    verdict = invoke_structured(model_for(server), [HumanMessage("grade this")], Verdict, name="verdict")

    assert verdict == Verdict(ok=False, score=2)
    fmt = server.chat_requests[0].json["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "verdict" and fmt["json_schema"]["strict"]
    schema = fmt["json_schema"]["schema"]
    assert schema["additionalProperties"] is False and set(schema["required"]) == {"ok", "score"}


def test_a_server_without_json_schema_gets_json_mode(server: FakeOpenAIServer) -> None:
    server.rejects_json_schema = True
    server.reply_json({"ok": True, "score": 5})
    assert invoke_structured(model_for(server), [HumanMessage("grade")], Verdict, name="verdict").score == 5
    first, second = (r.json["response_format"] for r in server.chat_requests)
    assert first["type"] == "json_schema" and second == {"type": "json_object"}
    server.assert_all_used()


def test_an_invalid_answer_gets_one_repair_with_the_error(server: FakeOpenAIServer) -> None:
    server.reply_text("Sure! The reply looks fine to me.").reply_json({"ok": True, "score": 4})
    assert invoke_structured(model_for(server), [HumanMessage("grade")], Verdict, name="verdict").score == 4

    repair = server.chat_requests[1].json
    assert repair["response_format"]["type"] == "json_schema"
    assert [m["role"] for m in repair["messages"]] == ["user", "assistant", "user"]
    assert repair["messages"][1]["content"] == "Sure! The reply looks fine to me."
    assert "not valid" in repair["messages"][2]["content"] and "Invalid JSON" in repair["messages"][2]["content"]


def test_a_second_invalid_answer_is_unavailable(server: FakeOpenAIServer) -> None:
    server.reply_json({"ok": "maybe", "score": 9}).reply_json({"ok": True, "score": 0})
    with pytest.raises(LLMUnavailable, match="invalid after one repair") as info:
        invoke_structured(model_for(server), [HumanMessage("grade")], Verdict, name="verdict")
    assert info.value.reason == "invalid_output" and len(server.chat_requests) == 2
    assert "score" in server.chat_requests[1].json["messages"][-1]["content"]  # the error named the field


# ---------------------------------------------------------------- usage

def test_calls_and_tokens_are_counted_from_the_responses(server: FakeOpenAIServer) -> None:
    server.reply_text("first").reply_tool_call("lookup_order", {"order_id": "A-1"})
    model = model_for(server)
    invoke_safely(model, "hi")
    invoke_safely(model.bind_tools([lookup_order]), "where is A-1?")  # the bound model counts on the same counter

    reported = [(r.json["messages"], r) for r in server.chat_requests]
    assert len(reported) == 2
    calls, tokens_in, tokens_out = usage_of(model).snapshot()
    # the fake reports ceil(chars / 4) of the request's messages and of the reply
    expected_in = sum(-(-len(json.dumps(r.json["messages"])) // 4) for r in server.chat_requests)
    assert calls == 2 and tokens_in == expected_in and tokens_out > 0
    assert _llm_usage(model) == (calls, tokens_in, tokens_out)  # what evals report per scenario


def test_models_built_elsewhere_get_a_counter() -> None:
    model = ScriptedChatModel([AIMessage("one"), AIMessage("two")])
    counter = track_usage(model)
    assert track_usage(model) is counter
    model.invoke("a")
    model.bind(stop=["x"]).invoke("b")
    model.assert_all_used()
    assert counter.snapshot() == (2, 0, 0) and _llm_usage(model) == (2, 0, 0)


# ---------------------------------------------------------------- evals pick the configured endpoint

def test_eval_runs_use_the_environments_endpoint_unless_the_config_names_one(server: FakeOpenAIServer) -> None:
    settings = Settings(_env_file=None, llm_base_url=server.base_url, llm_model="env-model", llm_max_tokens=123)
    from_env = eval_llm(settings, EvalConfig())
    assert from_env is not None and from_env.model_name == "env-model" and from_env.openai_api_base == server.base_url
    assert from_env.max_tokens == 123 and usage_of(from_env) is not None
    assert _describe(from_env) == f"llm env-model at {server.base_url.removeprefix('http://')}"

    override = eval_llm(settings, EvalConfig(llm_base_url="http://127.0.0.1:9/v1", llm_model="cfg-model"))
    assert override is not None and (override.model_name, override.openai_api_base) == (
        "cfg-model", "http://127.0.0.1:9/v1")
    assert eval_llm(settings, EvalConfig(embedded=True)) is None
    assert eval_llm(Settings(_env_file=None, llm_base_url=None), EvalConfig()) is None
    assert _describe(None) == "embedded"


# ---------------------------------------------------------------- through the graph

def test_long_tail_wire_end_to_end(make_runtime, say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    """Triage as a JSON schema, tools with tool_choice, the follow-up round with content "" - all accepted
    by a server as strict as llama.cpp's."""
    order = in_transit(store)
    with FakeOpenAIServer(rejects_null_content=True) as server:
        server.reply_json({"intent": "other", "confidence": 0.6})
        server.reply_tool_call("get_order", {"order_id": order.id}, call_id="c1")
        server.reply_text(f"Hi,\n\nYour order {order.id} is on its way.\n\n— The Northfork Goods team")
        rt = make_runtime(llm=model_for(server, timeout_s=5), settings=wording_on())
        rt.context.classifier = UnsureClassifier()
        trace = say(order.customer_id, "amazon", "could you add a gift note to what I bought?", rt=rt)
        server.assert_all_used()
        triage_body, first, follow_up = (r.json for r in server.chat_requests)
    assert triage_body["response_format"]["json_schema"]["name"] == "triage" and "tools" not in triage_body
    assert first["tool_choice"] == "auto" and "get_order" in [t["function"]["name"] for t in first["tools"]]
    assistant = next(m for m in follow_up["messages"] if m["role"] == "assistant")
    assert assistant["content"] == "" and assistant["tool_calls"][0]["id"] == "c1"
    assert follow_up["messages"][-1] == {"role": "tool", "tool_call_id": "c1",
                                         "content": follow_up["messages"][-1]["content"]}
    assert [c.name for c in trace.tool_calls] == ["get_order"] and trace.intent == "other"
    assert trace.draft and order.id in trace.draft


def test_unparseable_triage_is_repaired_once_then_the_classifier_stands(make_runtime, say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = in_transit(store)
    model = ScriptedChatModel([AIMessage("It is probably about an order."), AIMessage('{"intent": "where"}')])
    rt = make_runtime(llm=model, settings=wording_on())
    rt.context.classifier = UnsureAboutOrders()
    trace = say(order.customer_id, "amazon", "hmm so what about the thing", rt=rt)
    model.assert_all_used()  # two triage calls, no phrasing: an unsure topic goes to a person
    assert model.options_per_call[0]["response_format"]["json_schema"]["name"] == "triage"
    assert "not valid" in str(model.received[1][-1].content)
    assert trace.intent == "order_status" and trace.route == "handoff"
    assert any("LLM triage unavailable (invalid_output)" in n for n in trace.engine_notes)


def test_no_phrasing_call_for_a_message_already_going_to_a_person(make_runtime, say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = in_transit(store)
    model = ScriptedChatModel([AIMessage('{"intent": "order_status", "confidence": 0.2}')])  # triage only
    rt = make_runtime(llm=model, settings=wording_on())
    rt.context.classifier = UnsureAboutOrders()
    trace = say(order.customer_id, "amazon", f"so {order.id}, what now", rt=rt)
    model.assert_all_used()
    assert trace.route == "handoff" and any("not confident" in r for r in trace.reasons)
    assert any(n.startswith("no LLM phrasing: the message goes to a person") for n in trace.engine_notes)


def test_no_long_tail_answer_for_a_message_already_going_to_a_person(make_runtime, say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel([AIMessage('{"intent": "other", "confidence": 0.3}')])  # below the handoff line
    rt = make_runtime(llm=model, settings=wording_on())
    rt.context.classifier = UnsureClassifier()
    trace = say(store.list_customers()[5].id, "amazon", "something unusual happened", rt=rt)
    model.assert_all_used()
    assert trace.route == "handoff" and trace.tool_calls == []
    assert any(n.startswith("no LLM answer: the message goes to a person") for n in trace.engine_notes)


def test_a_phrasing_cut_at_max_tokens_keeps_the_template(make_runtime, say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = in_transit(store)
    with FakeOpenAIServer() as server:
        server.reply_truncated("Hi there,\n\nGood news: order")
        rt = make_runtime(llm=model_for(server, timeout_s=5), settings=wording_on())
        trace = say(order.customer_id, "amazon", f"where is my order {order.id}", rt=rt)
        server.assert_all_used()
    assert order.shipments[0].tracking_number in trace.draft and "Good news: order\n" not in trace.draft
    assert trace.route == "auto_send"
    assert "LLM phrasing was cut at max_tokens; kept the template" in trace.engine_notes


def test_a_long_tail_answer_cut_at_max_tokens_is_handed_off(make_runtime, say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel([
        AIMessage('{"intent": "other", "confidence": 0.6}'),
        AIMessage("Hi,\n\nAbout your question, we can certainly", response_metadata={"finish_reason": "length"}),
    ])
    rt = make_runtime(llm=model, settings=wording_on())
    rt.context.classifier = UnsureClassifier()
    trace = say(store.list_customers()[5].id, "amazon", "can you help me with something odd", rt=rt)
    model.assert_all_used()
    assert trace.route == "handoff" and trace.draft is None
    assert any("max_tokens" in r for r in trace.reasons)


def test_an_unparseable_review_is_a_failed_review(make_runtime, say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    order = in_transit(store)
    s = order.shipments[0]
    model = ScriptedChatModel([
        AIMessage(f"Hi there,\n\nOrder {order.id} is moving with {s.carrier}, tracking {s.tracking_number}."
                  "\n\n— The Northfork Goods team"),
        AIMessage("Looks good to me!"),  # not the JSON verdict
        AIMessage("No problems."),  # the repair fails too
    ])
    rt = make_runtime(llm=model, settings=wording_on())
    rt.context.llm_review = True
    trace = say(order.customer_id, "amazon", f"where is my order {order.id}", rt=rt)
    model.assert_all_used()  # no rewrite: rewording cannot fix a missing verdict
    assert model.options_per_call[1]["response_format"]["json_schema"]["name"] == "review"
    assert trace.route == "review" and not trace.compliance["ok"]
    (violation,) = trace.compliance["violations"]
    assert violation["rule"] == "llm_review" and not violation["fixable"] and "invalid_output" in violation["message"]
    assert rt.context.outbox.for_conversation(trace.thread) == []


def test_the_rewrite_sees_the_passages(make_runtime, say, store: SandboxStore) -> None:  # type: ignore[no-untyped-def]
    """A policy answer is rewritten from the passages it quoted, not from an empty list of tool results."""
    customer = store.list_customers()[3]
    template = say(customer.id, "amazon", "how long do refunds take?", rt=make_runtime()).draft
    assert template and "\n\n\u2014" in template
    marketing = template.replace("\n\n\u2014", " Check out our new arrivals!\n\n\u2014")  # breaks Amazon's rule
    model = ScriptedChatModel([AIMessage(marketing), AIMessage(template)])
    rt = make_runtime(llm=model, settings=wording_on())
    trace = say(customer.id, "amazon", "how long do refunds take?", rt=rt)
    model.assert_all_used()
    assert trace.intent == "policy_question" and trace.passages and trace.draft == template
    rewrite_request = str(model.received[1][-1].content)
    assert "marketing" in rewrite_request and f"[{trace.passages[0]}]" in rewrite_request
    assert "Facts from our systems (JSON):\n[]" in rewrite_request  # a policy answer has no tool facts


def test_llm_rewrite_puts_passages_in_the_prompt() -> None:
    model = ScriptedChatModel([AIMessage("fixed")])

    class Ctx:
        llm = model

    passages = [{"id": "returns-amazon#refund-timing", "text": "Refunds reach the card in 3-5 business days."}]
    notes: list[str] = []
    assert llm_rewrite(Ctx(), "bad", ["ungrounded_fact: 7 days"], [], passages=passages, notes=notes) == "fixed"  # type: ignore[arg-type]
    request = str(model.received[0][-1].content)
    assert "[returns-amazon#refund-timing] Refunds reach the card in 3-5 business days." in request
    assert isinstance(model.received[0][0], SystemMessage) and notes == []

"""Issue 18 item 4: signed but malformed webhook bodies answered 500 with a traceback and left no audit row.

Deeply nested JSON (recursion), a lone surrogate (`\\ud800`) in text and out-of-range timestamps each crashed
a parser or the store. Now every such body answers 400 with a reason and is kept in the audit log, and a lone
surrogate is repaired (U+FFFD) so the customer's message is still stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from shopdesk.settings import Settings

from webhook_env import PLATFORMS_WITH_WEBHOOKS, Stack, templates, webhook_stack


@pytest.fixture
def stack(service_settings: Settings) -> Iterator[Stack]:
    with webhook_stack(service_settings) as s:
        yield s


def assert_rejected_and_kept(stack: Stack, response: Any, body: bytes, reason_has: str) -> None:
    assert response.status_code == 400, response.text
    reason = response.json()["reason"]
    assert reason_has in reason
    row = stack.service.conversations.audit_log()[0]
    assert row.action == "rejected_payload" and row.detail["reason"] == reason
    assert row.detail["body"] == body[:65536].decode("utf-8", "replace")
    assert stack.service.inbox.items() == []


@pytest.mark.parametrize("platform", PLATFORMS_WITH_WEBHOOKS)
def test_deeply_nested_json_is_a_400_kept_in_the_audit_log(stack: Stack, platform: str) -> None:
    body = b"[" * 60_000 + b"]" * 60_000  # far beyond the interpreter's recursion limit
    assert_rejected_and_kept(stack, stack.post(platform, body), body, "nested")


@pytest.mark.parametrize("platform", PLATFORMS_WITH_WEBHOOKS)
def test_nesting_inside_a_valid_delivery_is_a_400(stack: Stack, platform: str) -> None:
    payload = templates()[platform]
    deep: Any = "bottom"
    for _ in range(200):
        deep = {"d": deep}
    payload["extra"] = deep
    body = json.dumps(payload).encode()
    assert_rejected_and_kept(stack, stack.post(platform, body), body, "nested")


def test_nested_json_inside_the_tiktok_content_string_is_a_400(stack: Stack) -> None:
    payload = templates()["tiktok"]
    payload["data"]["content"] = "[" * 50_000 + "]" * 50_000
    body = json.dumps(payload).encode()
    assert_rejected_and_kept(stack, stack.post("tiktok", body), body, "nested")


def _set(payload: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = payload
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last] = value


OUT_OF_RANGE = [
    ("tiktok", "data.create_time", 10**20), ("tiktok", "data.create_time", -(10**15)),
    ("tiktok", "timestamp", 10**30),  # an order event's time falls back to the envelope's
    ("meta", "entry.0.messaging.0.timestamp", 10**30), ("meta", "entry.0.messaging.0.timestamp", 10**18),
    ("ebay", "notification.data.createdDate", "9999-12-31T23:59:59-23:59"),
    ("ebay", "notification.publishDate", "0001-01-01T00:00:00+23:59"),
    ("walmart", "source.eventTime", 10**22), ("walmart", "source.eventTime", "99999999999999999999999"),
]


@pytest.mark.parametrize(("platform", "path", "value"), OUT_OF_RANGE)
def test_out_of_range_timestamps_are_a_400(stack: Stack, platform: str, path: str, value: Any) -> None:
    payload = templates()[platform]
    if platform == "tiktok" and path == "timestamp":
        payload["type"], payload["data"] = 1, {"order_id": "576461413038785752", "order_status": "IN_TRANSIT"}
    _set(payload, path, value)
    body = json.dumps(payload).encode()
    assert_rejected_and_kept(stack, stack.post(platform, body), body, "time")


def test_an_unreadable_shopify_refund_amount_is_a_400(stack: Stack) -> None:
    payload = templates()["shopify"]
    payload["transactions"] = [{"kind": "refund", "amount": "1,000"}, "not an object", {"kind": "refund", "amount": "x"}]
    body = json.dumps(payload).encode()
    assert_rejected_and_kept(stack, stack.post("shopify", body, {"X-Shopify-Topic": "refunds/create"}), body, "amount")


@pytest.mark.parametrize("platform", ["tiktok", "meta", "ebay"])
@pytest.mark.parametrize("encoding", ["ascii-escape", "utf-8-surrogatepass", "utf-16"])
def test_a_lone_surrogate_is_repaired_and_the_message_kept(stack: Stack, platform: str, encoding: str) -> None:
    payload = templates("my order \ud800 never came \udfff!")[platform]
    if encoding == "ascii-escape":
        body = json.dumps(payload).encode()  # "\ud800" as a JSON escape
    elif encoding == "utf-8-surrogatepass":
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass")
    else:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-16", "surrogatepass")
    response = stack.post(platform, body)
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 1
    [item] = stack.service.inbox.items()
    assert item.message.text == "my order \ufffd never came \ufffd!"
    [conversation] = stack.service.conversations.list()
    assert [m.text for m in stack.service.conversations.messages(conversation.key)] == [item.message.text]


def test_a_lone_surrogate_in_ids_and_keys_is_repaired(stack: Stack) -> None:
    payload = templates(message_id="m-\udc00", conversation="c-\ud83d")["tiktok"]
    payload["data"]["sender"]["im_user_id"] = "user-\ud800"
    payload["\ud800key"] = "\udfff"
    response = stack.post("tiktok", json.dumps(payload).encode())
    assert response.status_code == 200 and response.json()["accepted"] == 1
    [item] = stack.service.inbox.items()
    assert (item.delivery_id, item.conversation_key) == ("m-\ufffd", "tiktok:c-\ufffd")

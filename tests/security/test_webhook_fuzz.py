"""Issue 18: every webhook endpoint, fuzzed. Signed bodies of random JSON shapes, encodings and sizes never
get a 5xx (a signed body the parser cannot read is a 400 kept in the audit log), and the same body under a
wrong signature is a 401 that stores nothing.

Deterministic (derandomize) and bounded (about 60 examples per endpoint, two requests each).
"""

from __future__ import annotations

import copy
import json
import string
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channels.shopify import TOPICS
from shopdesk.settings import Settings

from webhook_env import PLATFORMS_WITH_WEBHOOKS, Stack, templates, webhook_stack

CAP = 32_768
EXAMPLES = 60

TEXT = st.text(st.characters(exclude_categories=()), max_size=24)  # lone surrogates and control characters too
SPECIAL = st.sampled_from([
    10**20, -(10**15), 2**63, 10**400 // 10**370, 1e308, -0.0, True, None, "", " ", "\ud800", "\udfff x \ud83d",
    "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "2026-13-45", "NaN", "1e999999", [], {},
    "x" * 25_000, "[" * 2000, {"content": "hi"}, json.dumps({"content": "\ud800"}), "576461413038785752",
])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**25), 10**25) | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT | SPECIAL,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12)
HEADER_TEXT = st.text(string.ascii_letters + string.digits + "-_/.", max_size=24)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a template a value can be swapped or dropped."""
    found: list[tuple[Any, ...]] = [prefix] if prefix else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, value in items:
        found += paths(value, (*prefix, key))
    return found


def mutate(payload: Any, changes: list[tuple[tuple[Any, ...], Any]], drops: list[tuple[Any, ...]]) -> Any:
    payload = copy.deepcopy(payload)
    for path, value in changes + [(p, KeyError) for p in drops]:
        node = payload
        try:
            for part in path[:-1]:
                node = node[part]
            if value is KeyError:
                del node[path[-1]]
            else:
                node[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change reshaped the document
    return payload


def encode(payload: Any, encoding: str, padding: int) -> bytes:
    if isinstance(payload, bytes):
        return payload + b" " * padding
    text = json.dumps(payload, ensure_ascii=encoding == "ascii") + " " * padding
    return text.encode("utf-8" if encoding == "ascii" else encoding, "surrogatepass")


@st.composite
def deliveries(draw: st.DrawFn, platform: str) -> tuple[bytes, dict[str, str]]:
    n = draw(st.integers(0, 10**6))
    template = templates(draw(TEXT), message_id=f"m-{n}", conversation=f"c-{n % 7}")[platform]
    where = paths(template)
    shape = draw(st.sampled_from(["mutated", "mutated", "mutated", "any_json", "bytes"]))
    if shape == "mutated":
        changes = draw(st.lists(st.tuples(st.sampled_from(where), JSON), max_size=3))
        payload: Any = mutate(template, changes, draw(st.lists(st.sampled_from(where), max_size=2)))
    elif shape == "any_json":
        payload = draw(JSON)
    else:
        payload = draw(st.binary(max_size=400))
    encoding = draw(st.sampled_from(["ascii", "utf-8", "utf-16", "utf-16-le", "utf-32"]))
    padding = draw(st.sampled_from([0, 0, 0, 1000, CAP - 200, CAP + 10]))
    headers = {}
    if platform == "shopify":
        headers = {"X-Shopify-Topic": draw(st.sampled_from([*TOPICS, "shop/update", ""])),
                   "X-Shopify-Webhook-Id": draw(HEADER_TEXT),
                   "X-Shopify-Triggered-At": draw(st.sampled_from(["", "2026-11-26T09:00:00Z",
                                                                   "9999-12-31T23:59:59-23:59", "garbage"]))}
    return encode(payload, encoding, padding), headers


@pytest.fixture
def stack(service_settings: Settings) -> Iterator[Stack]:
    with webhook_stack(service_settings, webhook_max_body_bytes=dict.fromkeys(PLATFORMS_WITH_WEBHOOKS, CAP)) as s:
        yield s


@pytest.mark.slow
@pytest.mark.parametrize("platform", PLATFORMS_WITH_WEBHOOKS)
def test_fuzzed_deliveries_never_fail_the_server_and_unverified_ones_store_nothing(stack: Stack,
                                                                                   platform: str) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(delivery=deliveries(platform))
    def check(delivery: tuple[bytes, dict[str, str]]) -> None:
        body, headers = delivery
        signed = stack.post(platform, body, headers)
        assert signed.status_code < 500, (signed.status_code, signed.text, body[:300])
        if len(body) > CAP:
            assert signed.status_code == 413
        elif signed.status_code == 400:
            row = stack.service.conversations.audit_log()[0]
            assert row.action == "rejected_payload" and row.detail["reason"] == signed.json()["reason"]
        else:
            assert signed.status_code == 200, (signed.status_code, signed.text, body[:300])

        before = stack.stored()
        forged = dict(stack.signed(platform, body + b"tampered", headers))
        unverified = stack.post(platform, body, forged, sign=False)
        assert unverified.status_code == (413 if len(body) > CAP else 401)
        assert stack.stored() == before  # nothing from an unverified body
        if unverified.status_code == 401:
            row = stack.service.conversations.audit_log()[0]
            assert row.action == "rejected_signature" and "body" not in row.detail

    check()

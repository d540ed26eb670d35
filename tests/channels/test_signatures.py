"""Signature verification per platform: valid, invalid, missing, malformed and unconfigured.

Expected values were computed independently with `openssl dgst -sha256 -hmac`, not with the code under test.
"""

from __future__ import annotations

import pytest

from channels.signatures import (
    SignatureError,
    meta_handshake,
    tiktok_request_sign,
    verify_meta,
    verify_shopify,
    verify_tiktok_webhook,
)

SHOPIFY_BODY = b'{"id":820982911946154508,"email":"jon@example.com"}'
SHOPIFY_SIG = "D0UMXmhjwBRi4y66TmhJrDlhQABD7zI2fm3p6/QLMo8="
META_BODY = b'{"object":"page","entry":[]}'
META_SIG = "sha256=c85cd075d7390cfd477f58b73c953366209f6712aa74b05ba29c1b26c4ec8f95"
TIKTOK_BODY = b'{"type":14,"data":{}}'
TIKTOK_SIG = "0253051d8b317dccf1646f1b680f29c4264859830bbe06f9560d38c262dd23f7"


def reason(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(SignatureError) as info:
        call()
    return info.value.reason


def test_shopify() -> None:
    verify_shopify(SHOPIFY_BODY, SHOPIFY_SIG, "hush")
    assert reason(lambda: verify_shopify(SHOPIFY_BODY + b" ", SHOPIFY_SIG, "hush")) == "mismatch"  # body re-serialised
    assert reason(lambda: verify_shopify(SHOPIFY_BODY, SHOPIFY_SIG, "other")) == "mismatch"
    assert reason(lambda: verify_shopify(SHOPIFY_BODY, None, "hush")) == "missing"
    assert reason(lambda: verify_shopify(SHOPIFY_BODY, "not base64!!", "hush")) == "malformed"
    assert reason(lambda: verify_shopify(SHOPIFY_BODY, SHOPIFY_SIG, None)) == "not_configured"


def test_meta_signature_and_handshake() -> None:
    verify_meta(META_BODY, META_SIG, "meta-secret")
    verify_meta(META_BODY, META_SIG.upper().replace("SHA256=", "sha256="), "meta-secret")  # hex case does not matter
    assert reason(lambda: verify_meta(META_BODY, META_SIG[:-1] + "0", "meta-secret")) == "mismatch"
    assert reason(lambda: verify_meta(META_BODY, "sha1=abc", "meta-secret")) == "malformed"
    assert reason(lambda: verify_meta(META_BODY, "", "meta-secret")) == "missing"
    params = {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    assert meta_handshake(params, "tok") == "1158201444"
    assert reason(lambda: meta_handshake({**params, "hub.verify_token": "nope"}, "tok")) == "mismatch"
    assert reason(lambda: meta_handshake({**params, "hub.mode": "unsubscribe"}, "tok")) == "malformed"
    assert reason(lambda: meta_handshake(params, None)) == "not_configured"


def test_tiktok_webhook() -> None:
    verify_tiktok_webhook(TIKTOK_BODY, TIKTOK_SIG, "appkey123", "tt-secret")
    assert reason(lambda: verify_tiktok_webhook(TIKTOK_BODY, TIKTOK_SIG, "otherkey", "tt-secret")) == "mismatch"
    assert reason(lambda: verify_tiktok_webhook(TIKTOK_BODY, "xyz", "appkey123", "tt-secret")) == "malformed"
    assert reason(lambda: verify_tiktok_webhook(TIKTOK_BODY, None, "appkey123", "tt-secret")) == "missing"
    assert reason(lambda: verify_tiktok_webhook(TIKTOK_BODY, TIKTOK_SIG, None, "tt-secret")) == "not_configured"


def test_tiktok_request_signing_follows_the_documented_recipe() -> None:
    query = {"app_key": "appkey123", "timestamp": "1764115200", "shop_cipher": "GCP_XYZ",
             "ids": "577123456789012345", "access_token": "ignored", "sign": "ignored"}
    assert tiktok_request_sign("/order/202507/orders", query, None, "tt-secret") == \
        "d92222c5ecbdf29563e9bbd379fe12d76632916b8bdd61de21a4d94fcdfc54c1"
    with_body = tiktok_request_sign("/order/202507/orders", query, b'{"a":1}', "tt-secret")
    assert with_body != tiktok_request_sign("/order/202507/orders", query, b'{"a":1}', "tt-secret", multipart=True)

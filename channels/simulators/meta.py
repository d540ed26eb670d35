"""A local Meta Send API and a driver that plays the store's Facebook and Instagram customers.

The Send API checks the Page token, the Page and the recipient (a PSID, or the IGSID of someone who wrote
to the Instagram account linked to the Page), and enforces the
24-hour window and the 7-day HUMAN_AGENT tag from the times of the messages the driver delivered
(on the store's clock), answering with Graph's error shape. Webhook signatures are computed inline here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from channels.simulators.log import SimLog
from channels.simulators.media import add_media_route, publish
from tools.models import Customer
from tools.platform_profiles import PROFILES
from tools.sandbox.store import SandboxStore

# How each Meta shop names a customer (PSID, IGSID), in the table's platform order: Facebook is tried first.
KINDS: dict[str, str] = {p: profile.identity_kinds[0] for p, profile in PROFILES.items() if profile.meta_shop}
WINDOW, TAG_WINDOW = timedelta(hours=24), timedelta(days=7)
TAGS = {"facebook": {"HUMAN_AGENT", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE"},
        "instagram": {"HUMAN_AGENT"}}


def _identity(customer: Customer, platform: str) -> str | None:
    found = customer.identity_on(platform)  # type: ignore[arg-type]
    return next((i.value for i in found if i.kind == KINDS[platform]), None)


def _graph_error(message: str, code: int, *, subcode: int | None = None, kind: str = "OAuthException",
                 status: int = 400) -> JSONResponse:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": uuid.uuid4().hex[:11]}
    if subcode is not None:
        error["error_subcode"] = subcode
    return JSONResponse({"error": error}, status_code=status)


def create_app(store: SandboxStore, log: SimLog, *, page_token: str, page_id: str, **_: Any) -> FastAPI:
    app = FastAPI(title="Meta Graph API simulator")
    add_media_route(app, log, KINDS)  # the CDN links of what customers attach (payload.url)

    def last_customer_message(platform: str, recipient: str) -> datetime | None:
        times = [datetime.fromisoformat(r.data["customer_at"]) for r in log.records(platform, "delivery")
                 if r.data.get("sender") == recipient]
        return max(times) if times else None

    @app.post("/{business_id}/messages")
    async def send(business_id: str, request: Request) -> JSONResponse:
        auth = request.headers.get("authorization", "")
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else request.query_params.get("access_token", "")
        if not token:
            return _graph_error("An access token is required to request this resource.", 104)
        if not hmac.compare_digest(token, page_token):
            return _graph_error("Invalid OAuth access token - Cannot parse access token", 190, status=401)
        if business_id != page_id:  # an Instagram account id too: Instagram replies go through the Page
            return _graph_error(f"Unsupported post request. Object with ID '{business_id}' does not exist",
                                100, subcode=33, kind="GraphMethodException")
        try:
            body = json.loads(await request.body())
            recipient = str(body["recipient"]["id"])
            text = body["message"]["text"]
            messaging_type = body.get("messaging_type", "RESPONSE")
        except (ValueError, KeyError, TypeError):
            return _graph_error("(#100) recipient.id and message.text are required", 100)
        if not isinstance(text, str) or not text or len(text) > 2000:
            return _graph_error("(#100) Length of param message[text] must be between 1 and 2000", 100)
        found = [(p, c) for p in KINDS if (c := store.find_customer(p, recipient))]  # type: ignore[arg-type]
        if not found:
            return _graph_error("(#100) No matching user found", 100, subcode=2018001)
        platform, customer = found[0]
        tag = body.get("tag")
        if messaging_type == "MESSAGE_TAG" and tag not in TAGS[platform]:
            return _graph_error(f"(#100) Param tag must be one of {sorted(TAGS[platform])}", 100)
        if messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return _graph_error("(#100) Param messaging_type is invalid", 100)
        last = last_customer_message(platform, recipient)
        age = store.clock.now() - last if last else None
        allowed = WINDOW if messaging_type != "MESSAGE_TAG" else TAG_WINDOW if tag == "HUMAN_AGENT" else WINDOW
        if age is None or age > allowed:
            return _graph_error("(#10) This message is sent outside of allowed window.", 10, subcode=2018278)
        message_id = "m_" + base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode().rstrip("=")
        log.record(platform, "reply", text=text, to=recipient, customer_id=customer.id, page_id=business_id,
                   messaging_type=messaging_type, tag=tag, message_id=message_id)
        return JSONResponse({"recipient_id": recipient, "message_id": message_id})

    return app


class MetaSimulator:
    """Plays the store's Facebook (PSID) and Instagram (IGSID) customers against shopdesk's Meta webhook."""

    def __init__(self, store: SandboxStore, log: SimLog, target_url: str, *, app_secret: str, page_id: str,
                 ig_id: str, http: httpx.Client, media_url: str | None = None) -> None:
        self.store, self.log, self.target_url, self.http = store, log, target_url, http
        self.app_secret, self.page_id, self.ig_id = app_secret, page_id, ig_id
        self.media_url = media_url  # the simulator app's base URL, which serves what customers attach

    def customer_sends_photo(self, customer_id: str, photo: bytes, *, text: str = "", filename: str = "photo.jpg",
                             content_type: str = "image/jpeg", kind: str = "image",
                             platform: str | None = None) -> str:
        """The customer sends a photo (alone, or with `text`) the way Messenger/Instagram deliver it:
        `message.attachments = [{"type": "image", "payload": {"url": <CDN link>}}]`; returns the mid."""
        if not self.media_url:
            raise ValueError("MetaSimulator needs media_url (the simulator app's URL) to host attachments")
        customer = self.store.get_customer(customer_id)
        platform = platform or next((p for p in KINDS if _identity(customer, p)), None)
        sender = _identity(customer, platform) if platform in KINDS else None
        if platform is None or sender is None:
            raise ValueError(f"customer {customer_id} has no Facebook PSID or Instagram IGSID")
        url = publish(self.log, platform, self.media_url, photo, filename=filename, content_type=content_type)
        now = self.store.clock.now()
        mid = ("m_" if platform == "facebook" else "aWdfZAG1faXRlbTox") + uuid.uuid4().hex
        business = self.page_id if platform == "facebook" else self.ig_id
        message: dict[str, Any] = {"mid": mid, "attachments": [{"type": kind, "payload": {"url": url}}]}
        if text:
            message["text"] = text
        event = {"sender": {"id": sender}, "recipient": {"id": business}, "timestamp": int(now.timestamp() * 1000),
                 "message": message}
        self.log.record(platform, "delivery", mid=mid, sender=sender, customer_id=customer_id, text=text,
                        attachment_url=url, customer_at=now.isoformat())
        self.post({"object": "page" if platform == "facebook" else "instagram",
                   "entry": [{"id": business, "time": int(now.timestamp() * 1000), "messaging": [event]}]})
        return mid

    def customer_writes(self, customer_id: str, text: str, *, order_id: str | None = None,
                        platform: str | None = None) -> str:
        """The customer messages the shop (Messenger if they have a PSID, else Instagram); returns the mid.

        Meta messages carry no order reference, so a given order is named in the text, as customers do."""
        customer = self.store.get_customer(customer_id)
        platform = platform or next((p for p in KINDS if _identity(customer, p)), None)
        sender = _identity(customer, platform) if platform in KINDS else None
        if platform is None or sender is None:
            raise ValueError(f"customer {customer_id} has no Facebook PSID or Instagram IGSID")
        if order_id and order_id not in text:
            text = f"{text} (order {order_id})"
        now = self.store.clock.now()
        mid = ("m_" if platform == "facebook" else "aWdfZAG1faXRlbTox") + uuid.uuid4().hex
        business = self.page_id if platform == "facebook" else self.ig_id
        event = {"sender": {"id": sender}, "recipient": {"id": business}, "timestamp": int(now.timestamp() * 1000),
                 "message": {"mid": mid, "text": text}}
        # recorded before delivery: shopdesk may answer before this call returns
        self.log.record(platform, "delivery", mid=mid, sender=sender, customer_id=customer_id, text=text,
                        customer_at=now.isoformat())
        self.post({"object": "page" if platform == "facebook" else "instagram",
                   "entry": [{"id": business, "time": int(now.timestamp() * 1000), "messaging": [event]}]})
        return mid

    def post(self, payload: dict[str, Any]) -> httpx.Response:
        """Sign and deliver any webhook payload (also used to send echoes, reads and deliveries)."""
        body = json.dumps(payload).encode()
        digest = hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
        resp = self.http.post(self.target_url, content=body,
                              headers={"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"})
        resp.raise_for_status()
        return resp

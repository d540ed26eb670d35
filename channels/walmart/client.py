"""Walmart Marketplace's v3 API client: orders, returns and refunds.

Walmart has no public customer-message API: buyers' messages reach the seller's care mailbox and the
email channel answers them, so this client is not a `ChannelSender`. It reads/writes through the v3 API:
- GET /v3/orders has no buyer filter: `list_orders(customer_email=...)` filters a created-date window
  here on customerEmailId (the buyer's relay address);
- returns are found by customerOrderId (GET /v3/returns has no purchaseOrderId filter);
- refunds (POST /v3/returns/{id}/refund) are checked before the call: positive request, whole cents,
  never above what the return's lines charged (price + tax - restocking fee), never on a WFS order
  (view-only) or a completed return; amounts go out negative, as Walmart requires.
`customer_ids` (relay email -> customer id) and `product_ids` (SKU -> product id) map to shopdesk's ids;
by default they are the relay email and the SKU.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from pydantic import BaseModel

from channels import http_calls
from channels.base import json_object
from channels.http_calls import ApiCallError, CallPolicy
from channels.ratelimit import retry_after_s
from channels.tokens import CachedToken
from channels.walmart.config import WalmartConfig
from channels.walmart.errors import WalmartApiError
from channels.walmart.mapping import line_charges, listed, order_from_walmart, return_from_walmart
from tools.clock import Clock, SystemClock
from tools.errors import NotFoundError, PreconditionFailed
from tools.models import Order, Return

SVC_NAME = "Walmart Marketplace"


class WalmartRefund(BaseModel):
    """What a refund call did: positive amounts here, negative on the wire."""

    return_order_id: str
    customer_order_id: str
    purchase_order_id: str
    amount: Decimal
    lines: dict[int, Decimal]
    refunded_at: datetime


class WalmartTokens(CachedToken):
    """OAuth client-credentials tokens (15 minutes), reused until a minute before expiry; thread-safe."""

    def __init__(self, http: httpx.Client, api_url: str, client_id: str, client_secret: str,
                 clock: Clock | None = None, *, sleep: Callable[[float], None] = time.sleep,
                 policy: CallPolicy = http_calls.TOKEN_GRANT_POLICY) -> None:
        super().__init__(clock)
        self._http, self._url = http, api_url.rstrip("/") + "/v3/token"
        self._sleep, self._policy = sleep, policy
        self._basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()

    def _fetch(self, now: datetime) -> tuple[str, datetime]:
        """The grant through the shared call policy (a throttle, 5xx or timeout is tried again); each try
        gets its own correlation id."""
        def send() -> httpx.Response:
            headers = {"Authorization": f"Basic {self._basic}", "WM_SVC.NAME": SVC_NAME,
                       "WM_QOS.CORRELATION_ID": str(uuid.uuid4()), "Accept": "application/json"}
            return self._http.post(self._url, data={"grant_type": "client_credentials"}, headers=headers)

        try:
            resp = http_calls.call(send, method="POST", policy=self._policy, sleep=self._sleep, idempotent=True)
        except ApiCallError as exc:
            raise _call_error("token", exc, self._policy.max_attempts) from None
        data = json_object(resp)
        if not isinstance(data.get("access_token"), str):
            raise _api_error("token", resp)
        return data["access_token"], now + timedelta(seconds=int(data.get("expires_in", 900)))


class WalmartClient:
    """Orders, returns and refunds over the v3 API; see the module docstring."""

    def __init__(self, config: WalmartConfig, http: httpx.Client, clock: Clock | None = None, *,
                 customer_ids: Callable[[str], str | None] | None = None,
                 product_ids: Callable[[str], str | None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, max_wait_s: float = 30.0, max_attempts: int = 3) -> None:
        if not (config.client_id and config.client_secret):
            raise ValueError("Walmart needs SHOPDESK_WALMART_CLIENT_ID and SHOPDESK_WALMART_CLIENT_SECRET")
        self._http, self._base = http, config.api_url.rstrip("/")
        self._clock, self._sleep = clock or SystemClock(), sleep
        self._customer_ids, self._product_ids = customer_ids, product_ids
        # Only a 429 is retried (reads only): Retry-After, else the replenish time, else 1 s each time;
        # 5xx and timeouts go back to the caller. Retrying those on reads is a policy change: add them here.
        self._policy = CallPolicy(max_attempts=max_attempts, max_wait_s=max_wait_s, retry_statuses=frozenset({429}),
                                  retry_timeouts=False, default_wait_s=1.0, backoff=1.0, wait_hint=self._wait_hint,
                                  api_code=_error_code)
        self.tokens = WalmartTokens(http, config.api_url, config.client_id,
                                    config.client_secret.get_secret_value(), self._clock, sleep=sleep)

    def get_order(self, purchase_order_id: str) -> Order:
        return self._order(self._raw_order(purchase_order_id))

    def list_orders(self, *, created_start: datetime, created_end: datetime | None = None, status: str | None = None,
                    customer_email: str | None = None, max_orders: int = 200, page_size: int = 100) -> list[Order]:
        """GET /v3/orders by createdStartDate/createdEndDate/status, following nextCursor."""
        params = {"createdStartDate": _iso(created_start), "limit": str(page_size), "productInfo": "false"}
        if created_end is not None:
            params["createdEndDate"] = _iso(created_end)
        if status:
            params["status"] = status
        wanted = customer_email.strip().lower() if customer_email else None
        found: list[Order] = []
        for raw in self._pages("/v3/orders", params, lambda d: (d.get("list") or {}).get("meta"),
                               lambda d: listed(((d.get("list") or {}).get("elements") or {}), "order")):
            if wanted is None or str(raw.get("customerEmailId") or "").lower() == wanted:
                found.append(self._order(raw))
                if len(found) >= max_orders:
                    break
        return found

    def returns(self, *, customer_order_id: str | None = None, return_order_id: str | None = None,
                customer_email: str | None = None) -> list[Return]:
        return [self._return(r) for r in self._raw_returns(customer_order_id, return_order_id, customer_email)]

    def order_returns(self, purchase_order_id: str) -> list[Return]:
        """The returns of one purchase order (found through its customerOrderId)."""
        coid = str(self._raw_order(purchase_order_id).get("customerOrderId") or "")
        return [r for r in self.returns(customer_order_id=coid) if r.order_id == purchase_order_id] if coid else []

    def refund_return(self, return_order_id: str, amount: Decimal | str | float, reason: str) -> WalmartRefund:
        """Refund `amount` (positive, dollars) on a return, spread over its lines; refused before the call
        (PreconditionFailed) when Walmart's rules would refuse it."""
        try:
            amount = Decimal(str(amount))
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise PreconditionFailed("A refund must be a positive amount in whole cents.", code="invalid_amount")
        found = self._raw_returns(None, return_order_id, None)
        if not found:
            raise NotFoundError(f"Walmart has no return {return_order_id}.", record_id=return_order_id)
        raw = found[0]
        open_lines = [line for line in raw["returnOrderLines"] if line.get("status") not in ("COMPLETED", "CANCELLED")]
        if not open_lines:
            raise PreconditionFailed(f"Return {return_order_id} is already refunded or closed.",
                                     code="already_refunded")
        po_id = str(open_lines[0]["purchaseOrderId"])
        if (self._raw_order(po_id).get("shipNode") or {}).get("type") == "WFSFulfilled":
            raise PreconditionFailed("Walmart handles refunds of WFS orders; their returns are view-only.",
                                     code="wfs_view_only")
        plan, remaining = [], amount
        for line in open_lines:
            price, tax, fee = line_charges(line)
            portion = min(remaining, price + tax - fee)
            if portion > 0:
                tax_part = (portion * tax / (price + tax)).quantize(Decimal("0.01")) if price + tax else Decimal(0)
                product_part = min(price, portion - tax_part)
                plan.append((line, product_part, portion - product_part))
                remaining -= portion
        if remaining > 0:
            cap = amount - remaining
            raise PreconditionFailed(f"A refund of ${amount} is more than the ${cap} charged for return "
                                     f"{return_order_id}.", code="refund_exceeds_paid", remaining=str(cap))
        body = {"customerOrderId": raw["customerOrderId"], "refundLines": [{
            "returnOrderLineNumber": line["returnOrderLineNumber"], "refundComments": reason,
            "quantity": line.get("quantity") or {"unitOfMeasure": "EACH", "measurementValue": 1},
            "refundCharges": [{"chargeCategory": "PRODUCT", "chargeName": "Item Price", "chargeAmount": _wire(-product),
                               "tax": [{"taxName": "Tax1", "taxAmount": _wire(-tax)}]}],
        } for line, product, tax in plan]}
        self._call("refund", "POST", f"/v3/returns/{return_order_id}/refund", json=body)
        return WalmartRefund(return_order_id=return_order_id, customer_order_id=str(raw["customerOrderId"]),
                             purchase_order_id=po_id, amount=amount, refunded_at=self._clock.now(),
                             lines={int(line["returnOrderLineNumber"]): p + t for line, p, t in plan})

    # ---------------------------------------------------------------- plumbing

    def _raw_order(self, purchase_order_id: str) -> dict[str, Any]:
        poid = purchase_order_id.strip()
        if not poid.isdigit():
            raise ValueError(f"{purchase_order_id!r} is not a Walmart purchase order id")
        try:
            data = json_object(self._call("getOrder", "GET", f"/v3/orders/{poid}"))
        except WalmartApiError as exc:
            if exc.status == 404:
                raise NotFoundError(f"Walmart has no order {poid}.", record_id=poid) from None
            raise
        if not isinstance(data.get("order"), dict):
            raise WalmartApiError("getOrder answered without an order", api_code="unexpected_response")
        return data["order"]

    def _raw_returns(self, customer_order_id: str | None, return_order_id: str | None,
                     customer_email: str | None) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("customerOrderId", customer_order_id), ("returnOrderId", return_order_id),
                                    ("customerEmailId", customer_email)) if v}
        return list(self._pages("/v3/returns", params, lambda d: d.get("meta"), lambda d: d.get("returnOrders") or []))

    def _pages(self, path: str, params: dict[str, str], meta: Callable[[dict[str, Any]], Any],
               rows: Callable[[dict[str, Any]], list[Any]]) -> Any:
        """Yield every row of every page; Walmart's nextCursor is a query string for the same path."""
        url: str = path
        query: dict[str, str] | None = params
        for _ in range(100):
            data = json_object(self._call("list", "GET", url, params=query))
            yield from (r for r in rows(data) if isinstance(r, dict))
            cursor = (meta(data) or {}).get("nextCursor")
            if not cursor:
                return
            url, query = path + (cursor if cursor.startswith("?") else "?" + cursor), None

    def _order(self, raw: dict[str, Any]) -> Order:
        return order_from_walmart(raw, customer_ids=self._customer_ids, product_ids=self._product_ids)

    def _return(self, raw: dict[str, Any]) -> Return:
        return return_from_walmart(raw, customer_ids=self._customer_ids)

    def _call(self, op: str, method: str, path: str, *, params: Mapping[str, str] | None = None,
              json: Any = None) -> httpx.Response:
        """One v3 call (channels.http_calls): GETs wait out a 429 (Retry-After / x-next-replenish-time,
        bounded by max_wait_s) and retry; any call is resent once with a fresh token after a 401. A refused
        POST is never retried here."""
        def send() -> httpx.Response:
            headers = {"WM_SEC.ACCESS_TOKEN": self.tokens.get(), "WM_QOS.CORRELATION_ID": str(uuid.uuid4()),
                       "WM_SVC.NAME": SVC_NAME, "Accept": "application/json"}
            return self._http.request(method, self._base + path, params=params, json=json, headers=headers)

        try:
            return http_calls.call(send, method=method, policy=self._policy, sleep=self._sleep,
                                   renew_auth=self._renew_auth)
        except ApiCallError as exc:
            raise _call_error(op, exc, self._policy.max_attempts) from None

    def _renew_auth(self, resp: httpx.Response) -> bool:
        """A 401 means the access token went stale: drop it so the resend fetches a new one."""
        if resp.status_code == 401:
            self.tokens.invalidate()
            return True
        return False

    def _wait_hint(self, resp: httpx.Response) -> float | None:
        """Retry-After, else x-next-replenish-time."""
        return retry_after_s(resp.headers) or self._replenish_wait(resp)

    def _replenish_wait(self, resp: httpx.Response) -> float | None:
        """x-next-replenish-time: epoch milliseconds when the quota refills [U]."""
        try:
            return max(0.0, int(resp.headers["x-next-replenish-time"]) / 1000 - self._clock.now().timestamp())
        except (KeyError, ValueError):
            return None


def _wire(amount: Decimal) -> dict[str, Any]:
    return {"currencyAmount": float(amount), "currencyUnit": "USD"}


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")



def _first_error(resp: httpx.Response) -> dict[str, Any]:
    """Walmart errors: {"errors": [{"code", "field", "description", ...}]} (or {"error": [...]} from /v3/token)."""
    data = json_object(resp)
    errors = listed(data.get("errors") or data.get("error") or {}, "error")
    return errors[0] if errors and isinstance(errors[0], dict) else {}


def _error_code(resp: httpx.Response) -> str | None:
    code = _first_error(resp).get("code")
    return str(code) if code is not None else None


def _call_error(op: str, exc: ApiCallError, attempts: int) -> WalmartApiError:
    """The shared call failure in Walmart's words."""
    if exc.kind in ("timeout", "network"):
        return WalmartApiError(f"{op} failed ({exc.cause})", retryable=True)
    if exc.kind == "http" and exc.response is not None:
        if exc.status == 429:
            return WalmartApiError(f"{op} was throttled by Walmart", status=429, retryable=True,
                                   retry_after_s=exc.retry_after_s)
        return _api_error(op, exc.response)
    return WalmartApiError(f"{op} failed after {attempts} attempts", retryable=True)


def _api_error(op: str, resp: httpx.Response) -> WalmartApiError:
    """A refused call, with Walmart's first error code and description."""
    first = _first_error(resp)
    code = first.get("code")
    message = first.get("description") or first.get("info") or resp.reason_phrase
    return WalmartApiError(f"{op}: {resp.status_code} {code or ''} {message}".replace("  ", " "),
                           status=resp.status_code, api_code=code, retryable=resp.status_code == 429 or
                           resp.status_code >= 500, retry_after_s=retry_after_s(resp.headers))

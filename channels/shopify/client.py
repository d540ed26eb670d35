"""Shopify's Admin GraphQL client: orders, returns and refunds.

GraphQL calls respect the cost-based leaky bucket: the client remembers each operation's requestedQueryCost
and the last throttleStatus, and waits for the bucket to refill instead of being THROTTLED.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from channels import http_calls
from channels.base import SendError
from channels.http_calls import ApiCallError, CallPolicy
from channels.shopify.config import ShopifyConfig
from channels.shopify.mapping import RETURN_REASONS, ShopifyRefund, ShopifyReturn, shop_money, to_order, to_return, when
from tools.errors import NotFoundError
from tools.models import Order, ReturnItem, ReturnReason

DEFAULT_COST = 50.0


ORDER_QUERY = """query OrderByName($q: String!) { orders(first: 1, query: $q) { nodes {
  id name createdAt cancelledAt displayFinancialStatus displayFulfillmentStatus paymentGatewayNames
  customer { id email phone displayName }
  subtotalPriceSet { shopMoney { amount currencyCode } } totalShippingPriceSet { shopMoney { amount } }
  totalTaxSet { shopMoney { amount } } totalPriceSet { shopMoney { amount } }
  shippingAddress { name address1 address2 city provinceCode zip countryCodeV2 } shippingLine { title }
  lineItems(first: 50) { nodes { id sku name quantity product { id } originalUnitPriceSet { shopMoney { amount } } } }
  fulfillments(first: 10) { id createdAt inTransitAt deliveredAt estimatedDeliveryAt displayStatus
    trackingInfo(first: 5) { company number url }
    fulfillmentLineItems(first: 50) { nodes { id quantity lineItem { sku } } } }
  fulfillmentOrders(first: 5) { nodes { fulfillBy deliveryMethod { maxDeliveryDateTime } } }
  transactions(first: 10) { id kind status gateway paymentDetails { ... on CardPaymentDetails { company number } } }
} } }"""
RETURNS_QUERY = """query OrderReturns($q: String!) { orders(first: 1, query: $q) { nodes { id name
  returns(first: 20) { nodes { id name status returnLineItems(first: 20) { nodes { quantity returnReason customerNote
    ... on ReturnLineItem { fulfillmentLineItem { lineItem { sku } } } } } } } } } }"""
RETURNABLE_QUERY = """query Returnable($orderId: ID!) { returnableFulfillments(orderId: $orderId, first: 10) { nodes {
  returnableFulfillmentLineItems(first: 50) { nodes { quantity fulfillmentLineItem { id lineItem { sku } } } } } } }"""
_RETURN_FIELDS = "return { id name status } userErrors { field message }"
RETURN_REQUEST = f"mutation ReturnRequest($input: ReturnRequestInput!) {{ returnRequest(input: $input) {{ {_RETURN_FIELDS} }} }}"
RETURN_APPROVE = ("mutation ReturnApprove($input: ReturnApproveRequestInput!) { returnApproveRequest(input: $input) "
                  f"{{ {_RETURN_FIELDS} }} }}")
REFUND_CREATE = """mutation RefundCreate($input: RefundInput!, $key: String!) {
  refundCreate(input: $input) @idempotent(key: $key) {
    refund { id createdAt totalRefundedSet { shopMoney { amount } } } userErrors { field message } } }"""


class ShopifyApiError(SendError):
    """A Shopify call failed: retryable for timeouts, 429, 5xx and THROTTLED; userErrors never are."""


# One try per call; the caller (outbox, tool) retries with the wait the error carries.
_POLICY = CallPolicy(max_attempts=1, default_wait_s=None)


def _call_error(exc: ApiCallError) -> ShopifyApiError:
    if exc.kind == "timeout":
        return ShopifyApiError("timeout: Shopify did not answer in time", retryable=True)
    if exc.kind == "http":
        return ShopifyApiError(f"HTTP {exc.status}", retryable=exc.retryable, retry_after_s=exc.retry_after_s)
    return ShopifyApiError(f"network: {exc.cause or exc.message}", retryable=True)


def order_name(order_id: str) -> str:
    order_id = order_id.strip()
    return order_id if order_id.startswith("#") else f"#{order_id}"


class ShopifyClient:
    """Admin GraphQL (X-Shopify-Access-Token) at {api_url}/graphql.json: orders, returns, refunds.

    It has no `send`: Shopify customers are answered by email from the store mailbox (the Inbox
    Messaging API is invite-only). `resolve_customer` maps the customer's email/phone to a store id."""

    def __init__(self, config: ShopifyConfig, http: httpx.Client, *,
                 resolve_customer: Callable[[str], str | None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._url = f"{config.api_url.rstrip('/')}/graphql.json" if config.api_url else None
        self._token = config.access_token.get_secret_value() if config.access_token else None
        self._http, self._sleep, self._monotonic = http, sleep, monotonic
        self._resolve = resolve_customer or (lambda identity: identity)
        self._lock = threading.Lock()
        self._costs: dict[str, float] = {}
        self._bucket: tuple[float, float, float, float] | None = None  # maximum, available, restore rate, seen at

    # ------------------------------------------------------------ transport and throttling

    def _wait_for(self, cost: float) -> None:
        with self._lock:
            if self._bucket is None:
                return
            maximum, available, rate, seen = self._bucket
        projected = min(maximum, available + rate * (self._monotonic() - seen))
        if cost > projected and rate > 0:
            self._sleep((min(cost, maximum) - projected) / rate)

    def _note_cost(self, op: str, cost: dict[str, Any]) -> None:
        status = cost.get("throttleStatus") or {}
        with self._lock:
            if "requestedQueryCost" in cost:
                self._costs[op] = float(cost["requestedQueryCost"])
            if status:
                self._bucket = (float(status["maximumAvailable"]), float(status["currentlyAvailable"]),
                                float(status["restoreRate"]), self._monotonic())

    def graphql(self, op: str, document: str, variables: dict[str, Any]) -> dict[str, Any]:
        """Run one operation; returns `data`. Waits for the cost bucket first; THROTTLED raises retryable."""
        if not self._url or not self._token:
            raise ShopifyApiError("not_configured: SHOPDESK_SHOPIFY_API_URL/ACCESS_TOKEN are not set", retryable=False)
        self._wait_for(self._costs.get(op, DEFAULT_COST))
        url, headers = self._url, {"X-Shopify-Access-Token": self._token, "Accept": "application/json"}
        try:  # GraphQL is always a POST, so a call is never resent here (a mutation must not run twice)
            resp = http_calls.call(lambda: self._http.post(url, json={"query": document, "variables": variables},
                                                           headers=headers),
                                   method="POST", policy=_POLICY, sleep=self._sleep)
        except ApiCallError as exc:
            raise _call_error(exc) from None
        try:
            body = resp.json()
        except ValueError:
            raise ShopifyApiError("Shopify answered with something other than JSON", retryable=True) from None
        cost = (body.get("extensions") or {}).get("cost") or {}
        self._note_cost(op, cost)
        errors = body.get("errors") or []
        codes = {str((e.get("extensions") or {}).get("code")) for e in errors if isinstance(e, dict)}
        if "THROTTLED" in codes:
            status = cost.get("throttleStatus") or {}
            missing = float(cost.get("requestedQueryCost", DEFAULT_COST)) - float(status.get("currentlyAvailable", 0))
            rate = float(status.get("restoreRate") or 50)
            raise ShopifyApiError("THROTTLED: the query cost bucket is empty", retryable=True,
                                  retry_after_s=max(missing, 0.0) / rate)
        if errors:
            message = errors[0].get("message", "error") if isinstance(errors[0], dict) else str(errors[0])
            raise ShopifyApiError(f"GraphQL error: {message}"[:300], retryable="INTERNAL_SERVER_ERROR" in codes)
        return body.get("data") or {}

    def _order_node(self, op: str, document: str, name: str) -> dict[str, Any]:
        nodes = self.graphql(op, document, {"q": f"name:{order_name(name)}"})["orders"]["nodes"]
        if not nodes:
            raise NotFoundError(f"No Shopify order {order_name(name)}.", record_id=order_name(name))
        return nodes[0]

    @staticmethod
    def _mutation_result(data: dict[str, Any], field: str) -> dict[str, Any]:
        payload = data.get(field) or {}
        if payload.get("userErrors"):
            raise ShopifyApiError(f"{field}: {payload['userErrors'][0].get('message')}", retryable=False)
        return payload

    # ------------------------------------------------------------ reads

    def get_order(self, order_id: str) -> Order:
        node = self._order_node("OrderByName", ORDER_QUERY, order_id)
        try:
            return to_order(node, self._resolve)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ShopifyApiError(f"unreadable Shopify order: {exc}"[:300], retryable=False) from None

    def order_returns(self, order_id: str) -> list[ShopifyReturn]:
        node = self._order_node("OrderReturns", RETURNS_QUERY, order_id)
        return [to_return(r) for r in (node.get("returns") or {}).get("nodes", [])]

    # ------------------------------------------------------------ writes

    def request_return(self, order_id: str, items: list[ReturnItem], reason: ReturnReason,
                       note: str | None = None) -> ShopifyReturn:
        """returnRequest for these SKUs, picked from the order's returnable fulfillment line items."""
        gid = self._order_node("OrderReturns", RETURNS_QUERY, order_id)["id"]
        data = self.graphql("Returnable", RETURNABLE_QUERY, {"orderId": gid})
        returnable = {n["fulfillmentLineItem"]["lineItem"]["sku"]: n["fulfillmentLineItem"]["id"]
                      for f in data["returnableFulfillments"]["nodes"]
                      for n in f["returnableFulfillmentLineItems"]["nodes"]}
        missing = [i.sku for i in items if i.sku not in returnable]
        if missing:
            raise ShopifyApiError(f"not returnable on {order_name(order_id)}: {', '.join(missing)}", retryable=False)
        lines = [{"fulfillmentLineItemId": returnable[i.sku], "quantity": i.quantity,
                  "returnReason": RETURN_REASONS[reason], "customerNote": note or ""} for i in items]
        data = self.graphql("ReturnRequest", RETURN_REQUEST, {"input": {"orderId": gid, "returnLineItems": lines}})
        return to_return(self._mutation_result(data, "returnRequest")["return"])

    def approve_return(self, return_id: str) -> ShopifyReturn:
        data = self.graphql("ReturnApprove", RETURN_APPROVE, {"input": {"id": return_id}})
        return to_return(self._mutation_result(data, "returnApproveRequest")["return"])

    def refund(self, order_id: str, amount: Decimal, note: str, *, idempotency_key: str) -> ShopifyRefund:
        """refundCreate against the order's successful sale/capture (idempotent on the outbox key)."""
        node = self._order_node("OrderByName", ORDER_QUERY, order_id)
        parent = next((t for t in reversed(node.get("transactions") or [])
                       if t.get("kind") in ("SALE", "CAPTURE") and t.get("status") == "SUCCESS"), None)
        if parent is None:
            raise ShopifyApiError(f"{order_name(order_id)} has no captured payment to refund", retryable=False)
        value = f"{Decimal(amount):.2f}"
        refund_input = {"orderId": node["id"], "note": note, "notify": False, "transactions": [{
            "orderId": node["id"], "parentId": parent["id"], "gateway": parent["gateway"], "kind": "REFUND",
            "amount": value}]}
        data = self.graphql("RefundCreate", REFUND_CREATE, {"input": refund_input, "key": idempotency_key})
        refund = self._mutation_result(data, "refundCreate")["refund"]
        return ShopifyRefund(id=refund["id"], amount=shop_money(refund.get("totalRefundedSet")),
                             created_at=when(refund.get("createdAt")))

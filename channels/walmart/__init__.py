"""Walmart Marketplace: order event webhooks in (`webhook`), the v3 API for orders, returns and refunds
(`client`), v3 JSON -> domain models (`mapping`), their settings (`config`) and error (`errors`)."""

from channels.walmart.client import WalmartClient, WalmartRefund, WalmartTokens
from channels.walmart.config import WalmartConfig
from channels.walmart.errors import WalmartApiError
from channels.walmart.mapping import RETURN_REASONS, order_from_walmart, return_from_walmart
from channels.walmart.webhook import WEBHOOK_SIGNATURE_HEADER, WalmartWebhook, parse_webhook, verify_webhook

__all__ = ["RETURN_REASONS", "WEBHOOK_SIGNATURE_HEADER", "WalmartApiError", "WalmartClient", "WalmartConfig",
           "WalmartRefund", "WalmartTokens", "WalmartWebhook", "order_from_walmart", "parse_webhook",
           "return_from_walmart", "verify_webhook"]

"""Shopify: signed order/fulfillment/refund/return webhooks in (`webhook`), the Admin GraphQL client
(`client`), GraphQL records <-> domain models (`mapping`), and their settings (`config`)."""

from channels.shopify.client import ShopifyApiError, ShopifyClient, order_name
from channels.shopify.config import ShopifyConfig
from channels.shopify.mapping import ShopifyRefund, ShopifyReturn
from channels.shopify.webhook import TOPICS, ShopifyWebhook, parse_webhook, verify_webhook

__all__ = ["TOPICS", "ShopifyApiError", "ShopifyClient", "ShopifyConfig", "ShopifyRefund", "ShopifyReturn",
           "ShopifyWebhook", "order_name", "parse_webhook", "verify_webhook"]

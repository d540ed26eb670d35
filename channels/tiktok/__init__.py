"""TikTok Shop: buyer chat and order/return webhooks in (`webhook`), the signed Partner API out (`client`),
TikTok records -> domain models (`mapping`), and the settings both read (`config`)."""

from channels.tiktok.client import TikTokApiError, TikTokClient
from channels.tiktok.config import TikTokConfig
from channels.tiktok.mapping import from_unix, to_order, to_return
from channels.tiktok.webhook import TikTokWebhook, parse_webhook, verify_webhook

__all__ = ["TikTokApiError", "TikTokClient", "TikTokConfig", "TikTokWebhook", "from_unix", "parse_webhook",
           "to_order", "to_return", "verify_webhook"]

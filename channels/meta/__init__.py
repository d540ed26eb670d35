"""Meta (Facebook Messenger and Instagram Direct): signed webhooks in (`webhook`), Send API replies out
(`client`), and their settings (`config`). No mapping module: Meta sends messages only, no orders."""

from channels.meta.client import MetaClient
from channels.meta.config import MetaConfig
from channels.meta.webhook import MetaWebhook, parse_webhook, verify_webhook

__all__ = ["MetaClient", "MetaConfig", "MetaWebhook", "parse_webhook", "verify_webhook"]

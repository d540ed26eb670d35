"""eBay: signed notifications in (`webhook`, with eBay's public-key cache), Message API replies and the
order/return APIs out (`client`), API records -> domain models (`mapping`), and their settings (`config`)."""

from channels.ebay.client import EbayApiError, EbayClient, max_message_chars
from channels.ebay.config import EbayConfig
from channels.ebay.mapping import EbayConversation, EbayMessage, EbayReturn
from channels.ebay.webhook import EbayKeyCache, EbayWebhook, challenge_response, parse_webhook, verify_webhook

__all__ = ["EbayApiError", "EbayClient", "EbayConfig", "EbayConversation", "EbayKeyCache", "EbayMessage",
           "EbayReturn", "EbayWebhook", "challenge_response", "max_message_chars", "parse_webhook", "verify_webhook"]

"""Amazon Selling Partner API: the client for orders and proactive messages (`client`), SP-API orders ->
domain models (`mapping`), its settings (`config`) and error (`errors`). No webhook: buyer messages come
by email (channels/email/)."""

from channels.amazon.client import AmazonClient, LwaTokens, check_proactive_text
from channels.amazon.config import AmazonConfig
from channels.amazon.errors import AmazonApiError
from channels.amazon.mapping import order_from_sp_api

__all__ = ["AmazonApiError", "AmazonClient", "AmazonConfig", "LwaTokens", "check_proactive_text",
           "order_from_sp_api"]

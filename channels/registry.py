"""Which sender answers which platform, from what the seller configured (a channel without credentials is
simply absent: its replies become visible dead letters saying so, never silent drops)."""

from __future__ import annotations

import httpx

from channels.base import ChannelSender
from shopdesk.settings import Settings
from tools.clock import Clock


def build_senders(settings: Settings, http: httpx.Client, clock: Clock | None = None) -> dict[str, ChannelSender]:
    senders: dict[str, ChannelSender] = {}
    if settings.smtp_host:
        from channels.email import EmailChannel

        email = EmailChannel(settings, clock=clock)
        for platform in ("amazon", "walmart", "shopify"):  # relay addresses and the store's own mailbox
            senders[platform] = email
    if settings.tiktok_access_token and settings.tiktok_app_key:
        from channels.tiktok import TikTokClient

        senders["tiktok"] = TikTokClient(settings, http)
    if settings.ebay_access_token:
        from channels.ebay import EbayClient

        senders["ebay"] = EbayClient(settings, http)
    if settings.meta_page_token:
        from channels.meta import MetaClient

        meta = MetaClient(settings, http)
        senders["facebook"] = senders["instagram"] = meta
    return senders

"""Which sender answers which platform, from what the seller configured (a channel without credentials is
simply absent: its replies become visible dead letters saying so, never silent drops).

It reads `ChannelConfigs`, the channels' own small configs; the composition root builds it from the
application's Settings (shopdesk/channel_configs.py), so nothing here reads Settings."""

from __future__ import annotations

import httpx
from pydantic import BaseModel, ConfigDict

from channels.amazon.config import AmazonConfig
from channels.base import ChannelSender
from channels.ebay.config import EbayConfig
from channels.email.config import EmailConfig
from channels.meta.config import MetaConfig
from channels.shopify.config import ShopifyConfig
from channels.tiktok.config import TikTokConfig
from channels.walmart.config import WalmartConfig
from tools.clock import Clock


class ChannelConfigs(BaseModel):
    """Every channel's config, one per platform package."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amazon: AmazonConfig
    ebay: EbayConfig
    email: EmailConfig
    meta: MetaConfig
    shopify: ShopifyConfig
    tiktok: TikTokConfig
    walmart: WalmartConfig


def build_senders(configs: ChannelConfigs, http: httpx.Client, clock: Clock | None = None) -> dict[str, ChannelSender]:
    senders: dict[str, ChannelSender] = {}
    if configs.email.smtp_host:
        from channels.email.client import EmailChannel

        email = EmailChannel(configs.email, clock=clock)
        for platform in ("amazon", "walmart", "shopify"):  # relay addresses and the store's own mailbox
            senders[platform] = email
    if configs.tiktok.access_token and configs.tiktok.app_key:
        from channels.tiktok.client import TikTokClient

        senders["tiktok"] = TikTokClient(configs.tiktok, http)
    if configs.ebay.access_token:
        from channels.ebay.client import EbayClient

        senders["ebay"] = EbayClient(configs.ebay, http)
    if configs.meta.page_token:
        from channels.meta.client import MetaClient

        meta = MetaClient(configs.meta, http)
        senders["facebook"] = senders["instagram"] = meta
    return senders


"""Settings -> the channels' own configs and the webhook endpoints' limits: the one place that knows which
`SHOPDESK_*` setting feeds which channel.

channels/ and runtime/ sit below shopdesk/ and never read Settings; the composition root (shopdesk/service.py,
shopdesk/server.py) calls these and hands each piece only what it reads."""

from __future__ import annotations

from channels.amazon.config import AmazonConfig
from channels.ebay.config import EbayConfig
from channels.email.config import EmailConfig
from channels.meta.config import MetaConfig
from channels.registry import ChannelConfigs
from channels.shopify.config import ShopifyConfig
from channels.tiktok.config import TikTokConfig
from channels.walmart.config import WalmartConfig
from runtime.webhooks import WebhookLimits
from shopdesk.settings import Settings


def channel_configs(s: Settings) -> ChannelConfigs:
    """Every channel's config, read from the application's settings."""
    return ChannelConfigs(
        amazon=AmazonConfig(api_url=s.amazon_api_url, lwa_url=s.amazon_lwa_url, client_id=s.amazon_client_id,
                            client_secret=s.amazon_client_secret, refresh_token=s.amazon_refresh_token),
        ebay=EbayConfig(api_url=s.ebay_api_url, access_token=s.ebay_access_token,
                        verification_token=s.ebay_verification_token, seller_username=s.ebay_seller_username),
        email=EmailConfig(imap_host=s.imap_host, imap_port=s.imap_port, imap_ssl=s.imap_ssl, imap_user=s.imap_user,
                          imap_password=s.imap_password, imap_folder=s.imap_folder, smtp_host=s.smtp_host,
                          smtp_port=s.smtp_port, smtp_starttls=s.smtp_starttls, smtp_user=s.smtp_user,
                          smtp_password=s.smtp_password, seller_email=s.seller_email,
                          authserv_id=s.email_authserv_id),
        meta=MetaConfig(app_secret=s.meta_app_secret, verify_token=s.meta_verify_token, graph_url=s.meta_graph_url,
                        page_token=s.meta_page_token, page_id=s.meta_page_id),
        shopify=ShopifyConfig(webhook_secret=s.shopify_webhook_secret, api_url=s.shopify_api_url,
                              access_token=s.shopify_access_token),
        tiktok=TikTokConfig(app_key=s.tiktok_app_key, app_secret=s.tiktok_app_secret,
                            access_token=s.tiktok_access_token, shop_cipher=s.tiktok_shop_cipher,
                            api_url=s.tiktok_api_url),
        walmart=WalmartConfig(api_url=s.walmart_api_url, client_id=s.walmart_client_id,
                              client_secret=s.walmart_client_secret, webhook_auth=s.walmart_webhook_auth,
                              webhook_secret=s.walmart_webhook_secret),
    )


def webhook_limits(s: Settings) -> WebhookLimits:
    """The webhook endpoints' body caps and large-body slots."""
    return WebhookLimits(max_body_bytes=dict(s.webhook_max_body_bytes), large_body_bytes=s.webhook_large_body_bytes,
                         large_body_slots=s.webhook_large_body_slots, slot_wait_s=s.webhook_slot_wait_s)

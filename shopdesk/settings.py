"""The one typed settings object. Nothing else in shopdesk reads the environment.

Values come from ``SHOPDESK_*`` environment variables or an optional ``.env`` file in the
working directory; every default is an embedded one (no key, no network).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration, built once by the entry point and passed down explicitly."""

    model_config = SettingsConfigDict(
        env_prefix="SHOPDESK_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    data_dir: Path = Field(default=Path(".shopdesk"), description="Where databases and indexes live.")
    store_seed: int = Field(default=7, description="Seed of the demo store generator.")
    store_anchor: datetime | None = Field(
        default=None,
        description="The 'now' the demo store is generated around (ISO 8601); default: today 00:00 UTC.",
    )
    now: datetime | None = Field(
        default=None, description="Freeze the clock at this instant (ISO 8601; tests, demos, evals). Unset = real time."
    )
    chroma_url: str | None = Field(
        default=None, description="A Chroma server (http://host:port); unset = embedded Chroma under the data dir."
    )
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint; unset = embedded engine.")
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(default=30, gt=0, description="Per-attempt timeout of one LLM request.")
    llm_max_retries: int = Field(default=3, ge=0, description="Retries on timeouts, 408/409/429 and 5xx.")
    llm_max_tokens: int = Field(default=700, gt=0, description="Upper bound on tokens per LLM reply.")
    shopify_webhook_secret: SecretStr | None = Field(default=None, description="Verifies X-Shopify-Hmac-Sha256.")
    meta_app_secret: SecretStr | None = Field(default=None, description="Verifies X-Hub-Signature-256.")
    meta_verify_token: SecretStr | None = Field(default=None, description="The webhook subscription handshake token.")
    tiktok_app_key: str | None = None
    tiktok_app_secret: SecretStr | None = Field(default=None, description="Signs TikTok Shop requests, verifies webhooks.")
    judge_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint of the eval judge.")
    judge_model: str | None = None
    judge_api_key: SecretStr | None = None
    llm_review: bool = Field(default=False, description="Also ask the LLM to review drafts the rules passed.")

    # ---- channels: API base URLs default to the real platforms; `serve --simulate` points them at loopback
    shopify_api_url: str | None = Field(default=None, description="https://{shop}.myshopify.com/admin/api/2026-10")
    shopify_access_token: SecretStr | None = Field(default=None, description="X-Shopify-Access-Token.")
    tiktok_api_url: str = "https://open-api.tiktokglobalshop.com"
    tiktok_access_token: SecretStr | None = Field(default=None, description="x-tts-access-token.")
    tiktok_shop_cipher: str | None = None
    ebay_api_url: str = "https://api.ebay.com"
    ebay_access_token: SecretStr | None = Field(default=None, description="OAuth user token (Bearer).")
    meta_graph_url: str = "https://graph.facebook.com/v25.0"
    meta_page_token: SecretStr | None = Field(default=None, description="Page access token for the Send API.")
    meta_page_id: str | None = None
    amazon_api_url: str = "https://sellingpartnerapi-na.amazon.com"
    amazon_lwa_url: str = "https://api.amazon.com/auth/o2/token"
    amazon_client_id: str | None = None
    amazon_client_secret: SecretStr | None = None
    amazon_refresh_token: SecretStr | None = None
    walmart_api_url: str = "https://marketplace.walmartapis.com"
    walmart_client_id: str | None = None
    walmart_client_secret: SecretStr | None = None
    walmart_webhook_auth: Literal["basic", "hmac", "oauth"] | None = Field(
        default=None, description="How Walmart authenticates its webhook deliveries (set in Seller Center).")
    walmart_webhook_secret: SecretStr | None = Field(
        default=None, description="basic: 'user:password'; hmac: the shared secret; oauth: the bearer token.")
    ebay_verification_token: SecretStr | None = Field(default=None, description="eBay endpoint challenge token.")
    ebay_seller_username: str | None = Field(default=None, description="Our eBay user: its messages are echoes.")
    # ---- webhook bodies: no platform documents a maximum for HTTPS deliveries, so these are chosen: Shopify
    # caps EventBridge payloads at 1,000,000 bytes and says HTTP ones can exceed 1 MB (2 MiB here); Meta batches
    # many events (1 MiB); TikTok, eBay and Walmart send one small event (256 KiB, 8x the largest seen)
    webhook_max_body_bytes: dict[str, int] = Field(
        default_factory=lambda: {"shopify": 2_097_152, "meta": 1_048_576, "tiktok": 262_144, "ebay": 262_144,
                                 "walmart": 262_144},
        description="Per-platform webhook body cap in bytes: larger answers 413 without reading further.")
    webhook_large_body_bytes: int = Field(default=65_536, gt=0, description="Bodies above this take a large-body slot.")
    webhook_large_body_slots: int = Field(default=8, ge=1, description="Large webhook bodies read at the same time.")
    webhook_slot_wait_s: float = Field(default=2.0, ge=0, description="Wait for a large-body slot, then 503.")
    # ---- email relay (Amazon buyer-seller messages, Walmart care email, the Shopify store mailbox)
    imap_host: str | None = None
    imap_port: int = 993
    imap_ssl: bool = True
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_folder: str = "INBOX"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    seller_email: str = Field(default="support@shop.example.com", description="The seller's authorized From address.")
    email_authserv_id: str | None = Field(
        default=None, description="authserv-id of the seller's receiving mail server: only its Authentication-Results "
        "(DMARC pass for the From domain) prove an email's sender; unset = no email sender is proven.")
    # ---- the server and its workers
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default=2, ge=1, le=32)
    poll_interval_s: float = Field(default=0.5, gt=0, description="How often idle workers and the IMAP poller look.")
    console_users: str | None = Field(
        default=None, description="'name:password[:role],...' (role agent|admin); hashed when loaded.")
    console_idle_minutes: float = Field(default=30, gt=0, description="A console session unused this long ends.")
    console_session_hours: float = Field(default=12, gt=0, description="A console session ends this long after sign-in.")
    health_token: SecretStr | None = Field(
        default=None, description="Bearer token for /health/details (queues, workers, channels); unset = off.")
    api_docs: bool = Field(default=False, description="Serve the OpenAPI schema and /api/docs (development).")

    @property
    def store_path(self) -> Path:
        """SQLite file of the sandbox store."""
        return self.data_dir / "store.db"

    @property
    def app_db_path(self) -> Path:
        """SQLite file of the app: inbox, outbox, conversations, audit log."""
        return self.data_dir / "app.db"

    def ensure_data_dir(self) -> Path:
        """The data dir, made and kept readable by its owner only: it holds customers' messages, orders and
        addresses (the databases, attachments, the demo password). A dir of another user is left as it is."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.data_dir.stat().st_uid == os.getuid() and self.data_dir.stat().st_mode & 0o077:
            self.data_dir.chmod(0o700)
        return self.data_dir

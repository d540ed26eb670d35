"""The one typed settings object. Nothing else in shopdesk reads the environment.

Values come from ``SHOPDESK_*`` environment variables or an optional ``.env`` file in the
working directory; every default is an embedded one (no key, no network).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

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

    @property
    def store_path(self) -> Path:
        """SQLite file of the sandbox store."""
        return self.data_dir / "store.db"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

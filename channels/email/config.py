"""The seller mailbox's settings, as the composition root hands them over (shopdesk/channel_configs.py).

The email channel reads this and nothing else, so channels/ never imports the application's Settings."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, SecretStr


class EmailConfig(BaseModel):
    """IMAP (reading) and SMTP (answering), the seller's From address, and the authserv-id of the seller's
    receiving server (only its Authentication-Results prove a sender; unset = no sender is proven)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    imap_host: str | None = None
    imap_port: int
    imap_ssl: bool
    imap_user: str | None = None
    imap_password: SecretStr | None = None
    imap_folder: str
    smtp_host: str | None = None
    smtp_port: int
    smtp_starttls: bool
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    seller_email: str
    authserv_id: str | None = None

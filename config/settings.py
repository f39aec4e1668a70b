"""Settings, read from the environment and from `.env` (design §3).

Every outside service is optional: a feature whose setting is missing says so, once at
start-up (`Settings.missing()`) and again to whoever uses that feature.
"""

from __future__ import annotations

from datetime import time
from functools import cached_property
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///contentbot.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = "redis://localhost:6379/0"
    port: int = 3000

    slack_bot_token: str | None = None
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None
    slack_api_url: str = "https://slack.com/api/"

    review_channel: str | None = None
    alert_channel: str | None = None
    digest_channel: str | None = None
    reviewers: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Who may change channels and the template library; the reviewers when unset.
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    anthropic_api_key: str | None = None
    anthropic_base_url: str | None = None
    anthropic_model: str = "claude-sonnet-5-5"

    tiktok_api_url: str = "https://open.tiktokapis.com"
    # The consent page lives on TikTok's web host, not the API host (reference §2).
    tiktok_auth_url: str = "https://www.tiktok.com"
    tiktok_client_key: str | None = None
    tiktok_client_secret: str | None = None
    public_url: str | None = None

    tiktok_shop_app_key: str | None = None
    tiktok_shop_app_secret: str | None = None
    tiktok_shop_service_id: str | None = None  # Partner Center: names the app on the seller's consent page
    tiktok_shop_api_url: str = "https://open-api.tiktokglobalshop.com"
    tiktok_shop_auth_url: str = "https://auth.tiktok-shops.com"  # token exchange and refresh
    tiktok_shop_authorize_url: str = "https://services.tiktokshop.com/open/authorize"

    smtp_url: str | None = None
    alert_emails: Annotated[list[str], NoDecode] = Field(default_factory=list)

    token_key: str | None = None
    # Without TikTok credentials, posts go to this folder instead: one JSON file per request.
    sandbox_dir: str = "sandbox"
    # Videos shared in the schedule modal (or given as a URL) are kept here until they are posted.
    media_dir: str = "media"
    # A manual post waiting for its poster is reminded in its thread this often (minutes).
    poster_reminder_minutes: int = Field(default=30, ge=1)
    timezone: str = "UTC"
    # When the daily digest of the day before goes to DIGEST_CHANNEL, local to TIMEZONE.
    digest_time: str = "09:00"

    @field_validator("reviewers", "admins", "alert_emails", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        # People write these as "U1,U2" in .env; pydantic would otherwise expect JSON.
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"TIMEZONE {value!r} is not an IANA time zone name such as Europe/London"
            ) from exc
        return value

    @field_validator("digest_time")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"DIGEST_TIME {value!r} is not a time of day such as 09:00") from exc
        return value

    @property
    def digest_at(self) -> time:
        return time.fromisoformat(self.digest_time)

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://localhost:{self.port}").rstrip("/")

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    def missing(self) -> list[str]:
        """One sentence per feature that is off for want of a setting."""
        notes = []
        if not self.slack_bot_token:
            notes.append(
                "SLACK_BOT_TOKEN is not set: the bot cannot reach a Slack workspace (try `contentbot console`)."
            )
        elif not (self.slack_signing_secret or self.slack_app_token):
            notes.append(
                "Neither SLACK_SIGNING_SECRET nor SLACK_APP_TOKEN is set: Slack requests cannot be verified."
            )
        if not self.review_channel:
            notes.append("REVIEW_CHANNEL is not set: drafts for review have nowhere to go.")
        if not self.digest_channel:
            notes.append(
                "DIGEST_CHANNEL is not set: no daily digest is posted (`/content digest` still shows it)."
            )
        if not self.anthropic_api_key:
            notes.append("ANTHROPIC_API_KEY is not set: content is written by the offline template writer.")
        if not (self.tiktok_client_key and self.tiktok_client_secret):
            notes.append("TIKTOK_CLIENT_KEY/SECRET are not set: posts go to the local sandbox, not TikTok.")
        if not (self.tiktok_shop_app_key and self.tiktok_shop_app_secret):
            notes.append("TIKTOK_SHOP_APP_KEY/SECRET are not set: product tags cannot be checked.")
        elif not self.tiktok_shop_service_id:
            notes.append("TIKTOK_SHOP_SERVICE_ID is not set: the shop cannot be connected (no consent link).")
        if not self.alert_channel:
            notes.append("ALERT_CHANNEL is not set: alerts are said only in their posts' threads.")
        if not self.smtp_url:
            notes.append("SMTP_URL is not set: alerts go to Slack only, not email.")
        if not self.token_key:
            notes.append(
                "TOKEN_KEY is not set: TikTok accounts cannot be connected (tokens must be encrypted)."
            )
        return notes

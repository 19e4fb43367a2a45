"""Settings of the API and console (``UTILCREDIT_CONSOLE_*``), beside the core :class:`Settings`."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from utilcredit.access.model import ThrottlePolicy


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="UTILCREDIT_CONSOLE_", env_file=".env", extra="ignore"
    )

    default_policies: dict[str, str] = Field(
        default={"water": "lianshui-water", "power": "huaiyin-power"},
        description="Policy used per utility when a request names none",
    )
    live_stats_max_subjects: int = Field(
        default=20_000,
        ge=0,
        description="Largest population the dashboard rates live when no rating run exists",
    )
    secure_cookies: bool = Field(default=False, description="Mark cookies Secure (behind HTTPS)")
    upload_max_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)
    max_concurrent_requests: int = Field(
        default=10,
        ge=1,
        le=200,
        description="Requests handled at once per process; the rest wait their turn before "
        "taking a store connection (below SQLAlchemy's pool of 5 + 10 overflow)",
    )
    max_concurrent_anonymous: int = Field(
        default=2,
        ge=1,
        le=50,
        description="Requests to public endpoints (log-in, token, docs) handled at once per "
        "process, in their own pool: a flood of anonymous logins never takes the slots of "
        "logged-in users",
    )
    body_timeout_seconds: float = Field(
        default=300.0,
        gt=0,
        le=86_400,
        description="Time a client has to send a whole request body (uploads included); a "
        "slower one is cut off with 408. Bodies are read before a request takes its slot",
    )
    password_check_concurrency: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Argon2 hashes or verifications at once per process (CPU-heavy)",
    )
    login_max_failures_per_user: int = Field(
        default=10, ge=1, le=100, description="Failed logins of one account name per window"
    )
    login_max_failures_per_address: int = Field(
        default=50, ge=1, le=10_000, description="Failed logins from one client address per window"
    )
    login_failure_window_seconds: int = Field(default=900, ge=1, le=86_400)
    login_lockout_seconds: int = Field(
        default=900,
        ge=1,
        le=7 * 86_400,
        description="How long an account name or address stays locked (an admin can lift it)",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Addresses or networks of reverse proxies whose X-Forwarded-Proto and "
        "X-Forwarded-For are believed (comma-separated or JSON list; none by default)",
    )
    page_size: int = Field(default=20, ge=1, le=200)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @property
    def throttle(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            max_user_failures=self.login_max_failures_per_user,
            max_address_failures=self.login_max_failures_per_address,
            window=dt.timedelta(seconds=self.login_failure_window_seconds),
            lockout=dt.timedelta(seconds=self.login_lockout_seconds),
        )


@lru_cache(maxsize=1)
def get_console_settings() -> ConsoleSettings:
    return ConsoleSettings()

"""Settings of the API and console (``UTILCREDIT_CONSOLE_*``), beside the core :class:`Settings`."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    page_size: int = Field(default=20, ge=1, le=200)


@lru_cache(maxsize=1)
def get_console_settings() -> ConsoleSettings:
    return ConsoleSettings()

"""All settings in one place, read from ``UTILCREDIT_*`` environment variables (or ``.env``).

Nothing here connects to anything: :func:`get_settings` only reads values.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Rows per bulk statement: 20,000 imported ≈ 25 % faster than 5,000 (bench/README.md) at the
# same peak memory.
IMPORT_BATCH_ROWS = 20_000


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="UTILCREDIT_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"), description="Where the embedded store and reports live"
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; defaults to SQLite at <data_dir>/utilcredit.db"
    )
    uscc_allow_list: frozenset[str] = Field(
        default=frozenset(),
        description="Early pilot USCCs that are legal but fail the check character",
    )
    import_batch_rows: int = Field(
        default=IMPORT_BATCH_ROWS, ge=100, description="Rows per bulk statement"
    )
    mask_keep_head: int = Field(default=10, ge=0)
    mask_keep_tail: int = Field(default=4, ge=0)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'utilcredit.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

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

# Import limits (importing/limits.py has the reasons). Rows per file: 3x the largest bench
# export (16.3 M bills at 1 M subjects); rejects: enough to show what is wrong with an export,
# few enough to stop a file that is wrong throughout; fields: far above the widest column
# (500 characters); lines: above the "10 MB field" of the security review, so even that is a
# row reject; XLSX: a full sheet of 1,048,576 rows is ~300 MB of XML, while shared strings
# are held in memory as long as the file is read.
IMPORT_MAX_ROWS = 50_000_000
IMPORT_MAX_REJECTS = 10_000
IMPORT_MAX_FIELD_CHARS = 4096
IMPORT_MAX_LINE_BYTES = 16 * 1024 * 1024
IMPORT_XLSX_MAX_BYTES = 512 * 1024 * 1024
IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
IMPORT_LOCK_WAIT_SECONDS = 30.0
UPLOAD_RETENTION_DAYS = 30


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
    import_max_rows: int = Field(
        default=IMPORT_MAX_ROWS, ge=1, description="Rows per file; a longer file is refused"
    )
    import_max_rejects: int = Field(
        default=IMPORT_MAX_REJECTS,
        ge=0,
        description="Rejects per file; past this the file is stopped (nothing of it is kept)",
    )
    import_max_field_chars: int = Field(
        default=IMPORT_MAX_FIELD_CHARS,
        ge=64,
        le=131_072,  # the csv module's own field limit
        description="Characters per cell; a longer cell rejects its row",
    )
    import_max_line_bytes: int = Field(
        default=IMPORT_MAX_LINE_BYTES,
        ge=1024 * 1024,
        description="Bytes per line of a CSV or JSON Lines file; a longer line stops the file",
    )
    import_xlsx_max_bytes: int = Field(
        default=IMPORT_XLSX_MAX_BYTES,
        ge=1024 * 1024,
        description="Uncompressed size of an XLSX file's XML parts together",
    )
    import_xlsx_max_shared_strings_bytes: int = Field(
        default=IMPORT_XLSX_MAX_SHARED_STRINGS_BYTES,
        ge=1024 * 1024,
        description="Uncompressed size of an XLSX file's shared strings (held in memory)",
    )
    import_lock_wait_seconds: float = Field(
        default=IMPORT_LOCK_WAIT_SECONDS,
        ge=0,
        le=3600,
        description="How long an import waits for another one on the same store to finish",
    )
    upload_retention_days: int = Field(
        default=UPLOAD_RETENTION_DAYS,
        ge=1,
        description="Days uploaded files and their reject reports are kept under data_dir",
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

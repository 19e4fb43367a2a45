"""All settings in one place, read from ``UTILCREDIT_*`` environment variables (or ``.env``).

:class:`Settings` holds everything; its ``console`` part (:class:`ConsoleSettings`, the API
and console's own) reads ``UTILCREDIT_CONSOLE_*``. Nothing here connects to anything:
:func:`get_settings` only reads values.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from utilcredit.access.model import ThrottlePolicy

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


class ConsoleSettings(BaseSettings):
    """The API and console's settings, ``UTILCREDIT_CONSOLE_*``: :attr:`Settings.console`.

    A settings class of its own (not a plain sub-model) so that it keeps reading its variables
    under its own prefix when :class:`Settings` builds it.
    """

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
    max_concurrent_public_site: int = Field(
        default=4,
        ge=1,
        le=100,
        description="Requests to the public disclosure site (/public/) handled at once per "
        "process, in a pool of their own: the public's reading never takes the log-in's slots",
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

    public_requests_per_minute: int = Field(
        default=120,
        ge=1,
        le=1_000_000,
        description="Public disclosure pages (/public/) a client address may ask for per minute "
        "(a token bucket; beyond it 429 with Retry-After)",
    )
    public_burst: int = Field(
        default=30, ge=1, le=100_000, description="Public pages a client may ask for at once"
    )
    public_max_age_seconds: int = Field(
        default=300, ge=0, le=86_400, description="Cache-Control max-age of the public pages"
    )

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
        """The log-in throttle these settings describe."""
        from utilcredit.access.model import ThrottlePolicy  # config imports no domain eagerly

        return ThrottlePolicy(
            max_user_failures=self.login_max_failures_per_user,
            max_address_failures=self.login_max_failures_per_address,
            window=dt.timedelta(seconds=self.login_failure_window_seconds),
            lockout=dt.timedelta(seconds=self.login_lockout_seconds),
        )


class RecordsSettings(BaseSettings):
    """Dishonesty records, objections and repair, ``UTILCREDIT_RECORDS_*``: :attr:`Settings.records`.

    The determining unit (认定单位) is the utility company that determines a record; each
    utility of the deployment names its own. Deadlines are in Chinese working days (SPEC 3.6).
    """

    model_config = SettingsConfigDict(
        env_prefix="UTILCREDIT_RECORDS_", env_file=".env", extra="ignore"
    )

    determining_units: dict[str, tuple[str, str]] = Field(
        default={
            "water": ("示范供水有限公司", "91440200617512345J"),
            "power": ("示范供电局", "91440800190350011Q"),
        },
        description="Per utility: (name, USCC) of the unit that determines records",
    )
    # 数额较大 is defined by no seed; 10,000 CNY is the figure the Jiangsu and Hubei tables use
    # for a serious theft, a deliberate choice a deployment overrides (docs/records.md).
    large_arrears_yuan: Decimal = Field(default=Decimal(10_000), ge=0)
    objection_decide_days: int = Field(default=5, ge=1, le=60)
    repair_accept_days: int = Field(default=3, ge=1, le=60)
    repair_decide_days: int = Field(default=10, ge=1, le=60)
    repair_close_days: int = Field(default=3, ge=1, le=60)
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)


class NoticeSettings(BaseSettings):
    """Notices and their channels, ``UTILCREDIT_NOTICES_*``: :attr:`Settings.notices`.

    A channel whose endpoint (``smtp_host``, ``sms_url``, ``wechat_url``) is not set has no
    adapter: its notices wait in the outbox until one is configured.
    """

    model_config = SettingsConfigDict(
        env_prefix="UTILCREDIT_NOTICES_", env_file=".env", extra="ignore"
    )

    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65_535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_sender: str = "credit@utility.example.cn"
    sms_url: str | None = Field(default=None, description="SMS gateway: POST JSON batches here")
    sms_token: SecretStr | None = None
    sms_sign_name: str = Field(default="供水供电信用", description="短信签名")
    wechat_url: str | None = Field(default=None, description="WeChat template-message gateway")
    wechat_token: SecretStr | None = None
    wechat_template_id: str = "credit-notice"
    http_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    quiet_start: dt.time = Field(default=dt.time(21, 0), description="Asia/Shanghai")
    quiet_end: dt.time = Field(default=dt.time(8, 0), description="Asia/Shanghai")
    daily_cap: int = Field(
        default=3, ge=1, le=100, description="Messages (SMS, WeChat, e-mail) per subject and day"
    )
    max_attempts: int = Field(default=8, ge=1, le=50, description="Tries before dead-lettering")
    claim_seconds: int = Field(
        default=300,
        ge=1,
        le=86_400,
        description="How long a claimed notice is a worker's; after that a crash is assumed "
        "(keep it well above the slowest endpoint's answer)",
    )
    batch_size: int = Field(default=200, ge=1, le=5000, description="Notices claimed at once")
    worker_interval_seconds: float = Field(default=5.0, gt=0, le=3600)
    receipt_token: SecretStr | None = Field(
        default=None, description="Bearer token of gateways posting delivery receipts"
    )


class ExchangeSettings(BaseSettings):
    """The public credit platform, ``UTILCREDIT_EXCHANGE_*``: :attr:`Settings.exchange`.

    Without ``platform_url`` nothing is sent and no report is fetched: batches wait as
    ``created`` and credit checks take a report loaded by hand (docs/exchange.md).
    """

    model_config = SettingsConfigDict(
        env_prefix="UTILCREDIT_EXCHANGE_", env_file=".env", extra="ignore"
    )

    platform_url: str | None = Field(
        default=None, description="Base URL of the platform's exchange API, e.g. https://…/api/v1"
    )
    platform_token: SecretStr | None = Field(default=None, description="Bearer token")
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Further tries after a timeout, a lost connection or a 5xx; an upload "
        "carries its batch's idempotency key, so a retry never submits twice",
    )


class SparkSettings(BaseSettings):
    """The Spark rating engine, ``UTILCREDIT_SPARK_*``: :attr:`Settings.spark` (docs/spark.md)."""

    model_config = SettingsConfigDict(
        env_prefix="UTILCREDIT_SPARK_", env_file=".env", extra="ignore"
    )

    master: str = Field(
        default="local[*]",
        description="spark.master: local[N] on this machine, or a cluster's master URL "
        "(spark://…, yarn, k8s://…)",
    )
    parquet_dir: Path | None = Field(
        default=None,
        description="Where `db export-parquet` and the Spark engine keep the store's Parquet "
        "export; a cluster's executors must read it (HDFS, S3, a shared mount). Default: "
        "<data_dir>/parquet",
    )
    driver_memory: str = Field(default="2g", description="spark.driver.memory")
    shuffle_partitions: int = Field(
        default=8,
        ge=1,
        description="spark.sql.shuffle.partitions: a few per core (Spark's default of 200 is "
        "for clusters; on one machine it costs more in tasks than it gains)",
    )
    conf: dict[str, str] = Field(
        default_factory=dict,
        description='Further Spark settings as JSON, e.g. {"spark.executor.memory": "8g"}',
    )


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
    duckdb_memory_limit: str = Field(
        default="4GB",
        pattern=r"^[0-9]+(\.[0-9]+)? ?(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB's memory for ratings and Parquet exports (it spills to disk beyond "
        "it; its own default, 80 % of the machine's memory, took 22 GB for the export of 10 M "
        "subjects). Snapshot copies keep DuckDB's default: their settlement step cannot spill",
    )
    mask_keep_head: int = Field(default=10, ge=0)
    mask_keep_tail: int = Field(default=4, ge=0)
    # Built by its own class, so UTILCREDIT_CONSOLE_* keep naming its fields.
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    records: RecordsSettings = Field(default_factory=RecordsSettings)
    notices: NoticeSettings = Field(default_factory=NoticeSettings)
    exchange: ExchangeSettings = Field(default_factory=ExchangeSettings)
    spark: SparkSettings = Field(default_factory=SparkSettings)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'utilcredit.db').resolve()}"

    @property
    def resolved_parquet_dir(self) -> Path:
        return self.spark.parquet_dir or self.data_dir / "parquet"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

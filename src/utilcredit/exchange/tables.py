"""The exchange with the platform: submission batches (what was exported, when, in which
files), the rows the platform returned, and credit checks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from utilcredit.db import Base


class ExchangeBatchRow(Base):
    """One export of one catalog kind (报送批次). ``until`` is where its window of changes
    ends: the next incremental export of the same kind and utilities starts there."""

    __tablename__ = "exchange_batches"
    __table_args__ = (Index("ix_exchange_batches_kind_status", "catalog", "kind", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    catalog: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    utilities: Mapped[str] = mapped_column(String(32))  # "power" or "power,water"
    mode: Mapped[str] = mapped_column(String(16))  # full | incremental
    status: Mapped[str] = mapped_column(String(20))
    as_of: Mapped[dt.date] = mapped_column(Date)  # the determination / export day
    since: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    until: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    format: Mapped[str] = mapped_column(String(8))
    encoding: Mapped[str | None] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    invalid_rows: Mapped[int] = mapped_column(Integer, default=0)
    #: [{"role": "data" | "keys" | "invalid", "name", "bytes", "sha256"}]
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    folder: Mapped[str] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    returned_rows: Mapped[int | None] = mapped_column(Integer)
    platform_ref: Mapped[str | None] = mapped_column(String(64))  # the platform's receipt


class ReturnedRowRow(Base):
    """A row the platform returned with an error (its returned-error file): flagged until it is
    corrected — by a re-import of the source data or an audited edit — and then resubmitted in
    a later batch."""

    __tablename__ = "exchange_returned_rows"
    __table_args__ = (
        UniqueConstraint("batch_id", "row_no", "error_code"),
        Index("ix_exchange_returned_rows_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("exchange_batches.id"), index=True)
    row_no: Mapped[int] = mapped_column(Integer)  # the data row of the batch's file, from 1
    source_key: Mapped[str] = mapped_column(String(120), index=True)  # from keys.txt
    error_code: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))  # open | corrected | resubmitted
    corrected_by: Mapped[str | None] = mapped_column(String(64))
    corrected_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    correction: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # what was changed, how
    resubmitted_in: Mapped[int | None] = mapped_column(ForeignKey("exchange_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class CreditCheckRow(Base):
    """One credit check (信用核查) of a subject through the platform or from a report loaded by
    hand: why it was made, what it found, and how its result was used (the feedback seed 002
    附件2 asks the utility to give)."""

    __tablename__ = "credit_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    utility: Mapped[str] = mapped_column(String(8))
    purpose: Mapped[str] = mapped_column(String(32))  # application | commitment | designation | …
    purpose_note: Mapped[str | None] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(String(16))  # platform | manual
    status: Mapped[str] = mapped_column(String(16))  # done | failed
    error: Mapped[str | None] = mapped_column(String(500))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("credit_reports.id"))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # what the report said
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    used_for: Mapped[str | None] = mapped_column(String(32))  # how the result was used
    use_note: Mapped[str | None] = mapped_column(String(500))
    used_by: Mapped[str | None] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

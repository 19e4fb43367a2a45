"""Database mapping of the credit file. Natural keys are unique; children point at surrogate ids."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
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

from utilcredit.db import Base, Money, Quantity

# ``Column.info`` key of the columns imports never write (the importer leaves them out of its
# inserts and upserts, so re-importing a row keeps them): marks set by other use cases.
NOT_IMPORTED = "not_imported"


def _natural_key(length: int) -> Mapped[str]:
    """A natural key (subject code, account, bill, payment, incident or reminder number):
    unique, and on PostgreSQL in the ``C`` collation. Bytewise, as SQLite compares; and a
    load's unique index is then built with ``memcmp`` instead of ``strcoll`` (under C.UTF-8 the
    bills' ``bill_no`` index took 16.5 s of a 1 M-subject first load, bench/README.md)."""
    return mapped_column(
        String(length).with_variant(String(length, collation="C"), "postgresql"), unique=True
    )


def _set_aside_by() -> Mapped[int | None]:
    """The id of the dishonesty record (``records``) that set this row aside (repaired, removed
    or corrected away): a set-aside row counts in no rating (SPEC 3). No foreign key: the
    records table lives in a higher layer. Indexed: a record's marks are cleared by its id."""
    return mapped_column(Integer, index=True, info={NOT_IMPORTED: True})


class Timestamps:
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # Indexed: the newest change (rating runs' watermark, the columnar snapshot's fingerprint)
    # and "changed since" (dynamic re-rating) must not scan tables of tens of millions of rows.
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now(), index=True
    )


class SubjectRow(Timestamps, Base):
    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = _natural_key(32)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    id_type: Mapped[str | None] = mapped_column(String(32))
    legal_rep: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(300))
    area: Mapped[str | None] = mapped_column(String(100), index=True)
    founded_on: Mapped[dt.date | None] = mapped_column(Date)


class AccountRow(Timestamps, Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_no: Mapped[str] = _natural_key(64)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    utility: Mapped[str] = mapped_column(String(8))
    opened_on: Mapped[dt.date] = mapped_column(Date)
    payment_mode: Mapped[str] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(300))
    area: Mapped[str | None] = mapped_column(String(100))


class BillRow(Timestamps, Base):
    __tablename__ = "bills"
    __table_args__ = (Index("ix_bills_account_id_due_on", "account_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_no: Mapped[str] = _natural_key(64)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    usage: Mapped[Decimal | None] = mapped_column("usage_milli", Quantity())
    unit: Mapped[str | None] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column("amount_fen", Money())
    due_on: Mapped[dt.date] = mapped_column(Date)
    set_aside_by: Mapped[int | None] = _set_aside_by()


class PaymentRow(Timestamps, Base):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_no: Mapped[str] = _natural_key(64)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), index=True)
    paid_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column("amount_fen", Money())


class IncidentRow(Timestamps, Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_account_id_occurred_on", "account_id", "occurred_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_no: Mapped[str] = _natural_key(64)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal | None] = mapped_column("amount_fen", Money())
    asset_class: Mapped[str | None] = mapped_column(String(16))
    severity: Mapped[str | None] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(String(500))
    set_aside_by: Mapped[int | None] = _set_aside_by()


class ReminderRow(Timestamps, Base):
    """A formal reminder (催告) sent to the customer about an account."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    reminder_no: Mapped[str] = _natural_key(64)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    sent_on: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str | None] = mapped_column(String(16))


class CreditReportRow(Timestamps, Base):
    """A public credit report of a subject; one per subject, source and issue date."""

    __tablename__ = "credit_reports"
    __table_args__ = (UniqueConstraint("subject_id", "source", "issued_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    source: Mapped[str] = mapped_column(String(32))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    has_dishonesty: Mapped[bool] = mapped_column(Boolean)
    rating: Mapped[str | None] = mapped_column(String(4))
    on_serious_list: Mapped[bool] = mapped_column(Boolean)


class CommitmentRow(Timestamps, Base):
    """A credit commitment (信用承诺) with every item of the reporting catalog (SPEC 5.4).

    It is credit information like a report, so it lives with the credit file and the rating
    reads it (守信主体: "主动提供信用承诺书"); the ``commitments`` domain makes and moves it.
    """

    __tablename__ = "commitments"
    __table_args__ = (
        Index("ix_commitments_subject_utility", "subject_id", "utility"),
        Index("ix_commitments_utility_status", "utility", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # 承诺编码
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))  # 承诺人
    utility: Mapped[str] = mapped_column(String(8))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    application_id: Mapped[int | None] = mapped_column(Integer, index=True)
    template_key: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[str] = mapped_column(String(32))
    commitment_type: Mapped[str] = mapped_column(String(32))  # 承诺类型
    reason: Mapped[str] = mapped_column(String(500))  # 承诺事由
    content: Mapped[str] = mapped_column(String(8000))  # 承诺内容 (the filled letter)
    liability: Mapped[str] = mapped_column(String(2000))  # 违诺责任
    fields: Mapped[dict[str, str]] = mapped_column(JSON)  # the letter's blanks as filled
    made_on: Mapped[dt.date] = mapped_column(Date)  # 承诺作出日期
    valid_until: Mapped[dt.date | None] = mapped_column(Date)  # 承诺有效期 (None: 长期)
    status: Mapped[str] = mapped_column(String(16))  # 承诺履行状态
    status_on: Mapped[dt.date] = mapped_column(Date)  # 承诺履行状态认定日期
    unfulfilled_content: Mapped[str | None] = mapped_column(String(2000))  # 未履行的承诺内容
    liability_pursued: Mapped[str | None] = mapped_column(String(2000))  # 违诺责任追究内容
    accepting_unit: Mapped[str] = mapped_column(String(200))  # 承诺受理单位
    accepting_unit_code: Mapped[str] = mapped_column(String(18))
    determining_unit: Mapped[str] = mapped_column(String(200))  # 承诺履行状态认定单位
    determining_unit_code: Mapped[str] = mapped_column(String(18))
    disclosure: Mapped[str] = mapped_column(String(16))  # 公开类型
    document_name: Mapped[str | None] = mapped_column(String(200))  # 承诺书文件
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64))

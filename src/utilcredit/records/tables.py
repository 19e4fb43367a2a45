"""The dishonesty-record register, objections, repair applications and their history.

Nothing here is ever deleted: a record leaves the ratings by its status (repaired, corrected,
removed), and every change of status is a row of ``case_events``. Those rows are also the
register's domain events: notices and the platform exchange read them after an id they keep.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from utilcredit.db import Base, Money


class DishonestyRecordRow(Base):
    __tablename__ = "dishonesty_records"
    __table_args__ = (
        Index("ix_dishonesty_records_utility_status", "utility", "status"),
        Index("ix_dishonesty_records_subject_id", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What made it, once: "<policy>:<rule>:<cause>"; derivation never makes a key twice.
    derivation_key: Mapped[str] = mapped_column(String(200), unique=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    utility: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(32))
    record_class: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20))
    policy_key: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(32))
    rule_id: Mapped[str] = mapped_column(String(16))
    rule_text: Mapped[str] = mapped_column(String(500))
    cause_on: Mapped[dt.date] = mapped_column(Date)  # the first day the rule held
    amount: Mapped[Decimal | None] = mapped_column("amount_fen", Money())
    summary: Mapped[str] = mapped_column(String(500))
    determining_unit: Mapped[str | None] = mapped_column(String(200))
    determining_unit_code: Mapped[str | None] = mapped_column(String(18))
    determined_on: Mapped[dt.date | None] = mapped_column(Date)
    regime: Mapped[str | None] = mapped_column(String(32))
    publish_from: Mapped[dt.date | None] = mapped_column(Date)
    publish_until: Mapped[dt.date | None] = mapped_column(Date)
    repairable_from: Mapped[dt.date | None] = mapped_column(Date)
    publication_stopped_on: Mapped[dt.date | None] = mapped_column(Date)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("dishonesty_records.id"))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class RecordEvidenceRow(Base):
    """What a record stands on: bills, payments, reminders, incidents (commitments later)."""

    __tablename__ = "record_evidence"

    record_id: Mapped[int] = mapped_column(ForeignKey("dishonesty_records.id"), primary_key=True)
    evidence_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    evidence_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(64))  # the natural key (bill_no, incident_no, …)
    on: Mapped[dt.date] = mapped_column(Date)


class ObjectionRow(Base):
    __tablename__ = "objections"
    __table_args__ = (Index("ix_objections_utility_status", "utility", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("dishonesty_records.id"), index=True)
    utility: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(2000))
    filed_by: Mapped[str] = mapped_column(String(64))
    filed_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)  # decision due (working days)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decision_note: Mapped[str | None] = mapped_column(String(2000))
    corrected_record_id: Mapped[int | None] = mapped_column(ForeignKey("dishonesty_records.id"))


class RepairRow(Base):
    __tablename__ = "repairs"
    __table_args__ = (Index("ix_repairs_utility_status", "utility", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("dishonesty_records.id"), index=True)
    utility: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    statement: Mapped[str] = mapped_column(String(2000))
    commitment_signed_on: Mapped[dt.date | None] = mapped_column(Date)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    submitted_by: Mapped[str] = mapped_column(String(64))
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    accept_due_on: Mapped[dt.date] = mapped_column(Date)
    accepted_by: Mapped[str | None] = mapped_column(String(64))
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    decide_due_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decision: Mapped[str | None] = mapped_column(String(16))
    decision_note: Mapped[str | None] = mapped_column(String(2000))
    close_due_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)


class CaseAttachmentRow(Base):
    """A file attached to an objection or a repair; the bytes live under data_dir by hash."""

    __tablename__ = "case_attachments"
    __table_args__ = (Index("ix_case_attachments_case", "case_type", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_type: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class CaseEventRow(Base):
    """One step of a record, objection or repair: who, when, why (the domain event too)."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_type", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_type: Mapped[str] = mapped_column(String(16))  # record | objection | repair
    case_id: Mapped[int] = mapped_column(Integer)
    utility: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(64))
    on: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    reason: Mapped[str | None] = mapped_column(String(2000))

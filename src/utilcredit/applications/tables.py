"""Credit-based applications (信用办水 · 信易电) and the pilot zones an admin keeps."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from utilcredit.db import Base


class ApplicationRow(Base):
    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_utility_status", "utility", "status"),
        Index("ix_applications_subject_id", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    utility: Mapped[str] = mapped_column(String(8))
    policy_key: Mapped[str] = mapped_column(String(64))
    business: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(300))
    area: Mapped[str | None] = mapped_column(String(100))
    park: Mapped[str | None] = mapped_column(String(100))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("pilot_zones.id"))
    address_type: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(8))
    documents_present: Mapped[list[str]] = mapped_column(JSON)
    documents_missing: Mapped[list[str]] = mapped_column(JSON)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("credit_reports.id"))
    status: Mapped[str] = mapped_column(String(20))
    applied_on: Mapped[dt.date] = mapped_column(Date)
    status_on: Mapped[dt.date] = mapped_column(Date)
    checked_on: Mapped[dt.date | None] = mapped_column(Date)
    eligible: Mapped[str | None] = mapped_column(String(8))  # met | not_met | unknown
    eligibility: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the explained check
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitments.id"))
    connected_on: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(2000))  # why rejected or withdrawn
    # "<utility>|<address>|<business>" while open, NULL once closed: one open application per
    # address and business, held by the database too.
    open_key: Mapped[str | None] = mapped_column(String(420), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class PilotZoneRow(Base):
    """A pilot zone of a policy (湛江 附件1): matched by area code or by park name."""

    __tablename__ = "pilot_zones"
    __table_args__ = (UniqueConstraint("policy_key", "district", "park"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_key: Mapped[str] = mapped_column(String(64))
    district: Mapped[str] = mapped_column(String(100))  # 所属行政区
    park: Mapped[str] = mapped_column(String(100))  # 试点区域
    area_code: Mapped[str | None] = mapped_column(String(12))  # 行政区划代码 (prefix match)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(String(500))

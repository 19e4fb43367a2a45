"""Measures granted to subjects (守信激励 and 失信约束), kept for the statistics."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from utilcredit.db import Base


class MeasureGrantRow(Base):
    __tablename__ = "measure_grants"
    __table_args__ = (Index("ix_measure_grants_utility_granted_on", "utility", "granted_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    utility: Mapped[str] = mapped_column(String(8))
    policy_key: Mapped[str] = mapped_column(String(64))
    measure_key: Mapped[str] = mapped_column(String(48))
    basis: Mapped[str] = mapped_column(
        String(64)
    )  # "level:green", "designation:trustworthy_subject"
    granted_on: Mapped[dt.date] = mapped_column(Date)
    granted_by: Mapped[str] = mapped_column(String(64))
    application_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(500))
    granted_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

"""Override requests and their decisions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from utilcredit.db import Base


class OverrideRow(Base):
    __tablename__ = "level_overrides"
    __table_args__ = (
        Index("ix_level_overrides_subject_id_policy_key", "subject_id", "policy_key"),
        Index("ix_level_overrides_state_utility", "state", "utility"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    utility: Mapped[str] = mapped_column(String(8))
    policy_key: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(8))
    computed_level: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(500))
    expires_on: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_on: Mapped[dt.date] = mapped_column(Date)
    requested_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decision_note: Mapped[str | None] = mapped_column(String(500))

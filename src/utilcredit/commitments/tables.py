"""The dated duties credit commitments create. The commitment itself is credit-file data
(``customers.tables.CommitmentRow``): the rating reads it (守信主体 "主动提供信用承诺书")."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from utilcredit.db import Base


class CommitmentObligationRow(Base):
    """A dated duty of a commitment (湛江: 接火送电后一年内补齐物业权属证明)."""

    __tablename__ = "commitment_obligations"
    __table_args__ = (Index("ix_commitment_obligations_status_due", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitments.id"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(1000))
    starts_on: Mapped[dt.date | None] = mapped_column(Date)  # e.g. the day power was connected
    due_on: Mapped[dt.date | None] = mapped_column(Date)  # None until it starts
    remind_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # pending | open | met | missed
    on_breach: Mapped[str | None] = mapped_column(String(32))
    reminded_on: Mapped[dt.date | None] = mapped_column(Date)
    met_on: Mapped[dt.date | None] = mapped_column(Date)
    missed_on: Mapped[dt.date | None] = mapped_column(Date)
    referred_on: Mapped[dt.date | None] = mapped_column(Date)  # referred for disconnection

"""The published view: one row per item the public may see, already masked (SPEC 3.6). The
public site reads this table and nothing else; publishing rebuilds it from the register and
the commitments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from utilcredit.db import Base


class PublicEntryRow(Base):
    __tablename__ = "public_entries"
    __table_args__ = (
        Index("ix_public_entries_lookup_code", "lookup_code"),
        Index("ix_public_entries_lookup_name", "lookup_name"),
        Index("ix_public_entries_period", "kind", "shown_from", "shown_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # record | commitment
    source_key: Mapped[str] = mapped_column(String(64), unique=True)  # record:12, commitment:CN-…
    utility: Mapped[str] = mapped_column(String(8))
    # What the public sees of the subject: a legal person's name and USCC in full; a natural
    # person's name and ID number masked.
    subject_shown: Mapped[str] = mapped_column(String(200))
    code_shown: Mapped[str] = mapped_column(String(32))
    # What a look-up matches: a legal person's USCC and exact name; never a natural person's.
    lookup_code: Mapped[str | None] = mapped_column(String(18))
    lookup_name: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)  # label → text, in display order
    shown_from: Mapped[dt.date] = mapped_column(Date)
    shown_until: Mapped[dt.date | None] = mapped_column(Date)  # None: until withdrawn
    published_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

"""The outbox of notices, their attempts, print batches, and how subjects want to be reached.

Times are UTC (``DateTime(timezone=True)``); quiet hours and daily caps are worked out in
Asia/Shanghai by the service.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from utilcredit.db import Base


class NoticeRow(Base):
    """One notice in the outbox. ``key`` is unique: the same event planned twice adds nothing."""

    __tablename__ = "notices"
    __table_args__ = (
        # the dispatcher's question: which queued notices of its channels are due (letters
        # waiting for print never stand in the way of the SMS)
        Index("ix_notices_status_channel_due", "status", "channel", "due_at"),
        Index("ix_notices_subject_id", "subject_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    utility: Mapped[str] = mapped_column(String(8))
    policy_key: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    account_id: Mapped[int | None] = mapped_column(Integer)
    recipient: Mapped[str | None] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(16))  # run | override | demand | commitment
    source_id: Mapped[int | None] = mapped_column(Integer)  # the run, override, obligation …
    run_id: Mapped[int | None] = mapped_column(Integer)  # the rating the notice speaks of
    variables: Mapped[dict[str, str]] = mapped_column(JSON)
    title: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)  # None for a letter: rendered when printed
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))  # not before
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claim: Mapped[str | None] = mapped_column(String(36))  # the worker's token while sending
    claimed_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    provider_ref: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(Text)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("print_batches.id"))
    reminder_id: Mapped[int | None] = mapped_column(Integer)  # the 催告 written to the file
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class NoticeAttemptRow(Base):
    """One step of a notice: a try at sending it and what came of it, or an operator's act."""

    __tablename__ = "notice_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(120))


class PrintBatchRow(Base):
    """Letters collected to be printed together: ``created → printed → posted``."""

    __tablename__ = "print_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    utility: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    letters: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    printed_by: Mapped[str | None] = mapped_column(String(100))
    printed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    posted_by: Mapped[str | None] = mapped_column(String(100))
    posted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class NoticeContactRow(Base):
    """Where a subject wants notices on a channel beyond the credit file's phone and address:
    an e-mail address, a WeChat openid, or another mobile number."""

    __tablename__ = "notice_contacts"

    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    address: Mapped[str] = mapped_column(String(300))
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class NoticeOptOutRow(Base):
    """A subject that asked for no notices on a channel (never honoured for the letter)."""

    __tablename__ = "notice_opt_outs"

    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    reason: Mapped[str | None] = mapped_column(String(300))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

"""Import runs and their rejected rows: the durable reject report."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from utilcredit.db import Base


class ImportRunRow(Base):
    """One file imported. ``status`` is ``running`` until the file's transaction commits
    (``done``) or fails (``failed``); a run left ``running`` was interrupted."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(32))
    file_format: Mapped[str] = mapped_column(String(8))
    encoding: Mapped[str | None] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100))
    # The utilities the importer could write, as a sorted comma list (``power,water``): the
    # run and its rejects are shown to readers of any of them. CLI runs list every utility;
    # NULL (runs made before this was recorded) shows them to readers of every utility only.
    utilities: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class ImportRejectRow(Base):
    __tablename__ = "import_rejects"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("import_runs.id", ondelete="CASCADE"), index=True
    )
    row_number: Mapped[int] = mapped_column(Integer)
    field: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(String(500))
    reason: Mapped[str] = mapped_column(String(500))

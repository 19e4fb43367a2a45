"""Database mapping of rating runs: headers, one compact row per subject, and level changes.

What-if simulations are computed in memory and never written here, so production ratings are
never touched by them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from utilcredit.db import Base


class RatingRunRow(Base):
    """One rating run. ``status`` is ``running`` until the run's rows and its completion commit
    together (``complete``) or an error marks it ``failed``; a run left ``running`` was
    interrupted. Only the latest ``complete`` run of a policy is current."""

    __tablename__ = "rating_runs"
    __table_args__ = (Index("ix_rating_runs_policy_key_status", "policy_key", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    policy_key: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(32))
    policy_sha256: Mapped[str] = mapped_column(String(64))
    utility: Mapped[str] = mapped_column(String(8))
    as_of: Mapped[dt.date] = mapped_column(Date)
    engine: Mapped[str] = mapped_column(String(32))
    clause_ids: Mapped[list[str]] = mapped_column(JSON)  # order of the per-subject letters
    # order of the per-subject designation letters; NULL in runs saved before designations were
    # (the same as none)
    designation_keys: Mapped[list[str] | None] = mapped_column(JSON)
    base_run_id: Mapped[int | None] = mapped_column(ForeignKey("rating_runs.id"))
    # max(updated_at) over the credit-file tables when the run started (and the latest finished
    # import run): what the run saw. Rows updated at or after it are "changed since".
    watermark: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    import_run_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    subjects: Mapped[int] = mapped_column(Integer, default=0)
    rerated: Mapped[int] = mapped_column(Integer, default=0)  # evaluated (not carried over)
    changed: Mapped[int] = mapped_column(Integer, default=0)  # level changes vs the base run
    n_green: Mapped[int] = mapped_column(Integer, default=0)
    n_blue: Mapped[int] = mapped_column(Integer, default=0)
    n_yellow: Mapped[int] = mapped_column(Integer, default=0)
    n_red: Mapped[int] = mapped_column(Integer, default=0)
    n_black: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class RatingResultRow(Base):
    """One subject in one run: level, clause status letters, measures, fired evidence refs, and
    the designation letters.

    Designations are a column of this row, one letter per designation of the run
    (``rating_runs.designation_keys``: ``H`` held, ``X`` failed, ``U`` unknown), not a row per
    (run, subject, designation): a run of a million subjects is one bulk insert of these rows
    (its largest cost after the query), and a second table would add a second insert and index
    about as large for the subjects that hold one; a short string more in each row costs nothing
    measurable (bench/README.md). It stores every status, failed ones included, so a reader can
    tell "not held" from "not rated". Finding the holders of one designation reads the run's
    rows (``substr``), which only per-run reports need.

    On SQLite the table is ``WITHOUT ROWID``: the rows live in the primary key's own B-tree, so a
    run's bulk insert writes one B-tree instead of a table and its key index (1 M rows: ≈ 20 %
    less time, bench/README.md).
    """

    __tablename__ = "rating_results"
    __table_args__ = ({"sqlite_with_rowid": False},)

    run_id: Mapped[int] = mapped_column(
        ForeignKey("rating_runs.id", ondelete="CASCADE"), primary_key=True
    )
    subject_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(8))
    statuses: Mapped[str] = mapped_column(String(200))
    measures: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)
    designations: Mapped[str | None] = mapped_column(String(64))


class LevelChangeRow(Base):
    """A subject's level moving between consecutive complete runs of a policy (its history)."""

    __tablename__ = "level_changes"
    __table_args__ = (
        Index("ix_level_changes_subject_id_policy_key", "subject_id", "policy_key", "run_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("rating_runs.id", ondelete="CASCADE"), index=True
    )
    from_run_id: Mapped[int | None] = mapped_column(Integer)
    subject_id: Mapped[int] = mapped_column(Integer)
    policy_key: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[dt.date] = mapped_column(Date)
    from_level: Mapped[str | None] = mapped_column(String(8))
    to_level: Mapped[str | None] = mapped_column(String(8))
    cause: Mapped[str | None] = mapped_column(Text)  # JSON of runs.model.Cause

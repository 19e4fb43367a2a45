"""The headers of rating runs: written ``running``, finished or failed, and read — the current
run of a policy, a run, recent runs. Takes a Connection; never commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from utilcredit.policies.model.levels import Level
from utilcredit.rating.runs.model import RunHeader, RunKind, RunStatus
from utilcredit.rating.runs.tables import RatingRunRow


def as_aware(value: dt.datetime | None) -> dt.datetime | None:
    """A stored timestamp as an aware datetime: SQLite hands back naive UTC
    (CURRENT_TIMESTAMP), PostgreSQL aware datetimes."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def insert_run(connection: Connection, **values: Any) -> int:
    result = connection.execute(
        insert(RatingRunRow)
        .values(status=RunStatus.RUNNING.value, **values)
        .returning(RatingRunRow.id)
    )
    return int(result.scalar_one())


def update_run(connection: Connection, run_id: int, **values: Any) -> None:
    connection.execute(update(RatingRunRow).where(RatingRunRow.id == run_id).values(**values))


def finish_run(connection: Connection, run_id: int, **values: Any) -> None:
    # the clock's time, not the database's now(): PostgreSQL's is the transaction's start, and
    # a run's rows are written in one transaction that lasts as long as the run
    update_run(connection, run_id, finished_at=dt.datetime.now(dt.UTC), **values)


def current_run_id(connection: Connection, policy_key: str) -> int | None:
    """The latest complete run of the policy: what every reader sees as current."""
    return connection.execute(
        select(func.max(RatingRunRow.id)).where(
            RatingRunRow.policy_key == policy_key,
            RatingRunRow.status == RunStatus.COMPLETE.value,
        )
    ).scalar()


_RUNS = select(*RatingRunRow.__table__.columns)


def _header(row: Any) -> RunHeader:
    return RunHeader(
        id=row.id,
        kind=RunKind(row.kind),
        status=RunStatus(row.status),
        policy_key=row.policy_key,
        policy_version=row.policy_version,
        policy_sha256=row.policy_sha256,
        utility=row.utility,
        as_of=row.as_of,
        engine=row.engine,
        clause_ids=tuple(row.clause_ids),
        designation_keys=tuple(row.designation_keys or ()),
        base_run_id=row.base_run_id,
        watermark=as_aware(row.watermark),
        import_run_id=row.import_run_id,
        started_at=as_aware(row.started_at),
        finished_at=as_aware(row.finished_at),
        duration_ms=row.duration_ms,
        subjects=row.subjects or 0,
        rerated=row.rerated or 0,
        changed=row.changed or 0,
        level_counts={level.value: getattr(row, f"n_{level.value}") or 0 for level in Level},
        error=row.error,
    )


def current_runs(connection: Connection, utilities: Collection[str]) -> list[RunHeader]:
    """The current run (latest complete) of every policy of ``utilities`` that has one, by
    policy key."""
    latest = (
        select(func.max(RatingRunRow.id))
        .where(
            RatingRunRow.status == RunStatus.COMPLETE.value,
            RatingRunRow.utility.in_(sorted(utilities)),
        )
        .group_by(RatingRunRow.policy_key)
    )
    query = _RUNS.where(RatingRunRow.id.in_(latest)).order_by(RatingRunRow.policy_key)
    return [_header(row) for row in connection.execute(query)]


def get_run(connection: Connection, run_id: int) -> RunHeader | None:
    row = connection.execute(_RUNS.where(RatingRunRow.id == run_id)).first()
    return None if row is None else _header(row)


def current_run(connection: Connection, policy_key: str) -> RunHeader | None:
    """The header of the policy's current run (see :func:`current_run_id`)."""
    run_id = current_run_id(connection, policy_key)
    return None if run_id is None else get_run(connection, run_id)


def list_runs(
    connection: Connection, policy_key: str | None = None, limit: int = 50
) -> list[RunHeader]:
    query = _RUNS.order_by(RatingRunRow.id.desc()).limit(limit)
    if policy_key is not None:
        query = query.where(RatingRunRow.policy_key == policy_key)
    return [_header(row) for row in connection.execute(query)]

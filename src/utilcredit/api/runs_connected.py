"""The runs adapter's source over ``utilcredit.rating.runs`` (used when that package and its
tables exist; see :mod:`utilcredit.api.runs_adapter`). Reads only; maps its records to the
adapter's small types so the API and console do not depend on that package's internals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, bindparam, func, select

from utilcredit.api.runs_adapter import AreaCount, HistoryEntry, RunSummary, Transition
from utilcredit.customers.model import Utility
from utilcredit.customers.tables import SubjectRow
from utilcredit.rating.runs import repository as runs
from utilcredit.rating.runs.model import RunHeader
from utilcredit.rating.runs.tables import LevelChangeRow, RatingResultRow

SCAN_LIMIT = 1000  # runs looked at per page request (newest first)

# Built once: the live rating endpoint reads a subject's history on every request. The same
# rows as ``runs.level_history(code, policy_key)`` keeps, newest first (that function also
# decodes each change's cause, which the history does not show).
_HISTORY = (
    select(
        LevelChangeRow.run_id,
        LevelChangeRow.policy_key,
        LevelChangeRow.as_of,
        LevelChangeRow.to_level,
    )
    .join(SubjectRow, SubjectRow.id == LevelChangeRow.subject_id)
    .where(
        SubjectRow.code == bindparam("code"),
        LevelChangeRow.policy_key == bindparam("policy_key"),
        LevelChangeRow.to_level.is_not(None),
    )
    .order_by(LevelChangeRow.run_id.desc())
    .limit(bindparam("limit"))
)


def _summary(header: RunHeader) -> RunSummary:
    return RunSummary(
        id=header.id,
        policy_key=header.policy_key,
        policy_version=header.policy_version,
        as_of=header.as_of,
        started_at=header.started_at,
        status=str(header.status.value),
        subjects=header.subjects,
        utility=header.utility,
        level_counts=dict(header.level_counts),
    )


class RatingRunsSource:
    def list_runs(
        self, connection: Connection, utilities: frozenset[Utility], offset: int, limit: int
    ) -> list[RunSummary]:
        allowed = {u.value for u in utilities}
        headers = runs.list_runs(connection, limit=min(SCAN_LIMIT, offset + limit) * 2)
        visible = [_summary(h) for h in headers if h.utility in allowed]
        return visible[offset : offset + limit]

    def get_run(self, connection: Connection, run_id: int) -> RunSummary | None:
        header = runs.get_run(connection, run_id)
        return None if header is None else _summary(header)

    def area_counts(self, connection: Connection, run_id: int) -> list[AreaCount]:
        rows = connection.execute(
            select(SubjectRow.area, RatingResultRow.level, func.count())
            .join(SubjectRow, SubjectRow.id == RatingResultRow.subject_id)
            .where(RatingResultRow.run_id == run_id)
            .group_by(SubjectRow.area, RatingResultRow.level)
        )
        return [AreaCount(area, level, int(count)) for area, level, count in rows]

    def transitions(self, connection: Connection, run_id: int) -> list[Transition]:
        header = runs.get_run(connection, run_id)
        if header is None:
            return []
        earlier = [
            h.id
            for h in runs.list_runs(connection, header.policy_key, limit=50)
            if h.id < run_id and h.status.value == "done"
        ]
        previous = header.base_run_id or (max(earlier) if earlier else None)
        if previous is None:
            return []
        return [
            Transition(before, after, count)
            for (before, after), count in sorted(
                runs.transition_counts(connection, previous, run_id).items(),
                key=lambda item: (str(item[0][0]), str(item[0][1])),
            )
            if after is not None and before != after
        ]

    def history(
        self, connection: Connection, subject_code: str, policy_key: str, limit: int
    ) -> list[HistoryEntry]:
        rows = connection.execute(
            _HISTORY, {"code": subject_code, "policy_key": policy_key, "limit": limit}
        )
        return [
            HistoryEntry(
                run_id=row.run_id,
                policy_key=row.policy_key,
                as_of=row.as_of,
                level=row.to_level,
            )
            for row in rows
        ]

    def next_change(
        self, connection: Connection, subject_code: str, policy_key: str, as_of: dt.date
    ) -> dt.date | None:
        return None  # not offered by the runs package yet


def console_source() -> RatingRunsSource:
    return RatingRunsSource()

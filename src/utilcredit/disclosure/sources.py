"""What publishing reads of the internal tables: dishonesty records and commitments with their
subjects, only the columns the public rules need (:mod:`utilcredit.disclosure.model`).

Store-side like a repository, but kept apart from :mod:`~utilcredit.disclosure.repository` so
that the public site, which reads only the published view, cannot reach these tables even
indirectly (an import contract in ``pyproject.toml`` says so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import Connection, or_, select

from utilcredit.customers.tables import CommitmentRow, SubjectRow
from utilcredit.disclosure.model import (
    PUBLISHED_COMMITMENT_STATUSES,
    PUBLISHED_RECORD_STATUSES,
    CommitmentSource,
    RecordSource,
    Subject,
)
from utilcredit.records.tables import DishonestyRecordRow

_R = DishonestyRecordRow
_C = CommitmentRow
_S = SubjectRow
_CHUNK = 5_000


def records_public_on(connection: Connection, day: dt.date) -> Iterator[RecordSource]:
    """Records that may be public on ``day`` (the model decides each one)."""
    query = (
        select(
            _R.id,
            _R.utility,
            _S.kind,
            _S.code,
            _S.name,
            _R.kind.label("record_kind"),
            _R.record_class,
            _R.status,
            _R.policy_key,
            _R.rule_id,
            _R.rule_text,
            _R.determining_unit,
            _R.determining_unit_code,
            _R.determined_on,
            _R.publish_from,
            _R.publish_until,
            _R.publication_stopped_on,
        )
        .join(_S, _S.id == _R.subject_id)
        .where(
            _R.status.in_([str(s) for s in PUBLISHED_RECORD_STATUSES]),
            _R.publish_from <= day,
            _R.publish_until >= day,
            or_(_R.publication_stopped_on.is_(None), _R.publication_stopped_on > day),
        )
        .order_by(_R.id)
    )
    for row in connection.execute(query.execution_options(yield_per=_CHUNK)):
        yield RecordSource(
            id=row.id,
            utility=row.utility,
            subject=Subject(row.kind, row.code, row.name),
            kind=row.record_kind,
            record_class=row.record_class,
            status=row.status,
            policy_key=row.policy_key,
            rule_id=row.rule_id,
            rule_text=row.rule_text,
            determining_unit=row.determining_unit,
            determining_unit_code=row.determining_unit_code,
            determined_on=row.determined_on,
            publish_from=row.publish_from,
            publish_until=row.publish_until,
            publication_stopped_on=row.publication_stopped_on,
        )


def commitments_public_on(connection: Connection, day: dt.date) -> Iterator[CommitmentSource]:
    """Commitments marked for disclosure that may be public on ``day``."""
    query = (
        select(
            _C.code,
            _C.utility,
            _S.kind,
            _S.code.label("subject_code"),
            _S.name,
            _C.commitment_type,
            _C.reason,
            _C.made_on,
            _C.valid_until,
            _C.status,
            _C.status_on,
            _C.accepting_unit,
            _C.accepting_unit_code,
            _C.disclosure,
        )
        .join(_S, _S.id == _C.subject_id)
        .where(
            _C.disclosure == "public",
            _C.status.in_([str(s) for s in PUBLISHED_COMMITMENT_STATUSES]),
            _C.made_on <= day,
            or_(_C.valid_until.is_(None), _C.valid_until >= day),
        )
        .order_by(_C.id)
    )
    for row in connection.execute(query.execution_options(yield_per=_CHUNK)):
        yield CommitmentSource(
            code=row.code,
            utility=row.utility,
            subject=Subject(row.kind, row.subject_code, row.name),
            commitment_type=row.commitment_type,
            reason=row.reason,
            made_on=row.made_on,
            valid_until=row.valid_until,
            status=row.status,
            status_on=row.status_on,
            accepting_unit=row.accepting_unit,
            accepting_unit_code=row.accepting_unit_code,
            disclosure=row.disclosure,
        )

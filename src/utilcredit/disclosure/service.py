"""Publishing (公示): rebuild the published view from the register and the commitments.

``publish`` replaces every row of ``public_entries`` in the caller's transaction, so the site
sees either yesterday's view or today's, never half of one. It runs daily (``utilcredit
publish``, and the notice worker once a day) and after changes an operator wants public at
once; the public reads also filter by the entries' own periods, so an entry whose period ended
since the last rebuild is no longer shown even before the next one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection

from utilcredit.config import Settings
from utilcredit.disclosure import repository, sources
from utilcredit.disclosure.model import PublishedEntry, commitment_entry, record_entry
from utilcredit.identifiers import DEFAULT_MASKING, MaskingRule


@dataclass(frozen=True, slots=True)
class PublishReport:
    day: dt.date
    records: int
    commitments: int
    removed: int  # rows of the previous view

    @property
    def entries(self) -> int:
        return self.records + self.commitments


def masking_of(settings: Settings) -> MaskingRule:
    """The deployment's masking of ID numbers (``UTILCREDIT_MASK_KEEP_HEAD`` / ``_TAIL``)."""
    return MaskingRule(keep_head=settings.mask_keep_head, keep_tail=settings.mask_keep_tail)


def publish(
    connection: Connection,
    today: dt.date,
    *,
    rule: MaskingRule = DEFAULT_MASKING,
    now: dt.datetime | None = None,
) -> PublishReport:
    """Rebuild the published view as of ``today`` (never commits)."""
    at = now or dt.datetime.now(dt.UTC)
    removed = repository.clear(connection)
    records = repository.insert_entries(connection, _records(connection, today, rule), at)
    commitments = repository.insert_entries(connection, _commitments(connection, today, rule), at)
    return PublishReport(today, records, commitments, removed)


def _records(connection: Connection, day: dt.date, rule: MaskingRule) -> Iterator[PublishedEntry]:
    for source in list(sources.records_public_on(connection, day)):
        entry = record_entry(source, day, rule)
        if entry is not None:
            yield entry


def _commitments(
    connection: Connection, day: dt.date, rule: MaskingRule
) -> Iterator[PublishedEntry]:
    for source in list(sources.commitments_public_on(connection, day)):
        entry = commitment_entry(source, day, rule)
        if entry is not None:
            yield entry

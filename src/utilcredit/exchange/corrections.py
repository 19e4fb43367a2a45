"""Returned rows on their way back to the platform: ``open → corrected → resubmitted``
(``model.RETURNED_MACHINE``). A row is corrected when its source data changed after the batch
that carried it was read (a re-import) or by an audited edit (:func:`correct`, in
``submission.py``); an export then writes the corrected rows' current data and marks them
resubmitted in its batch. Used by ``service.export``; nothing here commits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import Connection

from utilcredit.audit import repository as audit
from utilcredit.exchange import tracking
from utilcredit.exchange.model import ReturnedStatus


def pick_up_reimports(
    connection: Connection,
    catalog: str,
    kind: str,
    *,
    actor: str,
    utilities: Collection[str],
    now: dt.datetime | None = None,
) -> int:
    """Mark corrected every open returned row of the kind whose source changed at or after
    the end of its batch's window — the data the platform saw is no longer the data held."""
    by_until: dict[dt.datetime, dict[str, list[int]]] = {}
    for row_id, key, until in tracking.open_returns_of_kind(connection, catalog, kind):
        by_until.setdefault(until, {}).setdefault(key, []).append(row_id)
    stamp = now or dt.datetime.now(dt.UTC)
    moved = 0
    for until, keys in by_until.items():
        changed = tracking.changed_since(connection, list(keys), until)
        ids = [row_id for key in changed for row_id in keys[key]]
        if not ids:
            continue
        moved += tracking.set_returned_status(
            connection,
            ids,
            ReturnedStatus.OPEN,
            ReturnedStatus.CORRECTED,
            corrected_by=actor,
            corrected_at=stamp,
            correction={"how": "reimport", "note": "来源数据已重新导入 / source data re-imported"},
        )
    if moved:
        audit.record(
            connection,
            actor=actor,
            action="exchange.corrected_by_reimport",
            entity="exchange_kind",
            entity_key=f"{catalog}:{kind}",
            detail={"rows": moved},
            utilities=utilities,
        )
    return moved


def mark_resubmitted(
    connection: Connection,
    corrected: dict[str, list[int]],
    written: Collection[str],
    batch_id: int,
) -> int:
    """The corrected rows whose source went out again in ``batch_id``."""
    ids = [row_id for key in written for row_id in corrected.get(key, ())]
    if not ids:
        return 0
    return tracking.set_returned_status(
        connection,
        ids,
        ReturnedStatus.CORRECTED,
        ReturnedStatus.RESUBMITTED,
        resubmitted_in=batch_id,
    )

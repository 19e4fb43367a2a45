"""How every notice moves: each step goes through one function (:func:`move`, or
:func:`move_claimed` for a worker's claimed notices), which the workflow's machine allows or
refuses, writes with a compare-and-set and keeps as an attempt row (and an audit entry when an
operator took it). A demand that reached its customer is kept as a reminder of the credit file
(:func:`write_reminders`). The dispatcher, the operators' acts and print batches all move
notices through here. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from utilcredit.audit import repository as audit
from utilcredit.notices import queue
from utilcredit.notices.model import NOTICE_MACHINE, NoticeKind, NoticeStatus
from utilcredit.notices.planning import local_day
from utilcredit.notices.repository import NoticeLine


def move(
    connection: Connection,
    notices: Sequence[NoticeLine] | Sequence[tuple[int, str]],
    action: str,
    *,
    actor: str,
    now: dt.datetime,
    values: Mapping[str, Any] | None = None,
    detail: str | None = None,
    claim_token: str | None = None,
    audited: bool = False,
) -> list[int]:
    """Take ``action`` on notices: the machine allows it from their status or refuses it
    (nothing changes then), the new status is written with a compare-and-set, and each step
    is kept as an attempt row (and an audit entry when an operator took it). Returns the ids
    that moved; one that moved meanwhile is left out (a conflict for a single notice)."""
    by_status: dict[str, list[int]] = {}
    utilities: dict[int, str] = {}
    for notice in notices:
        notice_id, status = (notice.id, notice.status) if isinstance(notice, NoticeLine) else notice
        by_status.setdefault(status, []).append(notice_id)
        if isinstance(notice, NoticeLine):
            utilities[notice.id] = notice.utility
    moved: list[int] = []
    attempts: list[dict[str, Any]] = []
    for status, ids in by_status.items():
        target = NOTICE_MACHINE.target(NOTICE_MACHINE.state(status), action)
        done = queue.set_status(
            connection,
            ids,
            expected=status,
            values={"status": target.value, "updated_at": now, **(values or {})},
            claim_token=claim_token,
        )
        moved += done
        attempts += [
            {
                "notice_id": notice_id,
                "action": action,
                "from_status": status,
                "to_status": target.value,
                "at": now,
                "actor": actor,
                "detail": detail,
                "provider_ref": None,
            }
            for notice_id in done
        ]
    queue.insert_attempts(connection, attempts)
    if audited and moved:
        audit.record_many(
            connection,
            [
                {
                    "actor": actor,
                    "action": f"notice_{action}",
                    "entity": "notice",
                    "entity_key": str(notice_id),
                    "reason": detail,
                    "detail": {"action": action},
                    "utilities": [utilities.get(notice_id, "")] if notice_id in utilities else [],
                }
                for notice_id in moved
            ],
        )
    return moved


@dataclass(frozen=True, slots=True)
class Step:
    """One claimed notice's step, with its own values (a provider's reference, an error)."""

    notice_id: int
    values: Mapping[str, Any]
    detail: str | None = None
    provider_ref: str | None = None


def move_claimed(
    connection: Connection,
    steps: Sequence[Step],
    action: str,
    *,
    actor: str,
    now: dt.datetime,
    claim_token: str,
) -> list[int]:
    """:func:`move` for a worker's claimed notices, each with values of its own, in a few
    statements whatever their number: the machine allows ``action`` from ``sending`` or
    refuses it, only the notices still under ``claim_token`` move, each step is kept."""
    source = NoticeStatus.SENDING
    target = NOTICE_MACHINE.target(source, action)
    held = queue.still_claimed(connection, [s.notice_id for s in steps], claim_token)
    mine = [s for s in steps if s.notice_id in held]
    queue.move_claimed(
        connection,
        [
            {"b_id": s.notice_id, "status": target.value, "updated_at": now, **s.values}
            for s in mine
        ],
        claim_token,
    )
    queue.insert_attempts(
        connection,
        [
            {
                "notice_id": s.notice_id,
                "action": action,
                "from_status": source.value,
                "to_status": target.value,
                "at": now,
                "actor": actor,
                "detail": s.detail,
                "provider_ref": s.provider_ref,
            }
            for s in mine
        ],
    )
    return [s.notice_id for s in mine]


def write_reminders(
    connection: Connection, notices: Sequence[NoticeLine], now: dt.datetime
) -> None:
    """Demands that reached the customer, as reminders (催告) of the credit file: the records'
    derivation counts "still unpaid N months after a demand" from them."""
    demands = [
        n
        for n in notices
        if n.kind == NoticeKind.DEMAND.value and n.account_id and n.reminder_id is None
    ]
    if not demands:
        return
    numbers = [n.variables.get("notice_no") or f"N{n.id}" for n in demands]
    rows = [
        {
            "reminder_no": number,
            "account_id": n.account_id,
            "sent_on": local_day(now),
            "channel": n.channel,
            "created_at": now,
            "updated_at": now,
        }
        for n, number in zip(demands, numbers, strict=True)
    ]
    ids = queue.insert_reminders(connection, rows)
    queue.set_each(
        connection,
        [
            {"b_id": n.id, "reminder_id": ids[number]}
            for n, number in zip(demands, numbers, strict=True)
        ],
    )

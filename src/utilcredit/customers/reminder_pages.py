"""The credit file's reminders (催告) page: the payment demands imported with the file, newest
first, paged like its bills, payments and incidents (``pages.py``). Queries only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, select

from utilcredit.customers.model import Utility
from utilcredit.customers.pages import visible_account_ids
from utilcredit.customers.tables import AccountRow, ReminderRow
from utilcredit.paging import Page, page_of


@dataclass(frozen=True, slots=True)
class ReminderPageLine:
    reminder_no: str
    account_no: str
    utility: str
    sent_on: dt.date
    channel: str | None


def reminders_page(
    connection: Connection,
    subject_id: int,
    utilities: Collection[Utility],
    *,
    offset: int,
    limit: int,
) -> Page[ReminderPageLine]:
    """The subject's reminders on its accounts of ``utilities``, newest first."""
    rows = connection.execute(
        select(
            ReminderRow.reminder_no,
            AccountRow.account_no,
            AccountRow.utility,
            ReminderRow.sent_on,
            ReminderRow.channel,
        )
        .join(AccountRow, AccountRow.id == ReminderRow.account_id)
        .where(ReminderRow.account_id.in_(visible_account_ids(subject_id, utilities)))
        .order_by(ReminderRow.sent_on.desc(), ReminderRow.id.desc())
        .offset(offset)
        .limit(limit + 1)
    )
    return page_of([ReminderPageLine(*row) for row in rows], offset, limit)

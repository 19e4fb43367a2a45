"""One subject looked up by id or code: its name (id, code, kind, reference), its card, its
detail, and its accounts with a utility. Queries only; nothing here commits."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, select

from utilcredit.customers.columns import SUBJECT_BY_CODE, SUBJECT_COLUMNS, subject_record
from utilcredit.customers.model import Subject, SubjectDetail
from utilcredit.customers.tables import AccountRow, SubjectRow
from utilcredit.identifiers import subject_ref


@dataclass(frozen=True, slots=True)
class SubjectName:
    id: int
    code: str
    kind: str

    @property
    def ref(self) -> str:
        return subject_ref(self.id, self.code, self.kind)


_SUBJECT_NAME = select(SubjectRow.id, SubjectRow.code, SubjectRow.kind)


def subject_by_id(connection: Connection, subject_id: int) -> SubjectName | None:
    row = connection.execute(_SUBJECT_NAME.where(SubjectRow.id == subject_id)).one_or_none()
    return None if row is None else SubjectName(row.id, row.code, row.kind)


def subject_by_code(connection: Connection, code: str) -> SubjectName | None:
    row = connection.execute(_SUBJECT_NAME.where(SubjectRow.code == code)).one_or_none()
    return None if row is None else SubjectName(row.id, row.code, row.kind)


def subjects_by_codes(connection: Connection, codes: Collection[str]) -> dict[str, SubjectName]:
    wanted = sorted(set(codes))
    found: dict[str, SubjectName] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        for row in connection.execute(_SUBJECT_NAME.where(SubjectRow.code.in_(chunk))):
            found[row.code] = SubjectName(row.id, row.code, row.kind)
    return found


def subject_card_of(connection: Connection, code: str) -> Subject | None:
    row = connection.execute(SUBJECT_BY_CODE, {"code": code}).first()
    return None if row is None else subject_record(row)


def subject_detail(connection: Connection, subject_id: int) -> SubjectDetail:
    row = connection.execute(select(*SUBJECT_COLUMNS).where(SubjectRow.id == subject_id)).one()
    return SubjectDetail(*row)


def account_ids_of(connection: Connection, subject_id: int, utility: str) -> dict[str, int]:
    """The subject's accounts with the utility: account_no → id."""
    rows = connection.execute(
        select(AccountRow.account_no, AccountRow.id).where(
            AccountRow.subject_id == subject_id, AccountRow.utility == utility
        )
    )
    return {row.account_no: row.id for row in rows}

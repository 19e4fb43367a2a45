"""Tenancy checks against the store: which subjects a principal may see (queries only)."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, select

from utilcredit.access.model import AccessDeniedError, NotVisibleError, Principal, Role
from utilcredit.customers.model import Utility
from utilcredit.customers.tables import AccountRow, SubjectRow
from utilcredit.errors import NotFoundError

_SUBJECT_UTILITIES = (
    select(SubjectRow.id, AccountRow.utility)
    .outerjoin(AccountRow, AccountRow.subject_id == SubjectRow.id)
    .where(SubjectRow.code == bindparam("code"))
)


def subject_utilities(connection: Connection, code: str) -> tuple[int, frozenset[Utility]] | None:
    """The subject's id and the utilities it has accounts with, or ``None`` if unknown."""
    rows = list(connection.execute(_SUBJECT_UTILITIES, {"code": code}))
    if not rows:
        return None
    return rows[0].id, frozenset(Utility(row.utility) for row in rows if row.utility)


def visible_subject(
    connection: Connection, principal: Principal, code: str
) -> tuple[int, frozenset[Utility]]:
    """The subject's id and the utilities through which the principal sees it.

    Unknown → :class:`NotFoundError`; known but outside the principal's utilities →
    :class:`NotVisibleError` (also a 404, but audited as a denied access).
    """
    found = subject_utilities(connection, code)
    if found is None:
        raise NotFoundError(f"没有该主体：{code} / no subject with code {code}")
    subject_id, utilities = found
    shared = utilities & principal.readable_utilities
    if not shared:
        raise NotVisibleError(
            f"没有该主体：{code} / no subject with code {code}", entity="subject", entity_key=code
        )
    return subject_id, shared


def require_utility_read(
    principal: Principal, utility: Utility, *, entity: str, key: str | None
) -> None:
    if not principal.may_read_utility(utility):
        raise AccessDeniedError(
            f"无权查看{utility.value}业务数据 / no access to {utility.value} data",
            entity=entity,
            entity_key=key,
        )


def require_utility_write(
    principal: Principal, utility: Utility, *, entity: str, key: str | None
) -> None:
    if not principal.may_write_utility(utility):
        raise AccessDeniedError(
            f"无权修改{utility.value}业务数据 / no write access to {utility.value} data",
            entity=entity,
            entity_key=key,
        )


def spans_every_utility(utilities: frozenset[Utility]) -> bool:
    return utilities >= frozenset(Utility)


def import_scope(principal: Principal) -> frozenset[Utility] | None:
    """The utilities an import by ``principal`` may write, or ``None`` for every utility.

    Writes only ever within the principal's own memberships (:meth:`Principal.may_write_utility`),
    so an import never updates or extends another utility's customers.
    """
    writable = frozenset(u for u in Utility if principal.may_write_utility(u))
    return None if spans_every_utility(writable) else writable


def import_runs_scope(principal: Principal) -> frozenset[Utility] | None:
    """Whose import runs ``principal`` may read: runs of any utility they read, or ``None``
    (every run, including those of unknown scope) for a reader of every utility."""
    readable = principal.readable_utilities
    return None if spans_every_utility(readable) else readable


def may_read_upload_of(principal: Principal, user_id: int, username: str) -> bool:
    """An upload's reject report: its uploader, or an administrator of every utility."""
    if principal.user_id == user_id and principal.username == username:
        return True
    return Role.ADMIN in principal.roles and spans_every_utility(principal.utilities)

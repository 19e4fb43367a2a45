"""Every query on users, roles, memberships, sessions and tokens."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Connection, DateTime, bindparam, delete, func, insert, select, update

from utilcredit.access.model import Principal, Role
from utilcredit.access.tables import (
    ApiTokenRow,
    SessionRow,
    UserRoleRow,
    UserRow,
    UserUtilityRow,
)
from utilcredit.customers.model import Utility


def user_id_by_name(connection: Connection, username: str) -> int | None:
    return connection.execute(
        select(UserRow.id).where(UserRow.username == username)
    ).scalar_one_or_none()


def password_hash_of(connection: Connection, username: str) -> tuple[int, str] | None:
    row = connection.execute(
        select(UserRow.id, UserRow.password_hash).where(
            UserRow.username == username, UserRow.is_active.is_(True)
        )
    ).one_or_none()
    return None if row is None else (row.id, row.password_hash)


def set_password_hash(connection: Connection, user_id: int, password_hash: str) -> None:
    connection.execute(
        update(UserRow).where(UserRow.id == user_id).values(password_hash=password_hash)
    )


def insert_user(
    connection: Connection,
    *,
    username: str,
    display_name: str,
    password_hash: str,
    roles: Iterable[Role],
    utilities: Iterable[Utility],
) -> int:
    user_id = int(
        connection.execute(
            insert(UserRow)
            .values(
                username=username,
                display_name=display_name,
                password_hash=password_hash,
                is_active=True,
            )
            .returning(UserRow.id)
        ).scalar_one()
    )
    connection.execute(
        insert(UserRoleRow), [{"user_id": user_id, "role": r.value} for r in sorted(roles)]
    )
    connection.execute(
        insert(UserUtilityRow),
        [{"user_id": user_id, "utility": u.value} for u in sorted(utilities)],
    )
    return user_id


def principals(connection: Connection, user_ids: Iterable[int] | None = None) -> list[Principal]:
    """Active users as principals (all of them, or those given), by user name."""
    users_query = select(UserRow.id, UserRow.username, UserRow.display_name).where(
        UserRow.is_active.is_(True)
    )
    ids = list(user_ids) if user_ids is not None else None
    if ids is not None:
        users_query = users_query.where(UserRow.id.in_(ids))
    users = list(connection.execute(users_query.order_by(UserRow.username)))
    found = [row.id for row in users]
    if not found:
        return []
    roles: dict[int, set[Role]] = defaultdict(set)
    for user_id, role in connection.execute(
        select(UserRoleRow.user_id, UserRoleRow.role).where(UserRoleRow.user_id.in_(found))
    ):
        roles[user_id].add(Role(role))
    utilities: dict[int, set[Utility]] = defaultdict(set)
    for user_id, utility in connection.execute(
        select(UserUtilityRow.user_id, UserUtilityRow.utility).where(
            UserUtilityRow.user_id.in_(found)
        )
    ):
        utilities[user_id].add(Utility(utility))
    return [
        Principal(
            user_id=row.id,
            username=row.username,
            display_name=row.display_name,
            roles=frozenset(roles[row.id]),
            utilities=frozenset(utilities[row.id]),
        )
        for row in users
    ]


def insert_session(
    connection: Connection,
    *,
    token_hash: str,
    user_id: int,
    csrf_token: str,
    expires_at: dt.datetime,
) -> None:
    connection.execute(
        insert(SessionRow).values(
            token_hash=token_hash, user_id=user_id, csrf_token=csrf_token, expires_at=expires_at
        )
    )


def session_of(connection: Connection, token_hash: str, now: dt.datetime) -> tuple[int, str] | None:
    row = connection.execute(
        select(SessionRow.user_id, SessionRow.csrf_token).where(
            SessionRow.token_hash == token_hash, SessionRow.expires_at > now
        )
    ).one_or_none()
    return None if row is None else (row.user_id, row.csrf_token)


def delete_session(connection: Connection, token_hash: str) -> None:
    connection.execute(delete(SessionRow).where(SessionRow.token_hash == token_hash))


def delete_expired_sessions(connection: Connection, now: dt.datetime) -> int:
    return connection.execute(delete(SessionRow).where(SessionRow.expires_at <= now)).rowcount


def insert_token(
    connection: Connection, *, token_hash: str, user_id: int, name: str, expires_at: dt.datetime
) -> int:
    return int(
        connection.execute(
            insert(ApiTokenRow)
            .values(
                token_hash=token_hash,
                user_id=user_id,
                name=name,
                expires_at=expires_at,
                revoked=False,
            )
            .returning(ApiTokenRow.id)
        ).scalar_one()
    )


# Built once: this runs on every API request (statement construction costs more than the query).
_PRINCIPAL_BY_TOKEN = (
    select(
        UserRow.id,
        UserRow.username,
        UserRow.display_name,
        UserRoleRow.role,
        UserUtilityRow.utility,
    )
    .join(ApiTokenRow, ApiTokenRow.user_id == UserRow.id)
    .join(UserRoleRow, UserRoleRow.user_id == UserRow.id)
    .join(UserUtilityRow, UserUtilityRow.user_id == UserRow.id)
    .where(
        ApiTokenRow.token_hash == bindparam("token_hash"),
        ApiTokenRow.revoked.is_(False),
        ApiTokenRow.expires_at > bindparam("now", type_=DateTime(timezone=True)),
        UserRow.is_active.is_(True),
    )
)


def principal_by_token(
    connection: Connection, token_hash: str, now: dt.datetime
) -> Principal | None:
    """The active user holding a live API token, with roles and utilities, in one query."""
    rows = list(connection.execute(_PRINCIPAL_BY_TOKEN, {"token_hash": token_hash, "now": now}))
    if not rows:
        return None
    first = rows[0]
    return Principal(
        user_id=first.id,
        username=first.username,
        display_name=first.display_name,
        roles=frozenset(Role(row.role) for row in rows),
        utilities=frozenset(Utility(row.utility) for row in rows),
    )


def revoke_token(connection: Connection, token_hash: str) -> bool:
    result = connection.execute(
        update(ApiTokenRow).where(ApiTokenRow.token_hash == token_hash).values(revoked=True)
    )
    return result.rowcount > 0


def count_users(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(UserRow)).scalar_one())

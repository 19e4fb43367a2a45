"""Every query on users, roles, memberships, sessions, tokens and login throttles."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import (
    Connection,
    DateTime,
    Select,
    bindparam,
    case,
    delete,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from utilcredit.access.model import Principal, Role, ThrottlePolicy, ThrottleScope
from utilcredit.access.tables import (
    ApiTokenRow,
    LoginThrottleRow,
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


@dataclass(frozen=True, slots=True)
class UserAccount:
    """A user as administrators see it: the principal, and whether it may log in."""

    principal: Principal
    active: bool


def _accounts(
    connection: Connection, users_query: Select[int, str, str, bool]
) -> list[UserAccount]:
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
        UserAccount(
            Principal(
                user_id=row.id,
                username=row.username,
                display_name=row.display_name,
                roles=frozenset(roles[row.id]),
                utilities=frozenset(utilities[row.id]),
            ),
            active=bool(row.is_active),
        )
        for row in users
    ]


_USERS = select(UserRow.id, UserRow.username, UserRow.display_name, UserRow.is_active)


def principals(connection: Connection, user_ids: Iterable[int] | None = None) -> list[Principal]:
    """Active users as principals (all of them, or those given), by user name."""
    query = _USERS.where(UserRow.is_active.is_(True))
    if user_ids is not None:
        query = query.where(UserRow.id.in_(list(user_ids)))
    return [account.principal for account in _accounts(connection, query)]


def accounts(connection: Connection) -> list[UserAccount]:
    """Every user, active or disabled, by user name."""
    return _accounts(connection, _USERS)


def account_by_name(connection: Connection, username: str) -> UserAccount | None:
    found = _accounts(connection, _USERS.where(UserRow.username == username))
    return found[0] if found else None


def users_utilities(connection: Connection, usernames: Iterable[str]) -> frozenset[Utility]:
    """The memberships of these users (unknown names contribute nothing)."""
    names = sorted({name for name in usernames if name})
    if not names:
        return frozenset()
    rows = connection.execute(
        select(UserUtilityRow.utility)
        .join(UserRow, UserRow.id == UserUtilityRow.user_id)
        .where(UserRow.username.in_(names))
        .distinct()
    )
    return frozenset(Utility(value) for value in rows.scalars())


def set_active(connection: Connection, user_id: int, active: bool) -> None:
    connection.execute(update(UserRow).where(UserRow.id == user_id).values(is_active=active))


def set_grants(
    connection: Connection, user_id: int, roles: Iterable[Role], utilities: Iterable[Utility]
) -> None:
    """Replace the user's roles and utility memberships."""
    connection.execute(delete(UserRoleRow).where(UserRoleRow.user_id == user_id))
    connection.execute(delete(UserUtilityRow).where(UserUtilityRow.user_id == user_id))
    connection.execute(
        insert(UserRoleRow), [{"user_id": user_id, "role": r.value} for r in sorted(roles)]
    )
    connection.execute(
        insert(UserUtilityRow),
        [{"user_id": user_id, "utility": u.value} for u in sorted(utilities)],
    )


def end_sessions_and_tokens(connection: Connection, user_id: int) -> tuple[int, int]:
    """Delete the user's console sessions and revoke its API tokens; return both counts."""
    sessions = connection.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
    tokens = connection.execute(
        update(ApiTokenRow)
        .where(ApiTokenRow.user_id == user_id, ApiTokenRow.revoked.is_(False))
        .values(revoked=True)
    )
    return sessions.rowcount, tokens.rowcount


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


# ---- login throttles -------------------------------------------------------------------------


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def locked_until(
    connection: Connection, keys: Iterable[tuple[ThrottleScope, str]], now: dt.datetime
) -> dict[tuple[ThrottleScope, str], dt.datetime]:
    """The lockouts in force among ``keys``: (scope, key) → end of the lockout."""
    wanted = list(keys)
    if not wanted:
        return {}
    found: dict[tuple[ThrottleScope, str], dt.datetime] = {}
    for scope in {scope for scope, _ in wanted}:
        names = [key for s, key in wanted if s is scope]
        rows = connection.execute(
            select(LoginThrottleRow.key, LoginThrottleRow.locked_until).where(
                LoginThrottleRow.scope == scope.value,
                LoginThrottleRow.key.in_(names),
                LoginThrottleRow.locked_until > now,
            )
        )
        for key, until in rows:
            if until is not None:
                found[(scope, key)] = _utc(until)
    return found


def record_failure(
    connection: Connection,
    scope: ThrottleScope,
    key: str,
    now: dt.datetime,
    policy: ThrottlePolicy,
) -> tuple[int, dt.datetime | None]:
    """Count one failed login for ``key`` in one atomic upsert (safe across processes): a new
    window starts when the last one is over, and reaching the limit sets the lockout. Return
    the failures in the window and the lockout's end (``None`` when not locked)."""
    window_over = LoginThrottleRow.window_started_at <= now - policy.window
    failures = case((window_over, 1), else_=LoginThrottleRow.failures + 1)
    limit = policy.limit(scope)
    lock_end = now + policy.lockout
    expires = now + max(policy.window, policy.lockout)
    values = {
        "scope": scope.value,
        "key": key,
        "failures": 1,
        "window_started_at": now,
        "locked_until": lock_end if limit <= 1 else None,
        "expires_at": expires,
    }
    updates = {
        "failures": failures,
        "window_started_at": case((window_over, now), else_=LoginThrottleRow.window_started_at),
        "locked_until": case((failures >= limit, lock_end), else_=LoginThrottleRow.locked_until),
        "expires_at": expires,
    }
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    statement = (
        dialect.insert(LoginThrottleRow)
        .values(values)
        .on_conflict_do_update(index_elements=["scope", "key"], set_=updates)
        .returning(LoginThrottleRow.failures, LoginThrottleRow.locked_until)
    )
    row = connection.execute(statement).one()
    until = _utc(row.locked_until) if row.locked_until is not None else None
    return int(row.failures), until if until is not None and until > now else None


def clear_throttle(
    connection: Connection, scope: ThrottleScope, key: str, now: dt.datetime
) -> dt.datetime | None:
    """Forget the failures of ``key``; return the lockout that was in force, if any."""
    row = connection.execute(
        delete(LoginThrottleRow)
        .where(LoginThrottleRow.scope == scope.value, LoginThrottleRow.key == key)
        .returning(LoginThrottleRow.locked_until)
    ).one_or_none()
    if row is None or row.locked_until is None:
        return None
    until = _utc(row.locked_until)
    return until if until > now else None


def prune_throttles(connection: Connection, now: dt.datetime, batch: int = 100) -> int:
    """Delete rows whose window and lockout are over. Rows another transaction holds are
    skipped (PostgreSQL ``SKIP LOCKED``), so pruning never waits and never deadlocks."""
    stale = (
        select(LoginThrottleRow.scope, LoginThrottleRow.key)
        .where(LoginThrottleRow.expires_at <= now)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    pairs = [(row.scope, row.key) for row in connection.execute(stale)]
    if not pairs:
        return 0
    return connection.execute(
        delete(LoginThrottleRow).where(
            tuple_(LoginThrottleRow.scope, LoginThrottleRow.key).in_(pairs),
            LoginThrottleRow.expires_at <= now,
        )
    ).rowcount

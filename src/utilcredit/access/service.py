"""Access use cases: users, login, sessions, API tokens, CSRF. Nothing here commits."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection

from utilcredit.access import repository
from utilcredit.access.model import (
    AccessDeniedError,
    Permission,
    Principal,
    Role,
    check_password_strength,
    require,
)
from utilcredit.access.passwords import hash_password, needs_rehash, verify_password
from utilcredit.audit import repository as audit
from utilcredit.customers.model import Utility
from utilcredit.errors import InvalidInputError

SESSION_TTL = dt.timedelta(hours=8)
TOKEN_TTL = dt.timedelta(days=30)
TOKEN_PREFIX = "uc_"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class SessionTokens:
    token: str  # goes into the cookie; only its hash is stored
    csrf_token: str


def create_user(
    connection: Connection,
    *,
    username: str,
    display_name: str | None,
    password: str,
    roles: frozenset[Role],
    utilities: frozenset[Utility],
    actor: str,
) -> int:
    username = username.strip()
    if not username or len(username) > 64:
        raise InvalidInputError("用户名无效 / invalid user name")
    try:
        check_password_strength(password)
    except ValueError as error:
        raise InvalidInputError(str(error)) from None
    if repository.user_id_by_name(connection, username) is not None:
        raise InvalidInputError(f"用户已存在：{username} / user {username} already exists")
    user_id = repository.insert_user(
        connection,
        username=username,
        display_name=(display_name or username).strip(),
        password_hash=hash_password(password),
        roles=roles,
        utilities=utilities,
    )
    audit.record(
        connection,
        actor=actor,
        action="user_create",
        entity="user",
        entity_key=username,
        detail={"roles": sorted(roles), "utilities": sorted(utilities)},
    )
    return user_id


def create_user_as(
    connection: Connection,
    principal: Principal,
    *,
    username: str,
    display_name: str | None,
    password: str,
    roles: frozenset[Role],
    utilities: frozenset[Utility],
) -> int:
    """An administrator adds a user; only to utilities the administrator belongs to."""
    require(principal, Permission.MANAGE_USERS, entity="user")
    outside = utilities - principal.utilities
    if outside:
        raise AccessDeniedError(
            "不能为非本单位添加用户 / cannot add users to utilities you do not belong to: "
            + ", ".join(sorted(outside)),
            entity="user",
            entity_key=username,
        )
    return create_user(
        connection,
        username=username,
        display_name=display_name,
        password=password,
        roles=roles,
        utilities=utilities,
        actor=principal.username,
    )


def list_users(connection: Connection) -> list[Principal]:
    return repository.principals(connection)


def principal_of(connection: Connection, user_id: int) -> Principal | None:
    found = repository.principals(connection, [user_id])
    return found[0] if found else None


def authenticate(connection: Connection, username: str, password: str) -> Principal | None:
    """The user if the password is right (rehashing an outdated hash), else ``None``.

    Every attempt is audited, successful or not.
    """
    stored = repository.password_hash_of(connection, username.strip())
    ok = verify_password(stored[1] if stored else None, password)
    audit.record(
        connection,
        actor=username.strip()[:100] or "?",
        action="login" if ok else "login_failed",
        entity="user",
        entity_key=username.strip()[:200],
    )
    if not ok or stored is None:
        return None
    user_id, current_hash = stored
    if needs_rehash(current_hash):
        repository.set_password_hash(connection, user_id, hash_password(password))
    return principal_of(connection, user_id)


def start_session(connection: Connection, principal: Principal) -> SessionTokens:
    tokens = SessionTokens(token=secrets.token_urlsafe(32), csrf_token=secrets.token_urlsafe(32))
    now = utc_now()
    repository.delete_expired_sessions(connection, now)
    repository.insert_session(
        connection,
        token_hash=token_hash(tokens.token),
        user_id=principal.user_id,
        csrf_token=tokens.csrf_token,
        expires_at=now + SESSION_TTL,
    )
    return tokens


def session_principal(connection: Connection, token: str) -> tuple[Principal, str] | None:
    """The user of a console session and the session's CSRF token, if the session is live."""
    found = repository.session_of(connection, token_hash(token), utc_now())
    if found is None:
        return None
    principal = principal_of(connection, found[0])
    return None if principal is None else (principal, found[1])


def end_session(connection: Connection, token: str) -> None:
    repository.delete_session(connection, token_hash(token))


def issue_token(connection: Connection, principal: Principal, name: str = "api") -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    repository.insert_token(
        connection,
        token_hash=token_hash(token),
        user_id=principal.user_id,
        name=name[:100],
        expires_at=utc_now() + TOKEN_TTL,
    )
    audit.record(
        connection,
        actor=principal.username,
        action="token_issue",
        entity="api_token",
        entity_key=name[:200],
    )
    return token


def token_principal(connection: Connection, token: str) -> Principal | None:
    return repository.principal_by_token(connection, token_hash(token), utc_now())


def revoke_token(connection: Connection, principal: Principal, token: str) -> bool:
    revoked = repository.revoke_token(connection, token_hash(token))
    if revoked:
        audit.record(
            connection, actor=principal.username, action="token_revoke", entity="api_token"
        )
    return revoked


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())

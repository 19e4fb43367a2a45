"""Access use cases: users, login, sessions, API tokens, CSRF. Nothing here commits."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection

from utilcredit.access import audit_trail, repository
from utilcredit.access.model import (
    AccessDeniedError,
    LoginThrottledError,
    NotVisibleError,
    Permission,
    Principal,
    Role,
    ThrottlePolicy,
    ThrottleScope,
    check_password_strength,
    manages,
    password_context,
    require,
    require_grant,
    retry_after_seconds,
)
from utilcredit.access.passwords import hash_password, needs_rehash, verify_password
from utilcredit.access.repository import UserAccount
from utilcredit.customers.model import Utility
from utilcredit.errors import InvalidInputError, NotFoundError

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


def _require_password(password: str, username: str, display_name: str | None) -> None:
    check_password_strength(password, password_context(username, display_name))


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
    """Add a user (no reach check: the CLI, run on the server, may create any role)."""
    username = username.strip()
    if not username or len(username) > 64:
        raise InvalidInputError("用户名无效 / invalid user name")
    _require_password(password, username, display_name)
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
    audit_trail.record(
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
    """An administrator adds a user: only roles it may grant (none that reaches every
    utility), only to utilities it belongs to."""
    require_grant(principal, roles, utilities, username)
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
    """Active users (the CLI and set-up code); administrators see :func:`users_of`."""
    return repository.principals(connection)


@dataclass(frozen=True, slots=True)
class ManagedUser:
    """A user as an administrator sees it: principal, active or disabled, any lockout."""

    principal: Principal
    active: bool
    locked_until: dt.datetime | None


def _managed(connection: Connection, found: list[UserAccount]) -> list[ManagedUser]:
    locks = repository.locked_until(
        connection, [(ThrottleScope.USER, a.principal.username) for a in found], utc_now()
    )
    return [
        ManagedUser(a.principal, a.active, locks.get((ThrottleScope.USER, a.principal.username)))
        for a in found
    ]


def all_users(connection: Connection) -> list[ManagedUser]:
    """Every user, disabled ones included (the CLI, on the server)."""
    return _managed(connection, repository.accounts(connection))


def users_of(connection: Connection, principal: Principal) -> list[ManagedUser]:
    """The users an administrator manages: those it could have created (roles it may grant,
    utilities it belongs to). Others, such as the credit office, are managed on the server."""
    require(principal, Permission.MANAGE_USERS, entity="user")
    found = [
        a
        for a in repository.accounts(connection)
        if manages(principal, a.principal.roles, a.principal.utilities)
    ]
    return _managed(connection, found)


def managed_user(connection: Connection, username: str) -> ManagedUser:
    account = repository.account_by_name(connection, username)
    if account is None:
        raise NotFoundError(f"没有该用户：{username} / no user {username}")
    return _managed(connection, [account])[0]


def _account(connection: Connection, username: str) -> UserAccount:
    account = repository.account_by_name(connection, username)
    if account is None:
        raise NotFoundError(f"没有该用户：{username} / no user {username}")
    return account


def _account_within_reach(
    connection: Connection, principal: Principal, username: str, *, self_allowed: bool
) -> UserAccount:
    """The user ``principal`` manages; others are answered 404 (audited, existence hidden)."""
    require(principal, Permission.MANAGE_USERS, entity="user")
    account = repository.account_by_name(connection, username)
    if account is None or not manages(
        principal, account.principal.roles, account.principal.utilities
    ):
        raise NotVisibleError(
            f"没有该用户：{username} / no user {username}", entity="user", entity_key=username
        )
    if not self_allowed and account.principal.user_id == principal.user_id:
        raise AccessDeniedError(
            "不能对自己执行此操作（请另一位管理员或在服务器上用 utilcredit user 命令） / "
            "not on yourself: ask another administrator, or use utilcredit user on the server",
            entity="user",
            entity_key=username,
        )
    return account


def _set_active(connection: Connection, account: UserAccount, active: bool, actor: str) -> None:
    user = account.principal
    repository.set_active(connection, user.user_id, active)
    sessions, tokens = (0, 0)
    if not active:
        # Disabled users stop at once anyway (sessions and tokens check is_active); ending
        # them as well means enabling the user later does not bring them back.
        sessions, tokens = repository.end_sessions_and_tokens(connection, user.user_id)
    audit_trail.record(
        connection,
        actor=actor,
        action="user_enable" if active else "user_disable",
        entity="user",
        entity_key=user.username,
        detail={
            "was_active": account.active,
            "sessions_ended": sessions,
            "tokens_revoked": tokens,
        },
    )


def set_user_active(connection: Connection, username: str, active: bool, *, actor: str) -> None:
    """Disable (``active=False``: sessions and tokens end at once) or enable a user (CLI)."""
    _set_active(connection, _account(connection, username), active, actor)


def set_user_active_as(
    connection: Connection, principal: Principal, username: str, active: bool
) -> None:
    account = _account_within_reach(connection, principal, username, self_allowed=False)
    _set_active(connection, account, active, principal.username)


def set_grants_as(
    connection: Connection,
    principal: Principal,
    username: str,
    *,
    roles: frozenset[Role],
    utilities: frozenset[Utility],
) -> None:
    """An administrator changes a user's roles and utilities: the user must be within its
    reach before (404 otherwise) and stay within it after (403, as for a new user); never its
    own, so that no administrator widens or locks out itself. Sessions stay: every request
    reads the user's grants afresh."""
    account = _account_within_reach(connection, principal, username, self_allowed=False)
    if not roles:
        raise InvalidInputError("至少需要一个角色 / at least one role is required")
    if not utilities:
        raise InvalidInputError("至少属于一个供应单位 / a user belongs to at least one utility")
    require_grant(principal, roles, utilities, username)
    user = account.principal
    repository.set_grants(connection, user.user_id, roles, utilities)
    audit_trail.record(
        connection,
        actor=principal.username,
        action="user_grants",
        entity="user",
        entity_key=user.username,
        detail={
            "roles": sorted(roles),
            "utilities": sorted(utilities),
            "roles_before": sorted(user.roles),
            "utilities_before": sorted(user.utilities),
        },
        # Both the utilities it left and those it joined: each one's auditors see the change.
        utilities=user.utilities | utilities | principal.utilities,
    )


def _reset_password(
    connection: Connection, account: UserAccount, password: str, actor: str
) -> None:
    user = account.principal
    _require_password(password, user.username, user.display_name)
    repository.set_password_hash(connection, user.user_id, hash_password(password))
    sessions, tokens = repository.end_sessions_and_tokens(connection, user.user_id)
    audit_trail.record(
        connection,
        actor=actor,
        action="password_reset",
        entity="user",
        entity_key=user.username,
        detail={"sessions_ended": sessions, "tokens_revoked": tokens},
    )


def reset_password(connection: Connection, username: str, password: str, *, actor: str) -> None:
    """Set a new password (checked like any new one); the user's sessions and tokens end."""
    _reset_password(connection, _account(connection, username), password, actor)


def reset_password_as(
    connection: Connection, principal: Principal, username: str, password: str
) -> None:
    account = _account_within_reach(connection, principal, username, self_allowed=False)
    _reset_password(connection, account, password, principal.username)


def unlock(
    connection: Connection, scope: ThrottleScope, key: str, *, actor: str
) -> dt.datetime | None:
    """Lift a login lockout (and forget the failures) of an account name or client address;
    audited whether or not one was in force. Return the lockout's end that was lifted."""
    lifted = repository.clear_throttle(connection, scope, key, utc_now())
    audit_trail.record(
        connection,
        actor=actor,
        action="login_unlock",
        entity=scope.value,
        entity_key=key[:200],
        detail={"locked_until": lifted.isoformat() if lifted else None},
    )
    return lifted


def unlock_as(connection: Connection, principal: Principal, username: str) -> None:
    account = _account_within_reach(connection, principal, username, self_allowed=True)
    unlock(connection, ThrottleScope.USER, account.principal.username, actor=principal.username)


def principal_of(connection: Connection, user_id: int) -> Principal | None:
    found = repository.principals(connection, [user_id])
    return found[0] if found else None


DEFAULT_THROTTLE = ThrottlePolicy()


def authenticate(
    connection: Connection,
    username: str,
    password: str,
    *,
    address: str | None = None,
    throttle: ThrottlePolicy = DEFAULT_THROTTLE,
) -> Principal | None:
    """The user if the password is right (rehashing an outdated hash), else ``None``.

    Every attempt is audited, successful or not. An account name or client ``address`` with
    too many recent failures is refused with :class:`LoginThrottledError` before the password
    is checked (cheap, no argon2 work); the failure that reaches a limit starts the lockout
    (audited as ``login_lockout``). The caller must commit after a ``None`` too, so that the
    failure counts.
    """
    name = username.strip()[:200]
    now = utc_now()
    keys = [(ThrottleScope.USER, name)]
    if address:
        keys.append((ThrottleScope.ADDRESS, address[:200]))
    locks = repository.locked_until(connection, keys, now)
    if locks:
        raise LoginThrottledError(retry_after_seconds(max(locks.values()), now))
    stored = repository.password_hash_of(connection, name)
    ok = verify_password(stored[1] if stored else None, password) and stored is not None
    detail = {"address": address} if address else None
    audit_trail.record(
        connection,
        actor=name[:100] or "?",
        action="login" if ok else "login_failed",
        entity="user",
        entity_key=name,
        detail=detail,
    )
    if not ok or stored is None:
        for scope, key in keys:
            failures, locked = repository.record_failure(connection, scope, key, now, throttle)
            if locked is not None and failures == throttle.limit(scope):
                audit_trail.record(
                    connection,
                    actor=name[:100] or "?",
                    action="login_lockout",
                    entity=scope.value,
                    entity_key=key,
                    detail={
                        "failures": failures,
                        "locked_until": locked.isoformat(),
                        "address": address,
                    },
                )
        repository.prune_throttles(connection, now)
        return None
    repository.clear_throttle(connection, ThrottleScope.USER, name, now)
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


def end_session(connection: Connection, token: str, principal: Principal | None = None) -> None:
    """Log out: the session ends (audited as ``logout`` when its user is known)."""
    repository.delete_session(connection, token_hash(token))
    if principal is not None:
        audit_trail.record(
            connection,
            actor=principal.username,
            action="logout",
            entity="user_session",
            entity_key=principal.username,
        )


def issue_token(connection: Connection, principal: Principal, name: str = "api") -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    repository.insert_token(
        connection,
        token_hash=token_hash(token),
        user_id=principal.user_id,
        name=name[:100],
        expires_at=utc_now() + TOKEN_TTL,
    )
    audit_trail.record(
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
        audit_trail.record(
            connection, actor=principal.username, action="token_revoke", entity="api_token"
        )
    return revoked


def csrf_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())

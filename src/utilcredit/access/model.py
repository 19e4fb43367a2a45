"""Pure access rules: roles, what each may do, and which customers a user sees.

Tenancy decision (see README "Console and API"): a deployment's utilities are the account
``utility`` values (``water`` / ``power``). A user belongs to one or more of them and sees a
subject only if the subject has an account with one of them. The credit office (信用办) reads
across all utilities and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from zxcvbn import zxcvbn

from utilcredit.customers.model import Utility
from utilcredit.errors import InvalidInputError, NotFoundError, UtilcreditError


class Role(StrEnum):
    ADMIN = "admin"  # 系统管理员: users, imports
    OPERATOR = "operator"  # 客服/运营: imports, requests overrides
    REVIEWER = "reviewer"  # 审核: approves or rejects overrides
    CREDIT_OFFICE = "credit_office"  # 信用办: read-only across utilities
    AUDITOR = "auditor"  # 审计: reads the audit log


class Permission(StrEnum):
    READ = "read"  # customers, credit files, ratings, runs, policies
    VIEW_UNMASKED = "view_unmasked"  # personal data in clear (every view audited)
    IMPORT = "import"
    REQUEST_OVERRIDE = "request_override"
    DECIDE_OVERRIDE = "decide_override"
    FILE_CASE = "file_case"  # propose records, file objections, apply for repair
    DECIDE_CASE = "decide_case"  # confirm records, decide objections and repairs
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"
    # Export catalog files, send batches, load the platform's returns, make credit checks
    # (报送 · 核查), within the user's own utilities.
    EXCHANGE = "exchange"


# What a permission lets one do, in words (a refusal names the one missing).
PERMISSION_LABELS: dict[Permission, tuple[str, str]] = {
    Permission.READ: ("查阅", "read"),
    Permission.VIEW_UNMASKED: ("查看完整证件号码", "view unmasked"),
    Permission.IMPORT: ("数据导入", "import"),
    Permission.REQUEST_OVERRIDE: ("申请等级调整", "request overrides"),
    Permission.DECIDE_OVERRIDE: ("审核等级调整", "decide overrides"),
    Permission.FILE_CASE: ("提出失信认定、异议和修复申请", "file cases"),
    Permission.DECIDE_CASE: ("审核失信认定、异议和修复", "decide cases"),
    Permission.MANAGE_USERS: ("用户管理", "manage users"),
    Permission.READ_AUDIT: ("查阅审计日志", "read the audit log"),
    Permission.EXCHANGE: ("信用信息报送与核查", "exchange"),
}

ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.ADMIN: ("系统管理员", "Administrator"),
    Role.OPERATOR: ("业务操作员", "Operator"),
    Role.REVIEWER: ("审核员", "Reviewer"),
    Role.CREDIT_OFFICE: ("信用办", "Credit office"),
    Role.AUDITOR: ("审计员", "Auditor"),
}

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            Permission.READ,
            Permission.VIEW_UNMASKED,
            Permission.IMPORT,
            Permission.MANAGE_USERS,
            Permission.READ_AUDIT,
            Permission.EXCHANGE,
        }
    ),
    Role.OPERATOR: frozenset(
        {
            Permission.READ,
            Permission.VIEW_UNMASKED,
            Permission.IMPORT,
            Permission.REQUEST_OVERRIDE,
            Permission.FILE_CASE,
            Permission.EXCHANGE,
        }
    ),
    Role.REVIEWER: frozenset(
        {
            Permission.READ,
            Permission.VIEW_UNMASKED,
            Permission.DECIDE_OVERRIDE,
            Permission.DECIDE_CASE,
        }
    ),
    Role.CREDIT_OFFICE: frozenset({Permission.READ}),
    Role.AUDITOR: frozenset({Permission.READ, Permission.READ_AUDIT}),
}

# Roles whose reads are not limited to their own utilities.
CROSS_UTILITY_ROLES = frozenset({Role.CREDIT_OFFICE})


class AccessDeniedError(UtilcreditError):
    """The user is known but may not do this (HTTP 403). Always audited."""

    code = "forbidden"
    exit_code = 4

    def __init__(self, message: str, *, entity: str = "", entity_key: str | None = None) -> None:
        super().__init__(message)
        self.entity = entity
        self.entity_key = entity_key


class NotVisibleError(NotFoundError):
    """The record exists but belongs to another utility: reported as not found (HTTP 404),
    so its existence does not leak, and audited like a 403."""

    code = "not_found"

    def __init__(self, message: str, *, entity: str = "", entity_key: str | None = None) -> None:
        super().__init__(message)
        self.entity = entity
        self.entity_key = entity_key


class AuthenticationError(UtilcreditError):
    """No valid session or token (HTTP 401)."""

    code = "unauthenticated"
    exit_code = 4


class LoginThrottledError(AuthenticationError):
    """Too many failed logins for this account name or client address (HTTP 429): refused
    without checking the password until ``retry_after`` seconds have passed or an
    administrator lifts the lockout."""

    code = "too_many_attempts"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "登录失败次数过多，已暂时锁定，请稍后再试或联系管理员 / "
            "too many failed logins: locked for now, try again later or ask an administrator"
        )
        self.retry_after = max(1, retry_after)


class WeakPasswordError(InvalidInputError):
    """A new password fails the password rules (HTTP 422 on field ``password``)."""

    field = "password"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: the user with roles and utility memberships."""

    user_id: int
    username: str
    display_name: str
    roles: frozenset[Role]
    utilities: frozenset[Utility]

    @property
    def permissions(self) -> frozenset[Permission]:
        return frozenset(p for role in self.roles for p in PERMISSIONS[role])

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def readable_utilities(self) -> frozenset[Utility]:
        """Utilities whose customers this user may read."""
        if self.roles & CROSS_UTILITY_ROLES:
            return frozenset(Utility)
        return self.utilities

    def may_read_utility(self, utility: Utility) -> bool:
        return utility in self.readable_utilities

    def may_write_utility(self, utility: Utility) -> bool:
        """Writes (imports, overrides) only ever within the user's own memberships."""
        return utility in self.utilities


def require(principal: Principal, permission: Permission, *, entity: str = "") -> None:
    if not principal.can(permission):
        raise AccessDeniedError(
            f"无权执行此操作（需要“{PERMISSION_LABELS[permission][0]}”权限） / "
            f"not allowed: requires the {permission.value} permission",
            entity=entity,
        )


# ---- the system acting for itself ----------------------------------------------------------
# Use cases take ``principal`` None when the system acts on its own (the command line without
# ``--actor``, the notice worker, the calendar's steps): it reads every utility.

#: Who the audit trail and case histories name when the system acts for itself.
SYSTEM = "system"


def actor_name(principal: Principal | None) -> str:
    """Who the audit trail names: the user, or the system itself (``principal`` None)."""
    return SYSTEM if principal is None else principal.username


def readable(principal: Principal | None) -> frozenset[Utility]:
    """The utilities ``principal`` may read: every one for the system itself."""
    return frozenset(Utility) if principal is None else principal.readable_utilities


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    roles: set[Role] = set()
    for value in values:
        try:
            roles.add(Role(value.strip().replace("-", "_")))
        except ValueError:
            known = ", ".join(r.value for r in Role)
            raise ValueError(f"未知角色 / unknown role {value!r}; known: {known}") from None
    if not roles:
        raise ValueError("至少需要一个角色 / at least one role is required")
    return frozenset(roles)


def parse_utilities(values: Iterable[str]) -> frozenset[Utility]:
    utilities: set[Utility] = set()
    for value in values:
        try:
            utilities.add(Utility(value.strip()))
        except ValueError:
            raise ValueError(f"未知供应类型 / unknown utility {value!r}: water, power") from None
    if not utilities:
        raise ValueError("至少属于一个供应单位 / a user belongs to at least one utility")
    return frozenset(utilities)


# ---- who may manage whom -----------------------------------------------------------------


def grantable_roles(principal: Principal) -> frozenset[Role]:
    """Roles an administrator may grant through the API or console: none whose reach spans
    every utility (the credit office), since that would reach beyond the administrator's own
    utilities. Such users are created on the server (``utilcredit user add``)."""
    if not principal.can(Permission.MANAGE_USERS):
        return frozenset()
    return frozenset(Role) - CROSS_UTILITY_ROLES


def manages(principal: Principal, roles: Iterable[Role], utilities: Iterable[Utility]) -> bool:
    """Whether ``principal`` may create or manage a user with these roles and utilities:
    only roles it may grant, only utilities it belongs to."""
    return frozenset(roles) <= grantable_roles(principal) and frozenset(utilities) <= (
        principal.utilities
    )


def require_grant(
    principal: Principal, roles: frozenset[Role], utilities: frozenset[Utility], username: str
) -> None:
    """Refuse (403, audited) a grant beyond the administrator's reach."""
    require(principal, Permission.MANAGE_USERS, entity="user")
    roles_outside = roles - grantable_roles(principal)
    if roles_outside:
        names = ", ".join(sorted(roles_outside))
        raise AccessDeniedError(
            f"不能授予跨供应单位的角色：{names}（请在服务器上用 utilcredit user add 添加） / "
            f"cannot grant roles that reach every utility: {names} (use utilcredit user add "
            "on the server)",
            entity="user",
            entity_key=username,
        )
    utilities_outside = utilities - principal.utilities
    if utilities_outside:
        raise AccessDeniedError(
            "不能为非本单位添加用户 / cannot add users to utilities you do not belong to: "
            + ", ".join(sorted(utilities_outside)),
            entity="user",
            entity_key=username,
        )


# ---- login throttling ----------------------------------------------------------------------


class ThrottleScope(StrEnum):
    USER = "user"  # the account name as typed (known or not: a lockout reveals nothing)
    ADDRESS = "address"  # the client address (behind a trusted proxy: X-Forwarded-For)


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """Failed logins allowed per account name and per client address within ``window``
    before the name or address is locked for ``lockout``. The account limit stays far below
    NIST SP 800-63B's ceiling of 100 consecutive failures; the address limit is higher, since
    many users may share an office's address."""

    max_user_failures: int = 10
    max_address_failures: int = 50
    window: dt.timedelta = dt.timedelta(minutes=15)
    lockout: dt.timedelta = dt.timedelta(minutes=15)

    def limit(self, scope: ThrottleScope) -> int:
        return self.max_user_failures if scope is ThrottleScope.USER else self.max_address_failures


def retry_after_seconds(locked_until: dt.datetime, now: dt.datetime) -> int:
    """Whole seconds until a lockout ends (at least 1), for ``Retry-After``."""
    return max(1, int((locked_until - now).total_seconds() + 0.999))


# ---- password rules (NIST SP 800-63B 5.1.1.2) ----------------------------------------------

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 200  # NIST: at least 64 must be allowed
# zxcvbn score 3 = at least 10^8 guesses: common and breached passwords, keyboard walks,
# repeats and the user's own names score lower. No composition rules (NIST).
MIN_PASSWORD_SCORE = 3
# zxcvbn's matching grows quickly with length; longer passwords only score higher.
_SCORED_PREFIX = 100


def password_context(username: str, display_name: str | None = None) -> list[str]:
    """Context words a password may not be built on: the user name, the display name and
    their parts (``wang.xm`` → ``wang``, ``xm``)."""
    words: list[str] = []
    for value in (username, display_name or ""):
        value = value.strip()
        if not value:
            continue
        words.append(value)
        parts = [p for p in "".join(c if c.isalnum() else " " for c in value).split() if p]
        words.extend(p for p in parts if len(p) >= 3 and p != value)
    return words


def check_password_strength(password: str, context: Iterable[str] = ()) -> None:
    """Refuse a password that is too short or too long, is a common or breached password (the
    zxcvbn frequency lists, offline), or is built on the context words (user name, display
    name); raise :class:`WeakPasswordError` with a bilingual reason."""
    length = len(unicodedata.normalize("NFC", password))
    if length < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"密码至少 {MIN_PASSWORD_LENGTH} 个字符 / password needs {MIN_PASSWORD_LENGTH}+ characters"
        )
    if length > MAX_PASSWORD_LENGTH:
        raise WeakPasswordError(
            f"密码最多 {MAX_PASSWORD_LENGTH} 个字符 / password has more than "
            f"{MAX_PASSWORD_LENGTH} characters"
        )
    words = [w for w in context if w]
    lowered = password.casefold()
    if any(lowered == w.casefold() for w in words):
        raise WeakPasswordError(
            "密码不能与用户名或姓名相同 / password must not be the user name or display name"
        )
    result = zxcvbn(password[:_SCORED_PREFIX], user_inputs=words)
    if result["score"] >= MIN_PASSWORD_SCORE:
        return
    sources = {m.get("dictionary_name") for m in result["sequence"]}
    if "user_inputs" in sources:
        raise WeakPasswordError(
            "密码太容易猜到：基于用户名或姓名 / password is too easy to guess: "
            "it is built on the user name or display name"
        )
    if "passwords" in sources:
        raise WeakPasswordError(
            "密码太容易猜到：是常见或已泄露的密码 / password is too easy to guess: "
            "a common or breached password"
        )
    raise WeakPasswordError(
        "密码太容易猜到（常见词、键盘序列、重复或日期），请用更长的短语 / password is too "
        "easy to guess (common words, keyboard patterns, repeats or dates): use a longer phrase"
    )

"""Pure access rules: roles, what each may do, and which customers a user sees.

Tenancy decision (see README "Console and API"): a deployment's utilities are the account
``utility`` values (``water`` / ``power``). A user belongs to one or more of them and sees a
subject only if the subject has an account with one of them. The credit office (信用办) reads
across all utilities and writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from utilcredit.customers.model import Utility
from utilcredit.errors import NotFoundError, UtilcreditError


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
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"


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
        }
    ),
    Role.OPERATOR: frozenset(
        {Permission.READ, Permission.VIEW_UNMASKED, Permission.IMPORT, Permission.REQUEST_OVERRIDE}
    ),
    Role.REVIEWER: frozenset(
        {Permission.READ, Permission.VIEW_UNMASKED, Permission.DECIDE_OVERRIDE}
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
            f"无权执行此操作（需要 {permission.value} 权限） / "
            f"not allowed: requires the {permission.value} permission",
            entity=entity,
        )


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


MIN_PASSWORD_LENGTH = 8


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(
            f"密码至少 {MIN_PASSWORD_LENGTH} 个字符 / password needs {MIN_PASSWORD_LENGTH}+ characters"
        )

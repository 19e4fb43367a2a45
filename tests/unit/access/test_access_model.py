"""Who may do what, and which utilities' customers they see."""

from __future__ import annotations

import pytest

from utilcredit.access.model import (
    PERMISSIONS,
    AccessDeniedError,
    Permission,
    Principal,
    Role,
    parse_roles,
    parse_utilities,
    require,
)
from utilcredit.customers.model import Utility


def principal(
    *roles: Role, utilities: frozenset[Utility] = frozenset({Utility.WATER})
) -> Principal:
    return Principal(1, "u", "u", frozenset(roles), utilities)


def test_every_role_reads_and_only_some_write() -> None:
    assert all(Permission.READ in granted for granted in PERMISSIONS.values())
    writers = {r for r, granted in PERMISSIONS.items() if Permission.IMPORT in granted}
    assert writers == {Role.ADMIN, Role.OPERATOR}
    assert {r for r, g in PERMISSIONS.items() if Permission.DECIDE_OVERRIDE in g} == {Role.REVIEWER}
    assert {r for r, g in PERMISSIONS.items() if Permission.REQUEST_OVERRIDE in g} == {
        Role.OPERATOR
    }


def test_the_credit_office_reads_every_utility_and_writes_none() -> None:
    office = principal(Role.CREDIT_OFFICE)
    assert office.readable_utilities == frozenset(Utility)
    assert not office.may_write_utility(Utility.POWER)
    assert office.permissions == {Permission.READ}


def test_other_roles_read_only_their_utilities() -> None:
    operator = principal(Role.OPERATOR)
    assert operator.may_read_utility(Utility.WATER)
    assert not operator.may_read_utility(Utility.POWER)


def test_require_refuses_with_a_bilingual_message() -> None:
    with pytest.raises(AccessDeniedError, match="requires the import permission"):
        require(principal(Role.AUDITOR), Permission.IMPORT)


def test_parsing_roles_and_utilities() -> None:
    assert parse_roles(["credit-office", "admin"]) == {Role.CREDIT_OFFICE, Role.ADMIN}
    with pytest.raises(ValueError, match="unknown role"):
        parse_roles(["boss"])
    with pytest.raises(ValueError, match="at least one"):
        parse_utilities([])
    with pytest.raises(ValueError, match="unknown utility"):
        parse_utilities(["gas"])

"""Password rules (NIST SP 800-63B), who an administrator may grant and manage, throttle
arithmetic, and the bound on concurrent argon2 work."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from utilcredit.access import passwords
from utilcredit.access.model import (
    AccessDeniedError,
    Principal,
    Role,
    ThrottlePolicy,
    ThrottleScope,
    WeakPasswordError,
    check_password_strength,
    grantable_roles,
    manages,
    password_context,
    require_grant,
    retry_after_seconds,
)
from utilcredit.cli.serve import DEMO_PASSWORD, DEMO_USERS
from utilcredit.customers.model import Utility

WATER = frozenset({Utility.WATER})
WORLD_PASSWORD = "correct-horse-9"  # tests/e2e/api/world.py


def admin(utilities: frozenset[Utility] = WATER) -> Principal:
    return Principal(1, "boss", "Boss", frozenset({Role.ADMIN}), utilities)


@pytest.mark.parametrize(
    ("password", "context", "reason"),
    [
        ("password", [], "common or breached"),
        ("12345678", [], "common or breached"),
        ("Password1!", [], "too easy to guess"),
        ("woaini1314", [], "too easy to guess"),
        ("qwertyuiop", [], "too easy to guess"),
        ("wang12345", password_context("wang"), "user name"),
        ("op-water-2026", password_context("op-water"), "user name"),
        ("wangxiaoming", password_context("wxm", "wangxiaoming"), "user name or display name"),
        ("short-1", [], r"8\+ characters"),
        ("x" * 201, [], "more than 200"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(
    password: str, context: list[str], reason: str
) -> None:
    with pytest.raises(WeakPasswordError, match=reason):
        check_password_strength(password, context)


def test_demo_and_test_passwords_pass_the_rules_that_refuse_common_ones() -> None:
    # The demo logins printed by `serve --demo-logins` and the test world keep working.
    for username, display, _, _ in DEMO_USERS:
        check_password_strength(DEMO_PASSWORD, password_context(username, display))
    check_password_strength(WORLD_PASSWORD, password_context("op-water"))
    # No composition rules; long passphrases and non-Latin scripts are fine (NIST).
    check_password_strength("lianshui water works 1987")
    check_password_strength("涟水县自来水公司客服中心")
    check_password_strength("a" * 20 + " river bank " + "z" * 40)  # 72 characters
    with pytest.raises(WeakPasswordError):
        check_password_strength("iloveyou")


def test_password_context_takes_names_and_their_parts() -> None:
    assert password_context("wang.xiaoming", "王小明") == [
        "wang.xiaoming",
        "wang",
        "xiaoming",
        "王小明",
    ]


def test_an_admin_grants_no_role_that_reaches_every_utility() -> None:
    assert grantable_roles(admin()) == {Role.ADMIN, Role.OPERATOR, Role.REVIEWER, Role.AUDITOR}
    operator = Principal(2, "op", "op", frozenset({Role.OPERATOR}), WATER)
    assert grantable_roles(operator) == frozenset()
    both = admin(frozenset(Utility))
    assert not manages(both, {Role.CREDIT_OFFICE}, WATER)
    with pytest.raises(AccessDeniedError, match="reach every utility") as refused:
        require_grant(both, frozenset({Role.CREDIT_OFFICE}), WATER, "office2")
    assert refused.value.entity_key == "office2"


def test_an_admin_grants_only_its_own_utilities() -> None:
    water_admin = admin()
    assert manages(water_admin, {Role.OPERATOR, Role.AUDITOR}, WATER)
    assert not manages(water_admin, {Role.OPERATOR}, frozenset(Utility))
    with pytest.raises(AccessDeniedError, match="power"):
        require_grant(water_admin, frozenset({Role.OPERATOR}), frozenset(Utility), "x")
    require_grant(water_admin, frozenset({Role.ADMIN}), WATER, "water-admin-2")


def test_throttle_limits_and_retry_after() -> None:
    policy = ThrottlePolicy(max_user_failures=3, max_address_failures=7)
    assert policy.limit(ThrottleScope.USER) == 3
    assert policy.limit(ThrottleScope.ADDRESS) == 7
    now = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
    assert retry_after_seconds(now + dt.timedelta(seconds=89.2), now) == 90
    assert retry_after_seconds(now - dt.timedelta(seconds=5), now) == 1


class _SlowHasher:
    """Counts how many verifications run at once."""

    def __init__(self) -> None:
        self.running = 0
        self.peak = 0
        self.lock = threading.Lock()

    def verify(self, stored: str, password: str) -> bool:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        return True

    def hash(self, password: str) -> str:
        return "hash"


def test_argon2_work_is_bounded_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = _SlowHasher()
    monkeypatch.setattr(passwords, "_hasher", hasher)
    try:
        passwords.limit_concurrency(2)
        threads = [
            threading.Thread(target=passwords.verify_password, args=("stored", "pw"))
            for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert hasher.peak == 2
    finally:
        passwords.limit_concurrency(passwords.DEFAULT_CONCURRENCY)
    with pytest.raises(ValueError, match="at least 1"):
        passwords.limit_concurrency(0)

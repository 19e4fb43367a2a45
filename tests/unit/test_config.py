"""One :class:`Settings`: the API and console's part still reads ``UTILCREDIT_CONSOLE_*``."""

from __future__ import annotations

import datetime as dt

import pytest

from utilcredit.config import ConsoleSettings, Settings


def test_console_settings_read_their_own_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UTILCREDIT_DATA_DIR", "/srv/utilcredit")
    monkeypatch.setenv("UTILCREDIT_CONSOLE_MAX_CONCURRENT_REQUESTS", "7")
    monkeypatch.setenv("UTILCREDIT_CONSOLE_SECURE_COOKIES", "true")
    monkeypatch.setenv("UTILCREDIT_CONSOLE_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16")
    monkeypatch.setenv("UTILCREDIT_CONSOLE_DEFAULT_POLICIES", '{"water": "suizhou-water"}')
    monkeypatch.setenv("UTILCREDIT_CONSOLE_LOGIN_LOCKOUT_SECONDS", "60")
    settings = Settings()
    assert str(settings.data_dir) == "/srv/utilcredit"
    assert settings.console.max_concurrent_requests == 7
    assert settings.console.secure_cookies is True
    assert settings.console.trusted_proxies == ["10.0.0.1", "192.168.0.0/16"]
    assert settings.console.default_policies == {"water": "suizhou-water"}
    assert settings.console.throttle.lockout == dt.timedelta(seconds=60)


def test_console_defaults_without_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MAX_CONCURRENT_REQUESTS", "SECURE_COOKIES", "TRUSTED_PROXIES"):
        monkeypatch.delenv(f"UTILCREDIT_CONSOLE_{name}", raising=False)
    console = Settings().console
    assert console.max_concurrent_requests == 10
    assert console.secure_cookies is False
    assert console.trusted_proxies == []


def test_core_variables_do_not_leak_into_the_console_part(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # UTILCREDIT_MAX_CONCURRENT_REQUESTS (no CONSOLE_) names nothing.
    monkeypatch.delenv("UTILCREDIT_CONSOLE_MAX_CONCURRENT_REQUESTS", raising=False)
    monkeypatch.setenv("UTILCREDIT_MAX_CONCURRENT_REQUESTS", "3")
    assert Settings().console.max_concurrent_requests == 10


def test_a_console_part_can_be_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UTILCREDIT_CONSOLE_MAX_CONCURRENT_REQUESTS", "7")
    given = Settings(console=ConsoleSettings(max_concurrent_requests=4))
    assert given.console.max_concurrent_requests == 4
    assert not hasattr(given.console, "page_size")

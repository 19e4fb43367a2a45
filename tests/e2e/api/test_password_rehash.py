"""A password stored with the earlier argon2 parameters (argon2-cffi's defaults) still logs in,
and that log-in stores a new hash at the product's OWASP parameters (console and API)."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from tests.e2e.api.world import PASSWORD, World
from tests.support.console import post_login
from utilcredit.access import passwords
from utilcredit.access.tables import UserRow

OLD = PasswordHasher(memory_cost=65_536, time_cost=3, parallelism=4)


@pytest.fixture
def product_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The product's own hasher for this test (the suite runs a cheap one)."""
    monkeypatch.setattr(passwords, "_hasher", passwords.product_hasher())


def stored_hash(engine: Engine, username: str) -> str:
    with engine.connect() as connection:
        found: str = connection.execute(
            select(UserRow.password_hash).where(UserRow.username == username)
        ).scalar_one()
    return found


def store_old_hash(engine: Engine, username: str) -> str:
    old = OLD.hash(PASSWORD)
    with engine.begin() as connection:
        connection.execute(
            update(UserRow).where(UserRow.username == username).values(password_hash=old)
        )
    return old


def console_login(client: TestClient, username: str, password: str) -> int:
    return post_login(client, username, password).status_code


@pytest.mark.usefixtures("product_hashing")
def test_a_console_login_rehashes_an_old_hash(
    client: TestClient, engine: Engine, world: World
) -> None:
    old = store_old_hash(engine, "op-water")
    assert console_login(client, "op-water", PASSWORD) == 303
    new = stored_hash(engine, "op-water")
    assert new != old
    assert extract_parameters(new) == passwords.PARAMETERS
    assert passwords.verify_password(new, PASSWORD)
    # The new hash logs in too, and is left as it is.
    client.cookies.clear()
    assert console_login(client, "op-water", PASSWORD) == 303
    assert stored_hash(engine, "op-water") == new


@pytest.mark.usefixtures("product_hashing")
def test_a_failed_login_leaves_the_old_hash_alone(
    client: TestClient, engine: Engine, world: World
) -> None:
    old = store_old_hash(engine, "op-water")
    assert console_login(client, "op-water", PASSWORD + "x") == 401
    assert stored_hash(engine, "op-water") == old


@pytest.mark.usefixtures("product_hashing")
def test_an_api_token_login_rehashes_an_old_hash(
    client: TestClient, engine: Engine, world: World
) -> None:
    store_old_hash(engine, "op-water")
    response = client.post(
        "/api/auth/token", json={"username": "op-water", "password": PASSWORD, "name": "cli"}
    )
    assert response.status_code == 200, response.text
    assert extract_parameters(stored_hash(engine, "op-water")) == passwords.PARAMETERS

"""Property-based API tests generated from the published OpenAPI schema (schemathesis): no
request, however odd, may cause a server error.

Every operation of the schema gets generated cases, sent in-process to the app on the test
store (SQLite and PostgreSQL), authenticated as an operator of both utilities so most of them
get past the permission checks and reach the use cases. The world holds dishonesty records,
objections and repairs of both utilities (ids from 1, which the generated ids hit), and the
register's answers must also match the schema (bodies, status codes, content types).

Each run draws new cases (no example database is kept); ``UTILCREDIT_SCHEMATHESIS_EXAMPLES``
(10 per operation) raises the number for a deeper run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from pydantic import SecretStr
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok
from sqlalchemy import Engine

from tests.e2e.api.world import Casework, World
from tests.support.platform import PlatformTestServer
from utilcredit.config import Settings
from utilcredit.customers.model import Utility
from utilcredit.http.paths import OPENAPI_URL
from utilcredit.server import create_app

SKIPPED = {("POST", "/api/auth/revoke")}  # would revoke the token the other cases use
EXAMPLES = int(os.environ.get("UTILCREDIT_SCHEMATHESIS_EXAMPLES", "10"))
# The register's operations: their answers are checked against the schema too.
REGISTER = ("/api/records", "/api/objections", "/api/repairs", "/api/attachments")
CONFORMANCE = [response_schema_conformance, status_code_conformance, content_type_conformance]


def checks_for(path: str) -> list[Any]:
    return [not_a_server_error, *(CONFORMANCE if path.startswith(REGISTER) else [])]


@pytest.fixture
def platform() -> Iterator[PlatformTestServer]:
    with PlatformTestServer(token="schemathesis-platform") as server:
        yield server


def test_api_never_answers_with_a_server_error(
    settings: Settings, engine: Engine, world: World, tmp_path: Path, platform: PlatformTestServer
) -> None:
    cases = Casework(engine, world, tmp_path / "casework", settings)
    for utility in Utility:
        cases.candidate(utility)
        cases.objection(utility)
        for status in ("submitted", "accepted", "decided", "closed"):
            cases.repair(utility, status)
    # A platform to send to: an export the generated cases create may then be sent (without
    # one, the send would answer 503 "no platform configured", by design).
    settings.exchange.platform_url = platform.url
    settings.exchange.platform_token = SecretStr("schemathesis-platform")
    app = create_app(settings, engine=engine)
    schema = schemathesis.openapi.from_asgi(OPENAPI_URL, app)
    headers = world.headers("op-both")
    failures: list[str] = []
    checked = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case[Any]) -> None:
            case.call_and_validate(headers=headers, checks=checks_for(case.operation.path))

        try:
            check()
        except Exception as error:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {error}")
        checked += 1
    assert checked >= 25
    assert not failures, "\n\n".join(failures)

"""The access matrix: every route of the app × every role × own / other utility.

Derived from the code's own tables: the expected answer of a request is computed from
:data:`utilcredit.access.model.PERMISSIONS` (through :class:`Principal`: ``can``,
``readable_utilities``, ``may_write_utility``) and from what :data:`ROWS` says the route needs
(a permission, a record of a utility). Every route in the app's route table must have a row,
keyed by method and path: a route added without one fails :func:`test_every_route_has_a_row`.

Users: one per role and utility (``m-<role>-<utility>``) and the anonymous caller. A route
with a record is called with a record of the user's own utility and one of the other utility
(a subject, an override, a rating or import run, an upload, a user); writes get a fresh record
for every call. Answers: the row's success status; 401 without credentials (the console
redirects to its login page: counted as 401); 403 without the permission; 404 for a record of
a utility the user does not read (existence must not leak) — both audited as
``access_denied``; 403 for a write into a utility the user reads but does not belong to.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import SecretStr
from sqlalchemy import Engine, func, select, update

from tests.e2e.api.world import (
    COMMITMENT_SIGNED_ON,
    PASSWORD,
    PDF_BYTES,
    POWER_ONLY,
    RECORD_POLICY,
    WATER_ONLY,
    Casework,
    World,
    uscc,
)
from tests.integration.applications.test_counter_flow import _report
from tests.support.platform import PlatformTestServer, returned_file
from utilcredit.access import service as access
from utilcredit.access.model import PERMISSIONS, Permission, Principal, Role
from utilcredit.applications import repository as application_store
from utilcredit.applications import service as applications
from utilcredit.applications.service import NewApplication
from utilcredit.audit.tables import AuditEntryRow
from utilcredit.commitments import letters as commitment_letters
from utilcredit.commitments import repository as commitment_store
from utilcredit.commitments import service as commitments
from utilcredit.commitments.service import NewCommitment
from utilcredit.config import Settings
from utilcredit.customers.model import Utility
from utilcredit.customers.tables import AccountRow, SubjectRow
from utilcredit.exchange import checks, submission, tracking
from utilcredit.exchange import service as exchange
from utilcredit.exchange.catalog import ZHANJIANG_2022
from utilcredit.exchange.model import CheckPurpose
from utilcredit.exchange.platform import client_from
from utilcredit.exchange.returns import ReturnedError
from utilcredit.exchange.tables import ExchangeBatchRow
from utilcredit.incentives import service as incentives
from utilcredit.localtime import today
from utilcredit.notices import contacts as notice_contacts
from utilcredit.notices import planning
from utilcredit.notices import repository as notice_store
from utilcredit.notices import service as notices
from utilcredit.notices import steps as notice_steps
from utilcredit.overrides import service as overrides
from utilcredit.overrides.model import OverrideState
from utilcredit.overrides.tables import OverrideRow
from utilcredit.policies.model.credit_application import Business
from utilcredit.policies.model.levels import Level
from utilcredit.policies.service import policy_at
from utilcredit.rating import service as rating
from utilcredit.rating.runs import service as runs
from utilcredit.records.repository import objections as objection_queries
from utilcredit.records.repository import register
from utilcredit.records.repository import repairs as repair_queries
from utilcredit.server import create_app
from utilcredit.web import imports as console_imports
from utilcredit.web import routes as console_routes

pytestmark = pytest.mark.sqlite_only

SUBJECT = {Utility.WATER: WATER_ONLY, Utility.POWER: POWER_ONLY}
POLICY = {Utility.WATER: "lianshui-water", Utility.POWER: "huaiyin-power"}
ACCOUNT = {Utility.WATER: "W1", Utility.POWER: "P2"}  # an account of SUBJECT[utility]
OPERATOR = {Utility.WATER: "op-water", Utility.POWER: "op-power"}  # world users
OTHER = {Utility.WATER: Utility.POWER, Utility.POWER: Utility.WATER}
# Credit commitments and credit-based applications of SUBJECT[utility]: the utility's policy
# with credit_application rules (a Jiangsu report a few days old makes the subject eligible)
# and the commitment template of that policy.
APPLICATION_POLICY = {Utility.WATER: "lianshui-water", Utility.POWER: "huaiyin-power"}
TEMPLATE = {Utility.WATER: "general-lianshui-water", Utility.POWER: "general-huaiyin-power"}


def matrix_name(role: Role, utility: Utility) -> str:
    return f"m-{role.value}-{utility.value}"


MATRIX_USERS = [(matrix_name(r, u), r, u) for r in Role for u in Utility]


class Access(Enum):
    PUBLIC = "public"  # anyone, anonymous too
    LOGIN = "login"  # exchanges a user name and password: anonymous (wrong password) → 401
    SIGNED_IN = "signed_in"  # any signed-in user
    PERMISSION = "permission"  # signed-in users holding Row.permission


class Scope(Enum):
    NONE = "none"  # no record of a utility involved
    CONTENT = "content"  # the target utility changes what is sent, not who may send it
    READ = "read"  # a record of the target utility: 404 unless the user reads that utility
    WRITE = "write"  # changes a record: 404 unless read, 403 unless a member of the utility
    CREATE = "create"  # creates in the target utility: 403 unless a member


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    kwargs: dict[str, Any] = field(default_factory=dict)


Builder = Callable[["Ctx", str | None, Utility | None], Call]


@dataclass(frozen=True)
class Row:
    access: Access
    ok: int
    build: Builder
    permission: Permission | None = None
    scope: Scope = Scope.NONE
    console: bool = False  # a console page: credentials are a session cookie (+ CSRF)
    audited_404: bool = True  # another utility's record: the 404 is audited
    # Checks a successful write's effect: (ctx, target, whether the caller is a member of it).
    effect: Callable[[Ctx, Utility, bool], None] | None = None


def expected(row: Row, principal: Principal | None, target: Utility | None) -> int:
    """The answer the permission table and the row's needs give for this caller and record."""
    if row.access == Access.PUBLIC:
        return row.ok
    if principal is None:
        return 401
    if row.access in (Access.LOGIN, Access.SIGNED_IN):
        return row.ok
    assert row.permission is not None
    if not principal.can(row.permission):
        return 403
    if target is not None:
        if row.scope in (Scope.READ, Scope.WRITE) and not principal.may_read_utility(target):
            return 404
        if row.scope in (Scope.WRITE, Scope.CREATE) and not principal.may_write_utility(target):
            return 403
    return row.ok


# ---- the world of the matrix ---------------------------------------------------------------


class Ctx:
    """The test's app and store, with the records calls need (made on demand)."""

    def __init__(
        self, client: TestClient, engine: Engine, world: World, settings: Settings, folder: Path
    ):
        self.client = client
        self.engine = engine
        self.world = world
        self.settings = settings
        # Dishonesty records, objections and repairs of the world's subjects (made on demand).
        self.cases = Casework(engine, world, folder, settings)
        self.counter = itertools.count(1)
        self.principals: dict[str, Principal] = {
            name: user.principal for name, user in world.users.items()
        }
        self._cache: dict[tuple[str, Any], Any] = {}
        with engine.begin() as connection:
            for name, role, utility in MATRIX_USERS:
                user_id = access.create_user(
                    connection,
                    username=name,
                    display_name=name,
                    password=PASSWORD,
                    roles=frozenset({role}),
                    utilities=frozenset({utility}),
                    actor="setup",
                )
                principal = access.principal_of(connection, user_id)
                assert principal is not None
                self.principals[name] = principal

    def cached(self, key: tuple[str, Any], make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    # credentials, fresh for every call (a call may revoke its token or end its session)

    def api_headers(self, username: str) -> dict[str, str]:
        with self.engine.begin() as connection:
            token = access.issue_token(connection, self.principals[username], "matrix")
        return {"Authorization": f"Bearer {token}"}

    def console_headers(self, username: str) -> dict[str, str]:
        with self.engine.begin() as connection:
            tokens = access.start_session(connection, self.principals[username])
        return {"Cookie": f"uc_session={tokens.token}", "X-CSRF-Token": tokens.csrf_token}

    def send(self, call: Call, headers: dict[str, str]) -> Response:
        self.client.cookies.clear()
        response: Response = self.client.request(
            call.method, call.url, headers=headers, follow_redirects=False, **call.kwargs
        )
        self.client.cookies.clear()
        return response

    # records

    def subject_id(self, utility: Utility) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    select(SubjectRow.id).where(SubjectRow.code == SUBJECT[utility])
                ).scalar_one()
            )

    def override_level(self, utility: Utility) -> str:
        """A level of the utility's policy other than the subject's computed one."""

        def make() -> str:
            loaded = policy_at(POLICY[utility], None)
            with self.engine.connect() as connection:
                computed = rating.rate_subject(
                    connection, SUBJECT[utility], loaded.policy, today()
                ).level
            return next(level.value for level in loaded.policy.levels if level != computed)

        level: str = self.cached(("level", utility), make)
        return level

    def override_body(self, utility: Utility) -> dict[str, str]:
        return {
            "policy": POLICY[utility],
            "level": self.override_level(utility),
            "reason": "已签订分期还款协议并按期履行",
            "expires_on": (today() + dt.timedelta(days=60)).isoformat(),
        }

    def retire_pending(self, utility: Utility) -> None:
        """One request waits at a time per subject and policy (a second is a 409): the
        pending one a previous call left is set aside in the store, so the next request or
        decision starts from none."""
        with self.engine.begin() as connection:
            connection.execute(
                update(OverrideRow)
                .where(
                    OverrideRow.policy_key == POLICY[utility],
                    OverrideRow.state == OverrideState.REQUESTED.value,
                )
                .values(state=OverrideState.WITHDRAWN.value)
            )

    def new_override(self, utility: Utility, requester: str | None = None) -> int:
        """A pending override of the utility's subject, by ``requester`` if that user may
        request it there, else by the world's operator of the utility."""
        self.retire_pending(utility)
        principal = self.principals.get(requester or "")
        if principal is None or not (
            principal.can(Permission.REQUEST_OVERRIDE) and principal.may_write_utility(utility)
        ):
            principal = self.principals[OPERATOR[utility]]
        body = self.override_body(utility)
        with self.engine.begin() as connection:
            created = overrides.request_override(
                connection,
                principal,
                code=SUBJECT[utility],
                policy=policy_at(POLICY[utility], None).policy,
                level=Level(body["level"]),
                reason=body["reason"],
                expires_on=dt.date.fromisoformat(body["expires_on"]),
                today=today(),
            )
        assert created.id is not None
        return created.id

    def standing_override(self, utility: Utility) -> int:
        found: int = self.cached(("override", utility), lambda: self.new_override(utility))
        return found

    # the register's cases: standing ones for reads (one per utility), fresh ones for writes

    def standing_record(self, utility: Utility) -> int:
        found: int = self.cached(("record", utility), lambda: self.cases.published(utility))
        return found

    def standing_objection(self, utility: Utility) -> int:
        found: int = self.cached(("objection", utility), lambda: self.cases.objection(utility))
        return found

    def standing_repair(self, utility: Utility) -> int:
        found: int = self.cached(("repair", utility), lambda: self.cases.repair(utility))
        return found

    def standing_attachment(self, utility: Utility) -> int:
        return self.cases.attachment_of_objection(self.standing_objection(utility))

    def fresh_case(self, kind: str, utility: Utility) -> int:
        """A new case for a write, remembered for the row's effect check."""
        makers: dict[str, Callable[[], int]] = {
            "candidate": lambda: self.cases.candidate(utility),
            "published": lambda: self.cases.published(utility),
            "objection": lambda: self.cases.objection(utility),
            "submitted": lambda: self.cases.repair(utility, "submitted"),
            "accepted": lambda: self.cases.repair(utility, "accepted"),
            "decided": lambda: self.cases.repair(utility, "decided"),
        }
        case_id = makers[kind]()
        self._cache[("last_case", utility)] = case_id
        return case_id

    # credit commitments and applications, made through their services by the system (the
    # routes' own checks are what the matrix tests); standing ones for reads, fresh for writes

    def eligible(self, utility: Utility) -> None:
        """A Jiangsu report issued today: SUBJECT[utility] passes its policy's credit check."""

        def make() -> bool:
            with self.engine.begin() as connection:
                _report(connection, self.subject_id(utility), today(), source="jiangsu")
            return True

        self.cached(("report", utility), make)

    def new_commitment(self, utility: Utility, state: str) -> int:
        """A commitment of SUBJECT[utility] on the policy's template: ``made``, ``in_force``,
        or ``obligation`` (in force, with an open dated obligation)."""
        day = today()
        with self.engine.begin() as connection:
            values = commitment_letters.prefilled(connection, TEMPLATE[utility], SUBJECT[utility])
            made = commitments.make(
                connection,
                None,
                NewCommitment(SUBJECT[utility], utility, TEMPLATE[utility], values, day),
                today=day,
                settings=self.settings.records,
            )
            if state in ("in_force", "obligation"):
                commitments.accept(connection, None, made.id, today=day)
            if state == "obligation":
                commitment_store.insert_obligations(
                    connection,
                    [
                        {
                            "commitment_id": made.id,
                            "key": "papers",
                            "text": "一年内补齐物业权属证明",
                            "status": "open",
                            "starts_on": day,
                            "due_on": day + dt.timedelta(days=365),
                            "remind_on": day + dt.timedelta(days=335),
                        }
                    ],
                )
        return made.id

    def standing_commitment(self, utility: Utility) -> int:
        found: int = self.cached(
            ("commitment", utility), lambda: self.new_commitment(utility, "made")
        )
        return found

    def fresh_commitment(self, state: str, utility: Utility) -> int:
        commitment_id = self.new_commitment(utility, state)
        self._cache[("last_commitment", utility)] = commitment_id
        return commitment_id

    def new_application(self, utility: Utility, state: str) -> int:
        """An application of SUBJECT[utility] taken by the system to ``state`` (``applied`` …
        ``accepted``), at an address of its own."""
        self.eligible(utility)
        day = today()
        steps = ["applied", "surveyed", "credit_checked", "commitment_signed", "accepted"]
        with self.engine.begin() as connection:
            found = applications.submit(
                connection,
                None,
                NewApplication(
                    SUBJECT[utility],
                    APPLICATION_POLICY[utility],
                    Business.NEW_CONNECTION,
                    f"矩阵测试路 {next(self.counter)} 号",
                    day,
                ),
                today=day,
            )
            reached = steps.index(state)
            if reached >= 1:
                applications.survey(connection, None, found.id, today=day)
            if reached >= 2:
                _, result = applications.check(connection, None, found.id, today=day)
                assert result.eligible, result
            if reached >= 3:
                applications.sign(
                    connection,
                    None,
                    found.id,
                    values={},
                    made_on=day,
                    today=day,
                    settings=self.settings.records,
                )
            if reached >= 4:
                applications.accept(connection, None, found.id, today=day)
        return found.id

    def standing_application(self, utility: Utility) -> int:
        found: int = self.cached(
            ("application", utility), lambda: self.new_application(utility, "applied")
        )
        return found

    def fresh_application(self, state: str, utility: Utility) -> int:
        application_id = self.new_application(utility, state)
        self._cache[("last_application", utility)] = application_id
        return application_id

    def measure(self, utility: Utility) -> str:
        """A measure that applies to SUBJECT[utility] today under the configured policy."""

        def make() -> str:
            with self.engine.connect() as connection:
                [block] = incentives.entitlements(
                    connection,
                    self.principals[OPERATOR[utility]],
                    SUBJECT[utility],
                    today=today(),
                    console=self.settings.console,
                )
            assert block.applies, block
            return block.applies[0].measure_key

        found: str = self.cached(("measure", utility), make)
        return found

    def rating_run(self, utility: Utility) -> int:
        def make() -> int:
            with self.engine.begin() as connection:
                return runs.begin_run(
                    connection,
                    policy_at(POLICY[utility], None),
                    today(),
                    engine="reference",
                    actor="setup",
                )

        run_id: int = self.cached(("run", utility), make)
        return run_id

    def accounts_file(self, utility: Utility, *, with_reject: bool) -> tuple[str, bytes]:
        number = next(self.counter)
        account_no = f"M{utility.value[0].upper()}{number}"
        lines = [
            "account_no,subject_code,utility,opened_on,payment_mode",
            f"{account_no},{SUBJECT[utility]},{utility.value},2024-01-01,prepaid",
        ]
        if with_reject:
            lines.append(f"X{account_no},NO-SUCH-SUBJECT,{utility.value},2024-01-01,prepaid")
        return account_no, ("\n".join(lines) + "\n").encode()

    def upload(self, uploader: str, utility: Utility) -> tuple[int, str]:
        """An API upload by ``uploader`` with one row of ``utility`` and one rejected row:
        its import run id and its upload id."""
        _, content = self.accounts_file(utility, with_reject=True)
        response = self.send(
            Call("POST", "/api/imports", {"files": [("files", ("accounts.csv", content))]}),
            self.api_headers(uploader),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return int(body["files"][0]["run_id"]), str(body["upload_id"])

    def world_upload(self, utility: Utility) -> tuple[int, str]:
        found: tuple[int, str] = self.cached(
            ("upload", utility), lambda: self.upload(OPERATOR[utility], utility)
        )
        return found

    def uploads(self) -> set[str]:
        """The upload ids so far (each upload is saved under ``<data_dir>/uploads/<id>/``)."""
        folder = self.settings.data_dir / "uploads"
        return {path.name for path in folder.iterdir()} if folder.is_dir() else set()

    def console_job(self, username: str, utility: Utility) -> str:
        """An import started on the console by ``username``, run to its end."""
        _, content = self.accounts_file(utility, with_reject=False)
        before = self.uploads()
        response = self.send(
            Call("POST", "/imports", {"files": [("files", ("accounts.csv", content))]}),
            self.console_headers(username),
        )
        assert response.status_code == 200, response.text
        [upload_id] = self.uploads() - before
        wait_for_job(upload_id, username)
        return upload_id

    def new_user(self, utility: Utility, *, active: bool = True) -> str:
        name = f"target-{utility.value}-{next(self.counter)}"
        with self.engine.begin() as connection:
            access.create_user(
                connection,
                username=name,
                display_name=name,
                password=PASSWORD,
                roles=frozenset({Role.OPERATOR}),
                utilities=frozenset({utility}),
                actor="setup",
            )
            if not active:
                access.set_user_active(connection, name, False, actor="setup")
        return name

    def account_exists(self, account_no: str) -> bool:
        with self.engine.connect() as connection:
            return (
                connection.execute(
                    select(func.count())
                    .select_from(AccountRow)
                    .where(AccountRow.account_no == account_no)
                ).scalar_one()
                > 0
            )


def wait_for_job(upload_id: str, username: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        progress = console_imports._jobs.get(upload_id, username)
        if progress is not None and progress.finished:
            return
        time.sleep(0.05)
    raise AssertionError(f"console import {upload_id} did not finish")


# ---- the rows: one per route (method, path) ------------------------------------------------


def fixed(method: str, url: str, **kwargs: Any) -> Builder:
    return lambda ctx, actor, target: Call(method, url, kwargs)


def subject_url(template: str) -> Builder:
    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        return Call("GET", template.format(code=SUBJECT[target], account=ACCOUNT[target]))

    return build


def request_override(console: bool) -> Builder:
    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        ctx.retire_pending(target)
        body = ctx.override_body(target)
        url = f"/subjects/{SUBJECT[target]}/overrides"
        if console:
            return Call("POST", url, {"data": body})
        return Call("POST", "/api" + url, {"json": body})

    return build


def decide(decision: str, console: bool = False) -> Builder:
    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        override_id = ctx.new_override(target, requester=actor if decision == "withdraw" else None)
        note = {"note": "核实协议属实"}
        if console:
            return Call("POST", f"/overrides/{override_id}/{decision}", {"data": note})
        return Call("POST", f"/api/overrides/{override_id}/{decision}", {"json": note})

    return build


def upload_build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    account_no, content = ctx.accounts_file(target, with_reject=False)
    ctx._cache[("last_upload", target)] = account_no
    return Call("POST", "/api/imports", {"files": [("files", ("accounts.csv", content))]})


def upload_effect(ctx: Ctx, target: Utility, member: bool) -> None:
    """An upload writes only into the uploader's utilities; other rows are rejected."""
    account_no = ctx._cache[("last_upload", target)]
    assert ctx.account_exists(account_no) == member, (account_no, member)


def may_import(ctx: Ctx, actor: str | None, utility: Utility) -> bool:
    principal = ctx.principals.get(actor or "")
    return (
        principal is not None
        and principal.can(Permission.IMPORT)
        and principal.may_write_utility(utility)
    )


def import_run_url(suffix: str) -> Builder:
    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        run_id, _ = ctx.world_upload(target)
        return Call("GET", f"/api/imports/{run_id}{suffix}")

    return build


def upload_rejects(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    """Own: the caller's own upload (an importer's); other: the other utility's operator's."""
    assert target is not None
    if actor is not None and may_import(ctx, actor, target):
        _, upload_id = ctx.upload(actor, target)
    else:
        _, upload_id = ctx.world_upload(target)
    return Call("GET", f"/api/imports/uploads/{upload_id}/rejects.csv")


def console_import(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    _, content = ctx.accounts_file(Utility.WATER, with_reject=False)
    return Call("POST", "/imports", {"files": [("files", ("accounts.csv", content))]})


def console_job(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    """Own: a job the caller started (an importer); other: the other utility's operator's."""
    assert target is not None
    if actor is not None and may_import(ctx, actor, target):
        upload_id = ctx.console_job(actor, target)
    else:
        upload_id = ctx.cached(("job", target), lambda: ctx.console_job(OPERATOR[target], target))
    return Call("GET", f"/imports/jobs/{upload_id}")


def user_action(action: str) -> Builder:
    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        username = ctx.new_user(target, active=action != "enable")
        body = {"json": {"password": "another-long-pass-7"}} if action == "reset-password" else {}
        return Call("POST", f"/api/users/{username}/{action}", body)

    return build


def add_user(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    body = {
        "username": f"added-{next(ctx.counter)}",
        "password": "long-enough-pass-3",
        "roles": ["operator"],
        "utilities": [target.value],
    }
    return Call("POST", "/api/users", {"json": body})


def api_login(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    body = {"username": actor or "m-nobody", "password": PASSWORD if actor else "wrong-pass-1"}
    return Call("POST", "/api/auth/token", {"json": body})


def console_login(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    ctx.client.cookies.clear()
    page = ctx.client.get("/login")
    token = page.cookies.get(console_routes.LOGIN_CSRF_COOKIE)
    assert token, page.headers
    form = {
        "username": actor or "m-nobody",
        "password": PASSWORD if actor else "wrong-pass-1",
        "csrf_token": token,
    }
    cookie = f"{console_routes.LOGIN_CSRF_COOKIE}={token}"
    return Call("POST", "/login", {"data": form, "headers": {"Cookie": cookie}})


def override_url(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    return Call("GET", f"/api/overrides/{ctx.standing_override(target)}")


def run_url(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    return Call("GET", f"/api/rating-runs/{ctx.rating_run(target)}")


def console_run_url(template: str) -> Builder:
    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        return Call("GET", template.format(id=ctx.rating_run(target)))

    return build


def console_start_run(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    form = {"policy": POLICY[target], "as_of": today().isoformat()}
    return Call("POST", "/runs", {"data": form})


def by_id_url(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    return Call("GET", f"/subjects/by-id/{ctx.subject_id(target)}")


def policy_url(template: str) -> Builder:
    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        return Call("GET", template.format(key=POLICY[target]))

    return build


# the register: reads of a standing case, writes on a fresh one (made by the world's operator
# and reviewer, never by a matrix user: a reviewer may not decide a case they filed)

Standing = Callable[[Ctx, Utility], int]


def case_url(template: str, standing: Standing) -> Builder:
    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        return Call("GET", template.format(id=standing(ctx, target)))

    return build


def case_write(kind: str, template: str, body: dict[str, Any] | None = None) -> Builder:
    """POST to ``template`` with a fresh case in state ``kind`` (JSON ``body``, or none)."""

    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        url = template.format(id=ctx.fresh_case(kind, target))
        return Call("POST", url, {"json": dict(body)} if body is not None else {})

    return build


def case_form(kind: str, url: str, fields: dict[str, str]) -> Builder:
    """A multipart POST naming a fresh case as ``record_id``, with a PDF attached."""

    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        data = {"record_id": str(ctx.fresh_case(kind, target)), **fields}
        files = [("files", ("证明.pdf", PDF_BYTES, "application/pdf"))]
        return Call("POST", url, {"data": data, "files": files})

    return build


def console_case(kind: str, template: str, form: dict[str, str] | None = None) -> Builder:
    """A console form POST on a fresh case in state ``kind``; ``files``: a PDF attached."""

    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        url = template.format(id=ctx.fresh_case(kind, target))
        kwargs: dict[str, Any] = {"data": dict(form or {})}
        if url.endswith(("/objections", "/repairs")):
            kwargs["files"] = [("files", ("证明.pdf", PDF_BYTES, "application/pdf"))]
        return Call("POST", url, kwargs)

    return build


def eligibility_build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    policy = APPLICATION_POLICY[target]
    return Call("GET", f"/api/subjects/{SUBJECT[target]}/eligibility?policy={policy}")


def derive_build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    return Call("POST", "/api/records/derive", {"json": {"policy": RECORD_POLICY[target]}})


def case_status(case_type: str, status: str) -> Callable[[Ctx, Utility, bool], None]:
    """A successful write moved the fresh case (a record, objection or repair) to ``status``;
    ``repair_of``: the fresh record got a repair application in that status."""

    def check(ctx: Ctx, target: Utility, member: bool) -> None:
        case_id = ctx._cache[("last_case", target)]
        with ctx.engine.connect() as connection:
            if case_type == "repair_of":
                found = [r.status for r in repair_queries.repairs_of(connection, case_id)]
                assert found == [status], (case_id, found)
                return
            getter = {
                "record": register.get_record,
                "objection": objection_queries.get_objection,
                "repair": repair_queries.get_repair,
            }[case_type]
            case = getter(connection, case_id)
        assert case is not None and case.status == status, (case_type, case_id, case)

    return check


# credit commitments and applications

FreshMaker = Callable[[Ctx, str, Utility], int]


def fresh_write(
    fresh: FreshMaker, state: str, template: str, body: dict[str, Any] | None = None
) -> Builder:
    """POST to ``template`` with a fresh commitment or application in ``state``."""

    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        url = template.format(id=fresh(ctx, state, target))
        return Call("POST", url, {"json": dict(body)} if body is not None else {})

    return build


def meet_build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    commitment_id = ctx.fresh_commitment("obligation", target)
    with ctx.engine.connect() as connection:
        [obligation] = commitment_store.obligations_of(connection, commitment_id)
    ctx._cache[("last_obligation", target)] = obligation.id
    url = f"/api/commitments/{commitment_id}/obligations/{obligation.id}/meet"
    return Call("POST", url)


def obligation_met(ctx: Ctx, target: Utility, member: bool) -> None:
    with ctx.engine.connect() as connection:
        found = commitment_store.get_obligation(connection, ctx._cache[("last_obligation", target)])
    assert found is not None and found.status == "met", found


def make_commitment(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    body = {"subject_code": SUBJECT[target], "utility": target.value, "template": TEMPLATE[target]}
    return Call("POST", "/api/commitments", {"json": body})


def submit_application(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    body = {
        "subject_code": SUBJECT[target],
        "policy": APPLICATION_POLICY[target],
        "business": "new_connection",
        "address": f"矩阵受理路 {next(ctx.counter)} 号",
    }
    return Call("POST", "/api/applications", {"json": body})


def grant_build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    url = f"/api/subjects/{SUBJECT[target]}/entitlements/{ctx.measure(target)}/grant"
    return Call("POST", url, {"json": {"note": "已实施"}})


def zone_form(target: Utility) -> dict[str, str]:
    """A pilot zone of the utility's policy (a zone belongs to its policy's utility)."""
    return {"policy": APPLICATION_POLICY[target], "district": "示范区", "park": "示范园区"}


def put_zone(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    return Call("PUT", "/api/pilot-zones", {"json": zone_form(target)})


def console_fresh(
    fresh: FreshMaker, state: str, template: str, form: dict[str, str] | None = None
) -> Builder:
    """A console form POST on a fresh commitment or application in ``state``."""

    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        url = template.format(id=fresh(ctx, state, target))
        return Call("POST", url, {"data": dict(form or {})})

    return build


def console_meet(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    call = meet_build(ctx, actor, target)
    return Call("POST", call.url.removeprefix("/api"), {"data": {}})


def console_submit(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    form = {
        "subject": SUBJECT[target],
        "policy": APPLICATION_POLICY[target],
        "business": "new_connection",
        "address": f"控制台受理路 {next(ctx.counter)} 号",
    }
    return Call("POST", "/applications", {"data": form})


def console_new_subject(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    """A subject the store does not know, created at the counter (a new code every call)."""
    form = {"code": uscc(500 + next(ctx.counter)), "name": "矩阵新建主体有限公司"}
    return Call("POST", "/applications/new/subject", {"data": form})


def console_zone(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    return Call("POST", "/admin/zones", {"data": {**zone_form(target), "active": "true"}})


def console_user_action(action: str) -> Builder:
    """A users-page form on a fresh user of the target utility (disabled, to enable it)."""

    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        username = ctx.new_user(target, active=action != "enable")
        form = {
            "password": {"password": "another-long-pass-7"},
            "grants": {"roles": ["reviewer"], "utilities": [target.value]},
        }.get(action, {})
        return Call("POST", f"/admin/users/{username}/{action}", {"data": form})

    return build


def console_add_user(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    form = {
        "username": f"added-{next(ctx.counter)}",
        "password": "long-enough-pass-3",
        "roles": ["operator"],
        "utilities": [target.value],
    }
    return Call("POST", "/admin/users", {"data": form})


def console_grant(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    form = {"measure": ctx.measure(target), "note": "已实施"}
    return Call("POST", f"/subjects/{SUBJECT[target]}/grants", {"data": form})


def commitment_status(status: str) -> Callable[[Ctx, Utility, bool], None]:
    def check(ctx: Ctx, target: Utility, member: bool) -> None:
        with ctx.engine.connect() as connection:
            found = commitment_store.get_commitment(
                connection, ctx._cache[("last_commitment", target)]
            )
        assert found is not None and found.status == status, found

    return check


def application_status(status: str) -> Callable[[Ctx, Utility, bool], None]:
    def check(ctx: Ctx, target: Utility, member: bool) -> None:
        with ctx.engine.connect() as connection:
            found = application_store.get_application(
                connection, ctx._cache[("last_application", target)]
            )
        assert found is not None and found.status == status, found

    return check


# notices: planned by the planner as for an approved override of SUBJECT[utility] (a fresh key
# each time, outside the ids real overrides take), then moved to the state a route needs;
# standing ones for reads, fresh ones for writes (remembered for the row's effect check)

GATEWAY_TOKEN = "matrix-gateway-token"


def planned_notice(ctx: Ctx, utility: Utility, kind: str) -> int:
    """``letter``: the notice letter of a red level; ``sms``: a yellow reminder; ``call``: the
    same reminder for a subject that opted out of SMS (a phone-call task); ``failed``: the SMS
    reminder the gateway refused."""
    channel = {"letter": "letter", "sms": "sms", "call": "call", "failed": "sms"}[kind]
    code = SUBJECT[utility]
    with ctx.engine.begin() as connection:
        if kind == "call":
            notice_contacts.set_opt_out(connection, None, code, "sms", opted_out=True)
        report = planning.plan_override(
            connection,
            override_id=900_000 + next(ctx.counter),
            subject_code=code,
            policy_key=POLICY[utility],
            level="red" if kind == "letter" else "yellow",
            previous=None,
            sending=planning.Sending.of(ctx.settings.notices),
        )
        if kind == "call":
            notice_contacts.set_opt_out(connection, None, code, "sms", opted_out=False)
        [key] = [p.draft.key for p in report.planned if p.draft.channel.value == channel]
        [found] = notice_store.notices_by_key(connection, [key]).values()
        if kind == "failed":
            for action in ("claim", "reject"):
                line = notice_store.get_notice(connection, found.id)
                assert line is not None
                notice_steps.move(
                    connection, [line], action, actor="dispatcher", now=planning.utcnow()
                )
    ctx._cache[("last_notice", utility)] = found.id
    return found.id


def standing_notice(kind: str) -> Standing:
    def make(ctx: Ctx, utility: Utility) -> int:
        found: int = ctx.cached(
            ("notice", (kind, utility)), lambda: planned_notice(ctx, utility, kind)
        )
        return found

    return make


def fresh_batch(ctx: Ctx, utility: Utility) -> int:
    """A print batch (created) of a fresh letter of the utility, made by the system."""
    planned_notice(ctx, utility, "letter")
    with ctx.engine.begin() as connection:
        batch = notices.create_print_batch(connection, None, utility.value)
    ctx._cache[("last_batch", utility)] = batch.id
    return batch.id


def standing_batch(ctx: Ctx, utility: Utility) -> int:
    found: int = ctx.cached(("batch", utility), lambda: fresh_batch(ctx, utility))
    return found


def notice_write(
    kind: str, template: str, body: dict[str, Any] | None = None, *, form: bool = False
) -> Builder:
    """POST to ``template`` with a fresh notice (``kind`` as :func:`planned_notice`)."""

    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        url = template.format(id=planned_notice(ctx, target, kind))
        if form:
            return Call("POST", url, {"data": dict(body or {})})
        return Call("POST", url, {"json": dict(body)} if body is not None else {})

    return build


def notice_status(status: str) -> Callable[[Ctx, Utility, bool], None]:
    def check(ctx: Ctx, target: Utility, member: bool) -> None:
        with ctx.engine.connect() as connection:
            found = notice_store.get_notice(connection, ctx._cache[("last_notice", target)])
        assert found is not None and found.status == status, found

    return check


def batch_create(form: bool) -> Builder:
    """A fresh queued letter of the target utility, and a batch asked for there."""

    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        planned_notice(ctx, target, "letter")
        if form:
            return Call("POST", "/print-batches", {"data": {"utility": target.value}})
        return Call("POST", "/api/print-batches", {"json": {"utility": target.value, "limit": 500}})

    return build


def letters_batched(ctx: Ctx, target: Utility, member: bool) -> None:
    with ctx.engine.connect() as connection:
        assert notice_store.queued_letter_ids(connection, target.value, 10) == []


def batch_mark(form: bool) -> Builder:
    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        batch_id = fresh_batch(ctx, target)
        if form:
            return Call("POST", f"/print-batches/{batch_id}/mark", {"data": {"state": "printed"}})
        return Call("POST", f"/api/print-batches/{batch_id}/mark", {"json": {"state": "printed"}})

    return build


def batch_printed(ctx: Ctx, target: Utility, member: bool) -> None:
    with ctx.engine.connect() as connection:
        found = notice_store.get_batch(connection, ctx._cache[("last_batch", target)])
    assert found is not None and found.status == "printed", found


def preference_write(form: bool, which: str) -> Builder:
    """A contact (an e-mail address) or an opt-out (of WeChat) of SUBJECT[target]."""

    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        code = SUBJECT[target]
        if form:
            data = (
                {"channel": "email", "address": "matrix@example.cn"}
                if which == "contact"
                else {"channel": "wechat", "opted_out": "yes", "reason": "客户要求"}
            )
            url = f"/subjects/{code}/notice-{'contacts' if which == 'contact' else 'opt-outs'}"
            return Call("POST", url, {"data": data})
        if which == "contact":
            url = f"/api/subjects/{code}/notice-preferences/contacts/email"
            return Call("PUT", url, {"json": {"address": "matrix@example.cn"}})
        url = f"/api/subjects/{code}/notice-preferences/opt-outs/wechat"
        return Call("PUT", url, {"json": {"opted_out": True, "reason": "客户要求"}})

    return build


def preference_saved(which: str) -> Callable[[Ctx, Utility, bool], None]:
    def check(ctx: Ctx, target: Utility, member: bool) -> None:
        with ctx.engine.connect() as connection:
            found = {
                p.channel: p for p in notice_store.preferences(connection, ctx.subject_id(target))
            }
        if which == "contact":
            assert found["email"].address == "matrix@example.cn", found
        else:
            assert found["wechat"].opted_out, found

    return check


def receipts_build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    """The gateways' call: their token, whoever sends it (no user's credentials needed)."""
    ctx.settings.notices.receipt_token = SecretStr(GATEWAY_TOKEN)
    body = {"receipts": [{"key": "matrix-unknown", "status": "delivered"}]}
    headers = {"Authorization": f"Bearer {GATEWAY_TOKEN}"}
    return Call("POST", "/api/notices/receipts", {"json": body, "headers": headers})


def preview_build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    return Call("GET", f"/api/runs/{ctx.rating_run(target)}/notices/preview")


# the exchange: submission batches exported by the system for one utility (standing ones for
# reads); an export asked for the target utility (a member's succeeds)


def standing_export(ctx: Ctx, utility: Utility) -> int:
    def make() -> int:
        request = exchange.ExportRequest(
            catalog="zhanjiang-2022", kind="payments", as_of=today(), utilities=[utility]
        )
        with ctx.engine.begin() as connection:
            outcome = exchange.export(
                connection,
                request,
                units=ctx.settings.records.determining_units,
                root=ctx.settings.data_dir / "exchange",
                # A given clock skips the wait for the window's last second, which only an
                # incremental export after this one would need (none here).
                now=dt.datetime.now(dt.UTC),
            )
        return outcome.batch.id

    found: int = ctx.cached(("export", utility), make)
    return found


def export_build(form: bool) -> Builder:
    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        if form:
            fields = {"kind": "payments", "mode": "full", "format": "csv", "utility": target.value}
            return Call("POST", "/exports", {"data": fields})
        body = {"kind": "payments", "utility": [target.value]}
        return Call("POST", "/api/exports", {"json": body})

    return build


def exported_for(ctx: Ctx, target: Utility, member: bool) -> None:
    with ctx.engine.connect() as connection:
        newest = connection.execute(
            select(ExchangeBatchRow.utilities).order_by(ExchangeBatchRow.id.desc()).limit(1)
        ).scalar_one()
    assert newest == f",{target.value},", newest


def matrix_platform(ctx: Ctx) -> PlatformTestServer:
    """A local platform for the whole test (a daemon thread), configured in the settings."""

    def make() -> PlatformTestServer:
        platform = PlatformTestServer(token="matrix-platform")
        platform.start()
        ctx.settings.exchange.platform_url = platform.url
        ctx.settings.exchange.platform_token = SecretStr("matrix-platform")
        return platform

    found: PlatformTestServer = ctx.cached(("platform", None), make)
    return found


def fresh_export(ctx: Ctx, utility: Utility, *, sent: bool = False) -> int:
    ctx._cache.pop(("export", utility), None)
    batch_id = standing_export(ctx, utility)
    ctx._cache.pop(("export", utility), None)
    if sent:
        with ctx.engine.begin() as connection:
            submission.send(connection, batch_id, client_from(ctx.settings.exchange), actor="setup")
    ctx._cache[("last_export", utility)] = batch_id
    return batch_id


def send_build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    matrix_platform(ctx)
    return Call("POST", f"/api/batches/{fresh_export(ctx, target)}/send")


def returns_build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    matrix_platform(ctx)
    batch_id = fresh_export(ctx, target, sent=True)
    files = [("file", ("errors.csv", returned_file([]), "text/csv"))]
    return Call("POST", f"/api/batches/{batch_id}/returns", {"files": files})


def export_status(status: str) -> Callable[[Ctx, Utility, bool], None]:
    def check(ctx: Ctx, target: Utility, member: bool) -> None:
        with ctx.engine.connect() as connection:
            found = exchange.batch(connection, ctx._cache[("last_export", target)])
        assert found.status == status, found

    return check


def report_json(utility: Utility) -> bytes:
    body = {
        "subject_code": SUBJECT[utility],
        "issued_on": today().isoformat(),
        "has_dishonesty": False,
        "on_serious_list": False,
    }
    return json.dumps(body).encode()


def new_check(ctx: Ctx, utility: Utility) -> int:
    request = checks.CheckRequest(SUBJECT[utility], CheckPurpose.APPLICATION, actor="setup")
    with ctx.engine.begin() as connection:
        found = checks.check(connection, request, report_file=(report_json(utility), "report.json"))
    ctx._cache[("last_check", utility)] = found.id
    return found.id


def standing_check(ctx: Ctx, utility: Utility) -> int:
    found: int = ctx.cached(("check", utility), lambda: new_check(ctx, utility))
    return found


def check_build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    form = {"subject": SUBJECT[target], "purpose": "application"}
    files = [("file", ("report.json", report_json(target), "application/json"))]
    return Call("POST", "/api/checks", {"data": form, "files": files})


def use_build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    body = {"used_for": "granted", "note": "予以办理"}
    return Call("POST", f"/api/checks/{new_check(ctx, target)}/use", {"json": body})


def check_used(ctx: Ctx, target: Utility, member: bool) -> None:
    with ctx.engine.connect() as connection:
        found = checks.checked(connection, ctx._cache[("last_check", target)])
    assert found.used_for == "granted", found


def console_send(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    assert target is not None
    matrix_platform(ctx)
    return Call("POST", f"/batches/{fresh_export(ctx, target)}/send")


def console_returns(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    call = returns_build(ctx, actor, target)
    return Call("POST", call.url.removeprefix("/api"), call.kwargs)


def fresh_returned(ctx: Ctx, utility: Utility) -> tuple[int, int]:
    """A sent and answered batch of the utility with one returned row: (batch, row). The
    matrix's batches hold no rows, so the returned row is stored directly."""
    matrix_platform(ctx)
    batch_id = fresh_export(ctx, utility, sent=True)
    with ctx.engine.begin() as connection:
        submission.load_returns(connection, batch_id, data=returned_file([]), actor="setup")
        returned = [ReturnedError(1, "E101", "统一社会信用代码未登记")]
        tracking.insert_returned(connection, batch_id, returned, ["payment:matrix"])
        [row] = submission.returned_rows(connection, batch_id=batch_id)
    ctx._cache[("last_returned", utility)] = row.id
    return batch_id, row.id


def correct_build(form: bool) -> Builder:
    def build(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
        assert target is not None
        batch_id, row_id = fresh_returned(ctx, target)
        if form:
            url = f"/batches/{batch_id}/returned/{row_id}/correct"
            return Call("POST", url, {"data": {"note": "已核对更正"}})
        return Call("POST", f"/api/returned-rows/{row_id}/correct", {"json": {"note": "已核对"}})

    return build


def returned_corrected(ctx: Ctx, target: Utility, member: bool) -> None:
    with ctx.engine.connect() as connection:
        found = submission.returned_row(connection, ctx._cache[("last_returned", target)])
    assert found.status == "corrected", found


def console_check(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    call = check_build(ctx, actor, target)
    return Call("POST", "/checks", call.kwargs)


def console_use(ctx: Ctx, actor: str | None, target: Utility | None) -> Call:
    call = use_build(ctx, actor, target)
    return Call("POST", call.url.removeprefix("/api"), {"data": call.kwargs["json"]})


def validate_build(form: bool) -> Builder:
    header = ",".join(ZHANJIANG_2022.kind("payments").headers).encode("utf-8-sig")
    url = "/exports/validate" if form else "/api/exports/validate"
    return lambda ctx, actor, target: Call(
        "POST", url, {"files": [("file", ("payments.csv", header, "text/csv"))]}
    )


P = Permission
R, W = Scope.READ, Scope.WRITE
C_ = Scope.CREATE
C, A = Ctx.fresh_commitment, Ctx.fresh_application

API_ROWS: dict[tuple[str, str], Row] = {
    ("GET", "/api/openapi.json"): Row(Access.PUBLIC, 200, fixed("GET", "/api/openapi.json")),
    ("POST", "/api/auth/token"): Row(Access.LOGIN, 200, api_login),
    ("POST", "/api/auth/revoke"): Row(Access.SIGNED_IN, 204, fixed("POST", "/api/auth/revoke")),
    ("GET", "/api/me"): Row(Access.SIGNED_IN, 200, fixed("GET", "/api/me")),
    ("GET", "/api/subjects"): Row(Access.PERMISSION, 200, fixed("GET", "/api/subjects"), P.READ),
    ("GET", "/api/subjects/{code}"): Row(
        Access.PERMISSION, 200, subject_url("/api/subjects/{code}"), P.READ, R
    ),
    ("GET", "/api/subjects/{code}/bills"): Row(
        Access.PERMISSION, 200, subject_url("/api/subjects/{code}/bills"), P.READ, R
    ),
    ("GET", "/api/subjects/{code}/payments"): Row(
        Access.PERMISSION, 200, subject_url("/api/subjects/{code}/payments"), P.READ, R
    ),
    ("GET", "/api/subjects/{code}/incidents"): Row(
        Access.PERMISSION, 200, subject_url("/api/subjects/{code}/incidents"), P.READ, R
    ),
    ("GET", "/api/subjects/{code}/rating"): Row(
        Access.PERMISSION, 200, subject_url("/api/subjects/{code}/rating"), P.READ, R
    ),
    ("POST", "/api/subjects/{code}/overrides"): Row(
        Access.PERMISSION, 201, request_override(console=False), P.REQUEST_OVERRIDE, W
    ),
    ("GET", "/api/accounts"): Row(Access.PERMISSION, 200, fixed("GET", "/api/accounts"), P.READ),
    ("GET", "/api/rating-runs"): Row(
        Access.PERMISSION, 200, fixed("GET", "/api/rating-runs"), P.READ
    ),
    ("GET", "/api/rating-runs/{run_id}"): Row(Access.PERMISSION, 200, run_url, P.READ, R),
    ("GET", "/api/stats/levels"): Row(
        Access.PERMISSION, 200, fixed("GET", "/api/stats/levels"), P.READ
    ),
    ("POST", "/api/imports"): Row(
        Access.PERMISSION, 200, upload_build, P.IMPORT, Scope.CONTENT, effect=upload_effect
    ),
    ("GET", "/api/imports"): Row(Access.PERMISSION, 200, fixed("GET", "/api/imports"), P.IMPORT),
    ("GET", "/api/imports/{run_id}"): Row(Access.PERMISSION, 200, import_run_url(""), P.IMPORT, R),
    ("GET", "/api/imports/{run_id}/rejects.csv"): Row(
        Access.PERMISSION, 200, import_run_url("/rejects.csv"), P.IMPORT, R
    ),
    ("GET", "/api/imports/uploads/{upload_id}/rejects.csv"): Row(
        Access.PERMISSION, 200, upload_rejects, P.IMPORT, R
    ),
    ("GET", "/api/policies"): Row(Access.PERMISSION, 200, fixed("GET", "/api/policies"), P.READ),
    ("GET", "/api/policies/{key}"): Row(
        Access.PERMISSION, 200, policy_url("/api/policies/{key}"), P.READ, Scope.CONTENT
    ),
    ("GET", "/api/policies/{key}/criteria"): Row(
        Access.PERMISSION, 200, policy_url("/api/policies/{key}/criteria"), P.READ, Scope.CONTENT
    ),
    ("GET", "/api/overrides"): Row(Access.PERMISSION, 200, fixed("GET", "/api/overrides"), P.READ),
    ("GET", "/api/overrides/{override_id}"): Row(Access.PERMISSION, 200, override_url, P.READ, R),
    ("POST", "/api/overrides/{override_id}/approve"): Row(
        Access.PERMISSION, 200, decide("approve"), P.DECIDE_OVERRIDE, W
    ),
    ("POST", "/api/overrides/{override_id}/reject"): Row(
        Access.PERMISSION, 200, decide("reject"), P.DECIDE_OVERRIDE, W
    ),
    ("POST", "/api/overrides/{override_id}/withdraw"): Row(
        Access.PERMISSION, 200, decide("withdraw"), P.REQUEST_OVERRIDE, W
    ),
    ("GET", "/api/users"): Row(Access.PERMISSION, 200, fixed("GET", "/api/users"), P.MANAGE_USERS),
    ("POST", "/api/users"): Row(Access.PERMISSION, 201, add_user, P.MANAGE_USERS, Scope.CREATE),
    ("POST", "/api/users/{username}/disable"): Row(
        Access.PERMISSION, 200, user_action("disable"), P.MANAGE_USERS, W
    ),
    ("POST", "/api/users/{username}/enable"): Row(
        Access.PERMISSION, 200, user_action("enable"), P.MANAGE_USERS, W
    ),
    ("POST", "/api/users/{username}/reset-password"): Row(
        Access.PERMISSION, 200, user_action("reset-password"), P.MANAGE_USERS, W
    ),
    ("POST", "/api/users/{username}/unlock"): Row(
        Access.PERMISSION, 200, user_action("unlock"), P.MANAGE_USERS, W
    ),
    ("GET", "/api/audit"): Row(Access.PERMISSION, 200, fixed("GET", "/api/audit"), P.READ_AUDIT),
    ("GET", "/api/reports/monthly"): Row(
        Access.PERMISSION, 200, fixed("GET", "/api/reports/monthly?month=2026-11"), P.READ
    ),
    ("GET", "/api/reports/monthly.xlsx"): Row(
        Access.PERMISSION, 200, fixed("GET", "/api/reports/monthly.xlsx?month=2026-11"), P.READ
    ),
    # the dishonesty-record register
    ("GET", "/api/records"): Row(Access.PERMISSION, 200, fixed("GET", "/api/records"), P.READ),
    ("POST", "/api/records/derive"): Row(Access.PERMISSION, 200, derive_build, P.FILE_CASE, W),
    ("GET", "/api/records/{record_id}"): Row(
        Access.PERMISSION, 200, case_url("/api/records/{id}", Ctx.standing_record), P.READ, R
    ),
    ("GET", "/api/records/{record_id}/repair-commitment"): Row(
        Access.PERMISSION,
        200,
        # HTML: the same route and checks without a PDF render per call (the PDF: records API)
        case_url("/api/records/{id}/repair-commitment?format=html", Ctx.standing_record),
        P.READ,
        R,
    ),
    ("POST", "/api/records/{record_id}/confirm"): Row(
        Access.PERMISSION,
        200,
        case_write("candidate", "/api/records/{id}/confirm", {"note": "证据确实"}),
        P.DECIDE_CASE,
        W,
        effect=case_status("record", "published"),
    ),
    ("POST", "/api/records/{record_id}/dismiss"): Row(
        Access.PERMISSION,
        200,
        case_write("candidate", "/api/records/{id}/dismiss", {"reason": "证据不足，不予认定"}),
        P.DECIDE_CASE,
        W,
        effect=case_status("record", "dismissed"),
    ),
    ("GET", "/api/attachments/{attachment_id}"): Row(
        Access.PERMISSION,
        200,
        case_url("/api/attachments/{id}", Ctx.standing_attachment),
        P.READ,
        R,
    ),
    ("GET", "/api/objections"): Row(
        Access.PERMISSION, 200, fixed("GET", "/api/objections"), P.READ
    ),
    ("POST", "/api/objections"): Row(
        Access.PERMISSION,
        201,
        case_form("published", "/api/objections", {"reason": "事件认定有误，系表计故障"}),
        P.FILE_CASE,
        W,
        effect=case_status("record", "under_objection"),
    ),
    ("GET", "/api/objections/{objection_id}"): Row(
        Access.PERMISSION, 200, case_url("/api/objections/{id}", Ctx.standing_objection), P.READ, R
    ),
    ("POST", "/api/objections/{objection_id}/decision"): Row(
        Access.PERMISSION,
        200,
        case_write(
            "objection",
            "/api/objections/{id}/decision",
            {"decision": "uphold", "note": "经核实，原记录无误"},
        ),
        P.DECIDE_CASE,
        W,
        effect=case_status("objection", "upheld"),
    ),
    ("POST", "/api/objections/{objection_id}/withdraw"): Row(
        Access.PERMISSION,
        200,
        case_write("objection", "/api/objections/{id}/withdraw"),
        P.FILE_CASE,
        W,
        effect=case_status("objection", "withdrawn"),
    ),
    ("GET", "/api/repairs"): Row(Access.PERMISSION, 200, fixed("GET", "/api/repairs"), P.READ),
    ("POST", "/api/repairs"): Row(
        Access.PERMISSION,
        201,
        case_form(
            "published",
            "/api/repairs",
            {
                "statement": "已停止违法行为并补缴全部费用",
                "commitment_signed_on": COMMITMENT_SIGNED_ON.isoformat(),
            },
        ),
        P.FILE_CASE,
        W,
        effect=case_status("repair_of", "submitted"),
    ),
    ("GET", "/api/repairs/{repair_id}"): Row(
        Access.PERMISSION, 200, case_url("/api/repairs/{id}", Ctx.standing_repair), P.READ, R
    ),
    ("POST", "/api/repairs/{repair_id}/accept"): Row(
        Access.PERMISSION,
        200,
        case_write("submitted", "/api/repairs/{id}/accept"),
        P.DECIDE_CASE,
        W,
        effect=case_status("repair", "accepted"),
    ),
    ("POST", "/api/repairs/{repair_id}/decision"): Row(
        Access.PERMISSION,
        200,
        case_write(
            "accepted",
            "/api/repairs/{id}/decision",
            {"decision": "rejected", "note": "证明材料不足以证明已纠正"},
        ),
        P.DECIDE_CASE,
        W,
        effect=case_status("repair", "decided"),
    ),
    ("POST", "/api/repairs/{repair_id}/close"): Row(
        Access.PERMISSION,
        200,
        case_write("decided", "/api/repairs/{id}/close"),
        P.DECIDE_CASE,
        W,
        effect=case_status("repair", "closed"),
    ),
    ("POST", "/api/repairs/{repair_id}/withdraw"): Row(
        Access.PERMISSION,
        200,
        case_write("submitted", "/api/repairs/{id}/withdraw"),
        P.FILE_CASE,
        W,
        effect=case_status("repair", "withdrawn"),
    ),
    # credit commitments
    ("GET", "/api/commitment-templates"): Row(
        Access.PERMISSION, 200, fixed("GET", "/api/commitment-templates"), P.READ
    ),
    ("GET", "/api/commitments"): Row(
        Access.PERMISSION, 200, fixed("GET", "/api/commitments"), P.READ
    ),
    ("POST", "/api/commitments"): Row(Access.PERMISSION, 201, make_commitment, P.FILE_CASE, W),
    ("GET", "/api/commitments/obligations-due"): Row(
        Access.PERMISSION, 200, fixed("GET", "/api/commitments/obligations-due"), P.READ
    ),
    ("GET", "/api/commitments/{ref}"): Row(
        Access.PERMISSION,
        200,
        case_url("/api/commitments/{id}", Ctx.standing_commitment),
        P.READ,
        R,
    ),
    ("GET", "/api/commitments/{ref}/document"): Row(
        Access.PERMISSION,
        200,
        # HTML: the same route and checks without a PDF render per call (the PDF: its own test)
        case_url("/api/commitments/{id}/document?format=html", Ctx.standing_commitment),
        P.READ,
        R,
    ),
    ("POST", "/api/commitments/{ref}/accept"): Row(
        Access.PERMISSION,
        200,
        fresh_write(C, "made", "/api/commitments/{id}/accept"),
        P.FILE_CASE,
        W,
        effect=commitment_status("in_force"),
    ),
    ("POST", "/api/commitments/{ref}/fulfil"): Row(
        Access.PERMISSION,
        200,
        fresh_write(C, "in_force", "/api/commitments/{id}/fulfil", {"note": "已履行"}),
        P.FILE_CASE,
        W,
        effect=commitment_status("fulfilled"),
    ),
    ("POST", "/api/commitments/{ref}/breach"): Row(
        Access.PERMISSION,
        200,
        fresh_write(
            C, "in_force", "/api/commitments/{id}/breach", {"unfulfilled": "未按期履行承诺"}
        ),
        P.DECIDE_CASE,
        W,
        effect=commitment_status("breached"),
    ),
    ("POST", "/api/commitments/{ref}/withdraw"): Row(
        Access.PERMISSION,
        200,
        fresh_write(C, "made", "/api/commitments/{id}/withdraw", {"reason": "申请人撤回"}),
        P.FILE_CASE,
        W,
        effect=commitment_status("withdrawn"),
    ),
    ("POST", "/api/commitments/{ref}/obligations/{obligation_id}/meet"): Row(
        Access.PERMISSION, 200, meet_build, P.FILE_CASE, W, effect=obligation_met
    ),
    # credit-based applications and pilot zones
    ("GET", "/api/applications"): Row(
        Access.PERMISSION, 200, fixed("GET", "/api/applications"), P.READ
    ),
    ("POST", "/api/applications"): Row(Access.PERMISSION, 201, submit_application, P.FILE_CASE, W),
    ("GET", "/api/applications/{application_id}"): Row(
        Access.PERMISSION,
        200,
        case_url("/api/applications/{id}", Ctx.standing_application),
        P.READ,
        R,
    ),
    ("POST", "/api/applications/{application_id}/survey"): Row(
        Access.PERMISSION,
        200,
        fresh_write(A, "applied", "/api/applications/{id}/survey"),
        P.FILE_CASE,
        W,
        effect=application_status("surveyed"),
    ),
    ("POST", "/api/applications/{application_id}/check"): Row(
        Access.PERMISSION,
        200,
        fresh_write(A, "surveyed", "/api/applications/{id}/check"),
        P.FILE_CASE,
        W,
        effect=application_status("credit_checked"),
    ),
    ("POST", "/api/applications/{application_id}/sign"): Row(
        Access.PERMISSION,
        200,
        fresh_write(A, "credit_checked", "/api/applications/{id}/sign"),
        P.FILE_CASE,
        W,
        effect=application_status("commitment_signed"),
    ),
    ("POST", "/api/applications/{application_id}/accept"): Row(
        Access.PERMISSION,
        200,
        fresh_write(A, "commitment_signed", "/api/applications/{id}/accept"),
        P.FILE_CASE,
        W,
        effect=application_status("accepted"),
    ),
    ("POST", "/api/applications/{application_id}/connect"): Row(
        Access.PERMISSION,
        200,
        fresh_write(A, "accepted", "/api/applications/{id}/connect"),
        P.FILE_CASE,
        W,
        effect=application_status("connected"),
    ),
    ("POST", "/api/applications/{application_id}/reject"): Row(
        Access.PERMISSION,
        200,
        fresh_write(A, "applied", "/api/applications/{id}/reject", {"reason": "材料不全"}),
        P.FILE_CASE,
        W,
        effect=application_status("rejected"),
    ),
    ("POST", "/api/applications/{application_id}/withdraw"): Row(
        Access.PERMISSION,
        200,
        fresh_write(A, "applied", "/api/applications/{id}/withdraw"),
        P.FILE_CASE,
        W,
        effect=application_status("withdrawn"),
    ),
    ("GET", "/api/pilot-zones"): Row(
        Access.PERMISSION, 200, fixed("GET", "/api/pilot-zones?policy=zhanjiang-power"), P.READ
    ),
    ("PUT", "/api/pilot-zones"): Row(
        Access.PERMISSION, 200, put_zone, P.MANAGE_USERS, Scope.CREATE
    ),
    # the measures that apply to a subject, and their grants
    ("GET", "/api/subjects/{code}/eligibility"): Row(
        Access.PERMISSION, 200, eligibility_build, P.READ, R
    ),
    ("GET", "/api/subjects/{code}/entitlements"): Row(
        Access.PERMISSION, 200, subject_url("/api/subjects/{code}/entitlements"), P.READ, R
    ),
    ("POST", "/api/subjects/{code}/entitlements/{measure}/grant"): Row(
        Access.PERMISSION, 201, grant_build, P.FILE_CASE, W
    ),
    ("GET", "/api/subjects/{code}/grants"): Row(
        Access.PERMISSION, 200, subject_url("/api/subjects/{code}/grants"), P.READ, R
    ),
    # notices: the outbox, print batches, a run's preview, preferences, delivery receipts
    ("GET", "/api/notices"): Row(Access.PERMISSION, 200, fixed("GET", "/api/notices"), P.READ),
    ("GET", "/api/notices/summary"): Row(
        Access.PERMISSION, 200, fixed("GET", "/api/notices/summary"), P.READ
    ),
    # the gateways' own route: their token, no user's credentials (a user's token is not it)
    ("POST", "/api/notices/receipts"): Row(Access.PUBLIC, 200, receipts_build),
    ("GET", "/api/notices/{notice_id}"): Row(
        Access.PERMISSION, 200, case_url("/api/notices/{id}", standing_notice("sms")), P.READ, R
    ),
    ("POST", "/api/notices/{notice_id}/resend"): Row(
        Access.PERMISSION,
        200,
        notice_write("failed", "/api/notices/{id}/resend", {"recipient": "13900002222"}),
        P.FILE_CASE,
        W,
        effect=notice_status("queued"),
    ),
    ("POST", "/api/notices/{notice_id}/cancel"): Row(
        Access.PERMISSION,
        200,
        notice_write("sms", "/api/notices/{id}/cancel", {"reason": "客户已缴清欠费"}),
        P.FILE_CASE,
        W,
        effect=notice_status("cancelled"),
    ),
    ("POST", "/api/notices/{notice_id}/call"): Row(
        Access.PERMISSION,
        200,
        notice_write("call", "/api/notices/{id}/call", {"reached": True}),
        P.FILE_CASE,
        W,
        effect=notice_status("delivered"),
    ),
    ("GET", "/api/notices/{notice_id}/letter.pdf"): Row(
        Access.PERMISSION,
        200,
        case_url("/api/notices/{id}/letter.pdf", standing_notice("letter")),
        P.VIEW_UNMASKED,
        R,
    ),
    ("GET", "/api/runs/{run_id}/notices/preview"): Row(
        Access.PERMISSION, 200, preview_build, P.READ, R
    ),
    ("GET", "/api/print-batches"): Row(
        Access.PERMISSION, 200, fixed("GET", "/api/print-batches"), P.READ
    ),
    # Scope WRITE, not CREATE: another utility's batch is refused like its notices (404).
    ("POST", "/api/print-batches"): Row(
        Access.PERMISSION, 201, batch_create(form=False), P.FILE_CASE, W, effect=letters_batched
    ),
    ("GET", "/api/print-batches/{batch_id}"): Row(
        Access.PERMISSION, 200, case_url("/api/print-batches/{id}", standing_batch), P.READ, R
    ),
    ("POST", "/api/print-batches/{batch_id}/mark"): Row(
        Access.PERMISSION, 200, batch_mark(form=False), P.FILE_CASE, W, effect=batch_printed
    ),
    ("GET", "/api/print-batches/{batch_id}/letters.pdf"): Row(
        Access.PERMISSION,
        200,
        case_url("/api/print-batches/{id}/letters.pdf", standing_batch),
        P.VIEW_UNMASKED,
        R,
    ),
    ("GET", "/api/print-batches/{batch_id}/print-list.csv"): Row(
        Access.PERMISSION,
        200,
        case_url("/api/print-batches/{id}/print-list.csv", standing_batch),
        P.VIEW_UNMASKED,
        R,
    ),
    ("GET", "/api/subjects/{code}/notices"): Row(
        Access.PERMISSION, 200, subject_url("/api/subjects/{code}/notices"), P.READ, R
    ),
    ("GET", "/api/subjects/{code}/notice-preferences"): Row(
        Access.PERMISSION, 200, subject_url("/api/subjects/{code}/notice-preferences"), P.READ, R
    ),
    ("PUT", "/api/subjects/{code}/notice-preferences/contacts/{channel}"): Row(
        Access.PERMISSION,
        200,
        preference_write(form=False, which="contact"),
        P.FILE_CASE,
        W,
        effect=preference_saved("contact"),
    ),
    ("PUT", "/api/subjects/{code}/notice-preferences/opt-outs/{channel}"): Row(
        Access.PERMISSION,
        200,
        preference_write(form=False, which="opt-out"),
        P.FILE_CASE,
        W,
        effect=preference_saved("opt-out"),
    ),
    # the exchange: an export creates in the target utility (a member's only, else 403)
    ("POST", "/api/exports"): Row(
        Access.PERMISSION, 201, export_build(form=False), P.EXCHANGE, C_, effect=exported_for
    ),
    ("POST", "/api/exports/validate"): Row(
        Access.PERMISSION, 200, validate_build(form=False), P.EXCHANGE
    ),
    ("GET", "/api/batches"): Row(Access.PERMISSION, 200, fixed("GET", "/api/batches"), P.READ),
    ("GET", "/api/batches/{batch_id}"): Row(
        Access.PERMISSION, 200, case_url("/api/batches/{id}", standing_export), P.READ, R
    ),
    ("GET", "/api/batches/errors"): Row(
        Access.PERMISSION, 200, fixed("GET", "/api/batches/errors?month=2026-11"), P.READ
    ),
    ("POST", "/api/returned-rows/{returned_row_id}/correct"): Row(
        Access.PERMISSION, 200, correct_build(form=False), P.EXCHANGE, W, effect=returned_corrected
    ),
    ("POST", "/api/batches/{batch_id}/send"): Row(
        Access.PERMISSION, 200, send_build, P.EXCHANGE, W, effect=export_status("sent")
    ),
    ("POST", "/api/batches/{batch_id}/returns"): Row(
        Access.PERMISSION, 200, returns_build, P.EXCHANGE, W, effect=export_status("accepted")
    ),
    ("GET", "/api/batches/{batch_id}/returns"): Row(
        Access.PERMISSION, 200, case_url("/api/batches/{id}/returns", standing_export), P.READ, R
    ),
    ("GET", "/api/checks"): Row(Access.PERMISSION, 200, fixed("GET", "/api/checks"), P.READ),
    # WRITE: another utility's subject is not found (404) before the check is refused
    ("POST", "/api/checks"): Row(Access.PERMISSION, 201, check_build, P.EXCHANGE, W),
    ("GET", "/api/checks/{check_id}"): Row(
        Access.PERMISSION, 200, case_url("/api/checks/{id}", standing_check), P.READ, R
    ),
    ("POST", "/api/checks/{check_id}/use"): Row(
        Access.PERMISSION, 200, use_build, P.EXCHANGE, W, effect=check_used
    ),
    ("GET", "/api/batches/{batch_id}/files/{role}"): Row(
        Access.PERMISSION,
        200,
        case_url("/api/batches/{id}/files/data", standing_export),
        P.EXCHANGE,
        R,
    ),
}


def page(
    access: Access,
    ok: int,
    build: Builder,
    permission: Permission | None = None,
    scope: Scope = Scope.NONE,
    *,
    audited_404: bool = True,
    effect: Callable[[Ctx, Utility, bool], None] | None = None,
) -> Row:
    """A console route's row (credentials: a session cookie with its CSRF token)."""
    return Row(
        access, ok, build, permission, scope, console=True, audited_404=audited_404, effect=effect
    )


CONSOLE_ROWS: dict[tuple[str, str], Row] = {
    ("GET", "/docs"): page(Access.PUBLIC, 200, fixed("GET", "/docs")),
    ("MOUNT", "/static"): page(Access.PUBLIC, 200, fixed("GET", "/static/favicon.svg")),
    ("GET", "/lang/{lang}"): page(Access.PUBLIC, 303, fixed("GET", "/lang/en?next=/")),
    ("GET", "/login"): page(Access.PUBLIC, 200, fixed("GET", "/login")),
    # The public disclosure site (docs/disclosure.md): no login, the published view only.
    ("GET", "/public/"): page(Access.PUBLIC, 200, fixed("GET", "/public/")),
    ("GET", "/public/policies/{key}"): page(
        Access.PUBLIC, 200, fixed("GET", "/public/policies/lianshui-water")
    ),
    ("GET", "/public/commitments"): page(Access.PUBLIC, 200, fixed("GET", "/public/commitments")),
    ("GET", "/public/records"): page(Access.PUBLIC, 200, fixed("GET", "/public/records")),
    ("GET", "/public/lookup"): page(
        Access.PUBLIC, 200, fixed("GET", "/public/lookup?q=91320826MA1XXXXX0X")
    ),
    ("POST", "/login"): page(Access.LOGIN, 303, console_login),
    ("POST", "/logout"): page(Access.SIGNED_IN, 303, fixed("POST", "/logout")),
    ("GET", "/"): page(Access.PERMISSION, 200, fixed("GET", "/"), P.READ),
    ("GET", "/subjects"): page(Access.PERMISSION, 200, fixed("GET", "/subjects?q=W"), P.READ),
    ("GET", "/subjects/by-id/{subject_id}"): page(Access.PERMISSION, 303, by_id_url, P.READ, R),
    ("GET", "/subjects/{code}"): page(
        Access.PERMISSION, 200, subject_url("/subjects/{code}"), P.READ, R
    ),
    ("GET", "/subjects/{code}/table/{table}"): page(
        Access.PERMISSION, 200, subject_url("/subjects/{code}/table/bills"), P.READ, R
    ),
    ("GET", "/subjects/{code}/evidence"): page(
        Access.PERMISSION,
        200,
        subject_url("/subjects/{code}/evidence?kind=account&ref={account}"),
        P.READ,
        R,
    ),
    ("GET", "/subjects/{code}/notice"): page(
        Access.PERMISSION, 200, subject_url("/subjects/{code}/notice"), P.READ, R
    ),
    ("POST", "/subjects/{code}/overrides"): page(
        Access.PERMISSION, 303, request_override(console=True), P.REQUEST_OVERRIDE, W
    ),
    ("GET", "/overrides"): page(Access.PERMISSION, 200, fixed("GET", "/overrides"), P.READ),
    ("POST", "/overrides/{override_id}/{decision}"): page(
        Access.PERMISSION, 303, decide("approve", console=True), P.DECIDE_OVERRIDE, W
    ),
    ("GET", "/imports"): page(Access.PERMISSION, 200, fixed("GET", "/imports"), P.IMPORT),
    ("POST", "/imports"): page(Access.PERMISSION, 200, console_import, P.IMPORT),
    ("GET", "/imports/jobs/{upload_id}"): page(
        Access.PERMISSION, 200, console_job, P.IMPORT, R, audited_404=False
    ),
    ("GET", "/runs"): page(Access.PERMISSION, 200, fixed("GET", "/runs"), P.READ),
    # the lists and the rating runs' pages (web/search.py, web/runs.py): a run of another
    # utility is not found; a run is started by an importer of the policy's utility
    ("GET", "/subjects/export.xlsx"): page(
        Access.PERMISSION, 200, fixed("GET", "/subjects/export.xlsx?level=black"), P.READ
    ),
    ("GET", "/lists/red-black"): page(
        Access.PERMISSION, 200, fixed("GET", "/lists/red-black"), P.READ
    ),
    ("GET", "/lists/red-black/export.xlsx"): page(
        Access.PERMISSION, 200, fixed("GET", "/lists/red-black/export.xlsx"), P.READ
    ),
    ("POST", "/runs"): page(Access.PERMISSION, 303, console_start_run, P.IMPORT, C_),
    ("GET", "/runs/{run_id}"): page(
        Access.PERMISSION, 200, console_run_url("/runs/{id}"), P.READ, R
    ),
    ("GET", "/runs/compare"): page(
        Access.PERMISSION, 200, console_run_url("/runs/compare?a={id}&b={id}"), P.READ, R
    ),
    # Supervision reports: each reader gets the utilities it reads (another one: 403, in
    # tests/e2e/api/test_reports_api.py).
    ("GET", "/reports/monthly"): page(
        Access.PERMISSION, 200, fixed("GET", "/reports/monthly?month=2026-11"), P.READ
    ),
    ("GET", "/policies"): page(Access.PERMISSION, 200, fixed("GET", "/policies"), P.READ),
    # the dishonesty-record register's pages and forms (each form answers with a redirect)
    ("GET", "/records"): page(Access.PERMISSION, 200, fixed("GET", "/records"), P.READ),
    ("GET", "/records/queue"): page(Access.PERMISSION, 200, fixed("GET", "/records/queue"), P.READ),
    ("GET", "/records/{record_id}"): page(
        Access.PERMISSION, 200, case_url("/records/{id}", Ctx.standing_record), P.READ, R
    ),
    ("POST", "/records/{record_id}/confirm"): page(
        Access.PERMISSION,
        303,
        console_case("candidate", "/records/{id}/confirm", {"note": "证据确实"}),
        P.DECIDE_CASE,
        W,
        effect=case_status("record", "published"),
    ),
    ("POST", "/records/{record_id}/dismiss"): page(
        Access.PERMISSION,
        303,
        console_case("candidate", "/records/{id}/dismiss", {"reason": "证据不足，不予认定"}),
        P.DECIDE_CASE,
        W,
        effect=case_status("record", "dismissed"),
    ),
    ("POST", "/records/{record_id}/objections"): page(
        Access.PERMISSION,
        303,
        console_case("published", "/records/{id}/objections", {"reason": "事件认定有误"}),
        P.FILE_CASE,
        W,
        effect=case_status("record", "under_objection"),
    ),
    ("POST", "/records/{record_id}/repairs"): page(
        Access.PERMISSION,
        303,
        console_case(
            "published",
            "/records/{id}/repairs",
            {
                "statement": "已停止违法行为并补缴全部费用",
                "commitment_signed_on": COMMITMENT_SIGNED_ON.isoformat(),
            },
        ),
        P.FILE_CASE,
        W,
        effect=case_status("repair_of", "submitted"),
    ),
    ("POST", "/objections/{objection_id}/decision"): page(
        Access.PERMISSION,
        303,
        console_case(
            "objection",
            "/objections/{id}/decision",
            {"decision": "uphold", "note": "经核实，原记录无误"},
        ),
        P.DECIDE_CASE,
        W,
        effect=case_status("objection", "upheld"),
    ),
    ("POST", "/objections/{objection_id}/withdraw"): page(
        Access.PERMISSION,
        303,
        console_case("objection", "/objections/{id}/withdraw"),
        P.FILE_CASE,
        W,
        effect=case_status("objection", "withdrawn"),
    ),
    ("POST", "/repairs/{repair_id}/accept"): page(
        Access.PERMISSION,
        303,
        console_case("submitted", "/repairs/{id}/accept"),
        P.DECIDE_CASE,
        W,
        effect=case_status("repair", "accepted"),
    ),
    ("POST", "/repairs/{repair_id}/decision"): page(
        Access.PERMISSION,
        303,
        console_case(
            "accepted",
            "/repairs/{id}/decision",
            {"decision": "rejected", "note": "证明材料不足以证明已纠正"},
        ),
        P.DECIDE_CASE,
        W,
        effect=case_status("repair", "decided"),
    ),
    ("POST", "/repairs/{repair_id}/close"): page(
        Access.PERMISSION,
        303,
        console_case("decided", "/repairs/{id}/close"),
        P.DECIDE_CASE,
        W,
        effect=case_status("repair", "closed"),
    ),
    ("POST", "/repairs/{repair_id}/withdraw"): page(
        Access.PERMISSION,
        303,
        console_case("submitted", "/repairs/{id}/withdraw"),
        P.FILE_CASE,
        W,
        effect=case_status("repair", "withdrawn"),
    ),
    ("GET", "/policies/{key}"): page(
        Access.PERMISSION, 200, policy_url("/policies/{key}"), P.READ, Scope.CONTENT
    ),
    # the counter: credit-based applications, commitments, pilot zones, measures granted
    ("GET", "/applications"): page(Access.PERMISSION, 200, fixed("GET", "/applications"), P.READ),
    ("GET", "/applications/new"): page(
        Access.PERMISSION, 200, fixed("GET", "/applications/new"), P.FILE_CASE
    ),
    ("POST", "/applications/new/subject"): page(
        Access.PERMISSION, 303, console_new_subject, P.FILE_CASE
    ),
    ("POST", "/applications"): page(Access.PERMISSION, 303, console_submit, P.FILE_CASE, W),
    ("GET", "/applications/{application_id}"): page(
        Access.PERMISSION, 200, case_url("/applications/{id}", Ctx.standing_application), P.READ, R
    ),
    ("GET", "/applications/{application_id}/letter"): page(
        Access.PERMISSION,
        200,
        case_url("/applications/{id}/letter?format=html", Ctx.standing_application),
        P.READ,
        R,
    ),
    ("POST", "/applications/{application_id}/survey"): page(
        Access.PERMISSION,
        303,
        console_fresh(A, "applied", "/applications/{id}/survey"),
        P.FILE_CASE,
        W,
        effect=application_status("surveyed"),
    ),
    ("POST", "/applications/{application_id}/check"): page(
        Access.PERMISSION,
        303,
        console_fresh(A, "surveyed", "/applications/{id}/check"),
        P.FILE_CASE,
        W,
        effect=application_status("credit_checked"),
    ),
    ("POST", "/applications/{application_id}/sign"): page(
        Access.PERMISSION,
        303,
        console_fresh(A, "credit_checked", "/applications/{id}/sign"),
        P.FILE_CASE,
        W,
        effect=application_status("commitment_signed"),
    ),
    ("POST", "/applications/{application_id}/accept"): page(
        Access.PERMISSION,
        303,
        console_fresh(A, "commitment_signed", "/applications/{id}/accept"),
        P.FILE_CASE,
        W,
        effect=application_status("accepted"),
    ),
    ("POST", "/applications/{application_id}/connect"): page(
        Access.PERMISSION,
        303,
        console_fresh(
            A, "accepted", "/applications/{id}/connect", {"connected_on": today().isoformat()}
        ),
        P.FILE_CASE,
        W,
        effect=application_status("connected"),
    ),
    ("POST", "/applications/{application_id}/reject"): page(
        Access.PERMISSION,
        303,
        console_fresh(A, "applied", "/applications/{id}/reject", {"reason": "材料不全"}),
        P.FILE_CASE,
        W,
        effect=application_status("rejected"),
    ),
    ("POST", "/applications/{application_id}/withdraw"): page(
        Access.PERMISSION,
        303,
        console_fresh(A, "applied", "/applications/{id}/withdraw"),
        P.FILE_CASE,
        W,
        effect=application_status("withdrawn"),
    ),
    ("GET", "/commitments"): page(Access.PERMISSION, 200, fixed("GET", "/commitments"), P.READ),
    ("GET", "/commitments/{commitment_id}"): page(
        Access.PERMISSION, 200, case_url("/commitments/{id}", Ctx.standing_commitment), P.READ, R
    ),
    ("GET", "/commitments/{commitment_id}/document"): page(
        Access.PERMISSION,
        200,
        case_url("/commitments/{id}/document?format=html", Ctx.standing_commitment),
        P.READ,
        R,
    ),
    ("POST", "/commitments/{commitment_id}/accept"): page(
        Access.PERMISSION,
        303,
        console_fresh(C, "made", "/commitments/{id}/accept"),
        P.FILE_CASE,
        W,
        effect=commitment_status("in_force"),
    ),
    ("POST", "/commitments/{commitment_id}/fulfil"): page(
        Access.PERMISSION,
        303,
        console_fresh(C, "in_force", "/commitments/{id}/fulfil"),
        P.FILE_CASE,
        W,
        effect=commitment_status("fulfilled"),
    ),
    ("POST", "/commitments/{commitment_id}/breach"): page(
        Access.PERMISSION,
        303,
        console_fresh(C, "in_force", "/commitments/{id}/breach", {"unfulfilled": "未按期履行"}),
        P.DECIDE_CASE,
        W,
        effect=commitment_status("breached"),
    ),
    ("POST", "/commitments/{commitment_id}/withdraw"): page(
        Access.PERMISSION,
        303,
        console_fresh(C, "made", "/commitments/{id}/withdraw", {"reason": "申请人撤回"}),
        P.FILE_CASE,
        W,
        effect=commitment_status("withdrawn"),
    ),
    ("POST", "/commitments/{commitment_id}/obligations/{obligation_id}/meet"): page(
        Access.PERMISSION, 303, console_meet, P.FILE_CASE, W, effect=obligation_met
    ),
    ("GET", "/admin/zones"): page(
        Access.PERMISSION, 200, fixed("GET", "/admin/zones"), P.MANAGE_USERS
    ),
    ("POST", "/admin/zones"): page(
        Access.PERMISSION, 303, console_zone, P.MANAGE_USERS, Scope.CREATE
    ),
    # users and the audit log (admin pages)
    ("GET", "/admin/users"): page(
        Access.PERMISSION, 200, fixed("GET", "/admin/users"), P.MANAGE_USERS
    ),
    ("POST", "/admin/users"): page(
        Access.PERMISSION, 303, console_add_user, P.MANAGE_USERS, Scope.CREATE
    ),
    **{
        ("POST", f"/admin/users/{{username}}/{action}"): page(
            Access.PERMISSION, 303, console_user_action(action), P.MANAGE_USERS, W
        )
        for action in ("disable", "enable", "password", "grants", "unlock")
    },
    **{
        ("GET", url): page(Access.PERMISSION, 200, fixed("GET", url), P.READ_AUDIT)
        for url in ("/admin/audit", "/admin/audit/export.xlsx", "/admin/audit/export.csv")
    },
    ("POST", "/subjects/{code}/grants"): page(
        Access.PERMISSION, 303, console_grant, P.FILE_CASE, W
    ),
    # notices: the queue, a notice and its steps, print batches, a subject's preferences
    ("GET", "/notices"): page(Access.PERMISSION, 200, fixed("GET", "/notices"), P.READ),
    ("GET", "/notices/{notice_id}"): page(
        Access.PERMISSION, 200, case_url("/notices/{id}", standing_notice("sms")), P.READ, R
    ),
    ("POST", "/notices/{notice_id}/resend"): page(
        Access.PERMISSION,
        303,
        notice_write("failed", "/notices/{id}/resend", {"recipient": "13900002222"}, form=True),
        P.FILE_CASE,
        W,
        effect=notice_status("queued"),
    ),
    ("POST", "/notices/{notice_id}/cancel"): page(
        Access.PERMISSION,
        303,
        notice_write("sms", "/notices/{id}/cancel", {"reason": "客户已缴清欠费"}, form=True),
        P.FILE_CASE,
        W,
        effect=notice_status("cancelled"),
    ),
    ("POST", "/notices/{notice_id}/call"): page(
        Access.PERMISSION,
        303,
        notice_write("call", "/notices/{id}/call", {"reached": "yes"}, form=True),
        P.FILE_CASE,
        W,
        effect=notice_status("delivered"),
    ),
    ("GET", "/print-batches"): page(Access.PERMISSION, 200, fixed("GET", "/print-batches"), P.READ),
    ("POST", "/print-batches"): page(
        Access.PERMISSION, 303, batch_create(form=True), P.FILE_CASE, W, effect=letters_batched
    ),
    ("POST", "/print-batches/{batch_id}/mark"): page(
        Access.PERMISSION, 303, batch_mark(form=True), P.FILE_CASE, W, effect=batch_printed
    ),
    ("POST", "/subjects/{code}/notice-contacts"): page(
        Access.PERMISSION,
        303,
        preference_write(form=True, which="contact"),
        P.FILE_CASE,
        W,
        effect=preference_saved("contact"),
    ),
    ("POST", "/subjects/{code}/notice-opt-outs"): page(
        Access.PERMISSION,
        303,
        preference_write(form=True, which="opt-out"),
        P.FILE_CASE,
        W,
        effect=preference_saved("opt-out"),
    ),
    ("GET", "/exports"): page(Access.PERMISSION, 200, fixed("GET", "/exports"), P.EXCHANGE),
    ("POST", "/exports"): page(
        Access.PERMISSION, 303, export_build(form=True), P.EXCHANGE, C_, effect=exported_for
    ),
    ("POST", "/exports/validate"): page(
        Access.PERMISSION, 200, validate_build(form=True), P.EXCHANGE
    ),
    ("GET", "/batches"): page(Access.PERMISSION, 200, fixed("GET", "/batches"), P.READ),
    ("GET", "/batches/{batch_id}"): page(
        Access.PERMISSION, 200, case_url("/batches/{id}", standing_export), P.READ, R
    ),
    ("POST", "/batches/{batch_id}/send"): page(
        Access.PERMISSION, 303, console_send, P.EXCHANGE, W, effect=export_status("sent")
    ),
    ("POST", "/batches/{batch_id}/returns"): page(
        Access.PERMISSION, 303, console_returns, P.EXCHANGE, W, effect=export_status("accepted")
    ),
    ("POST", "/batches/{batch_id}/returned/{row_id}/correct"): page(
        Access.PERMISSION, 303, correct_build(form=True), P.EXCHANGE, W, effect=returned_corrected
    ),
    ("GET", "/checks"): page(Access.PERMISSION, 200, fixed("GET", "/checks"), P.READ),
    ("POST", "/checks"): page(Access.PERMISSION, 303, console_check, P.EXCHANGE, W),
    ("GET", "/checks/{check_id}"): page(
        Access.PERMISSION, 200, case_url("/checks/{id}", standing_check), P.READ, R
    ),
    ("POST", "/checks/{check_id}/use"): page(
        Access.PERMISSION, 303, console_use, P.EXCHANGE, W, effect=check_used
    ),
}

ROWS = {**API_ROWS, **CONSOLE_ROWS}


def app_routes(client: TestClient) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        methods = route.methods
        if not methods:  # a mount (static files)
            found.add(("MOUNT", str(route.path)))
            continue
        found.update((method, str(route.path)) for method in methods - {"HEAD"})
    return found


# ---- the tests -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def matrix_settings(migrated_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """One data folder for the module's app: calls compare the uploads before and after."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("matrix") / "data",
        database_url=migrated_engine.url.render_as_string(hide_password=False),
    )
    # every call is anonymous or carries fresh credentials: no test is about the throttle
    settings.console.public_requests_per_minute = 1_000_000
    settings.console.public_burst = 1_000_000
    return settings


@pytest.fixture(scope="module")
def matrix_client(matrix_settings: Settings, migrated_engine: Engine) -> Iterator[TestClient]:
    """One app for the module (building one costs seconds; the store is emptied and the world
    built again for every test by the ``engine`` and ``world`` fixtures, and every call clears
    the cookies and brings its own credentials)."""
    app = create_app(matrix_settings, engine=migrated_engine)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def ctx(
    matrix_client: TestClient,
    engine: Engine,
    world: World,
    matrix_settings: Settings,
    tmp_path: Path,
) -> Ctx:
    # record numbers start again in the emptied store: so do the files named after them
    shutil.rmtree(matrix_settings.data_dir, ignore_errors=True)
    return Ctx(matrix_client, engine, world, matrix_settings, tmp_path / "casework")


def test_every_route_has_a_row(matrix_client: TestClient) -> None:
    client = matrix_client
    assert {(role, utility) for _, role, utility in MATRIX_USERS} == {
        (role, utility) for role in PERMISSIONS for utility in Utility
    }, "a user of every role in every utility"
    routes = app_routes(client)
    missing = sorted(routes - ROWS.keys())
    stale = sorted(ROWS.keys() - routes)
    assert not missing, f"routes without a row in the access matrix: {missing}"
    assert not stale, f"rows for routes the app does not have: {stale}"


def denials(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(AuditEntryRow)
                .where(AuditEntryRow.action == "access_denied")
            ).scalar_one()
        )


def observed(row: Row, response: Response) -> int:
    """The console answers a missing login with a redirect to its login page: that is a 401."""
    location = response.headers.get("location", "")
    if row.console and response.status_code == 303 and location.startswith("/login?next="):
        return 401
    if row.console and response.status_code == 204 and "HX-Redirect" in response.headers:
        return 401
    return response.status_code


@pytest.mark.parametrize("key", sorted(ROWS), ids=lambda key: f"{key[0]} {key[1]}")
def test_route_answers_by_role_and_utility(ctx: Ctx, key: tuple[str, str]) -> None:
    row = ROWS[key]
    targets: list[Utility | None] = (
        [None] if row.scope == Scope.NONE else [Utility.WATER, Utility.POWER]
    )
    callers: list[tuple[str | None, Utility | None]] = [(None, None)] + [
        (name, utility) for name, _, utility in MATRIX_USERS
    ]
    failures: list[str] = []
    for actor, home in callers:
        principal = ctx.principals[actor] if actor else None
        for target in targets:
            want = expected(row, principal, target)
            call = row.build(ctx, actor, target)
            headers: dict[str, str] = dict(call.kwargs.pop("headers", {}))
            if actor is not None and row.access in (Access.SIGNED_IN, Access.PERMISSION):
                headers.update(
                    ctx.console_headers(actor) if row.console else ctx.api_headers(actor)
                )
            before = denials(ctx.engine)
            uploads = ctx.uploads()
            response = ctx.send(call, headers)
            got = observed(row, response)
            place = "own" if target == home else "other" if target else "-"
            where = f"{actor or 'anonymous'} → {place} ({target.value if target else '-'})"
            if got != want:
                failures.append(f"{where}: {call.method} {call.url} → {got}, expected {want}")
                continue
            if key == ("POST", "/imports") and actor is not None:
                for upload_id in ctx.uploads() - uploads:  # let the background import end
                    wait_for_job(upload_id, actor)
            audited = denials(ctx.engine) - before
            refused = want == 403 or (want == 404 and row.audited_404)
            if refused and audited < 1:
                failures.append(f"{where}: the {want} was not audited as access_denied")
            if want in (403, 404) and "涟水县" in response.text:  # every customer's name has it
                failures.append(f"{where}: the refusal shows customer data")
            if want in (403, 404) and not row.console and set(response.json()) != {"error"}:
                failures.append(f"{where}: the refusal is not an error body")
            if got == row.ok and row.effect is not None and target is not None:
                assert principal is not None
                try:
                    row.effect(ctx, target, principal.may_write_utility(target))
                except AssertionError as error:
                    failures.append(f"{where}: wrong effect {error}")
    assert not failures, "\n".join(failures)

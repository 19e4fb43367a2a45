"""Console page of the users (用户管理): an administrator lists the users within its reach,
adds one, disables or enables one, sets a new password, lifts a login lockout and changes
roles and utilities.

Thin like ``/api/users``: every change is the access service's use case (``access/service.py``,
the same as the API and ``utilcredit user``), which checks the reach, the password rules and
audits it. A refused form (422) comes back on the page with its error and what was typed
(never the password); a finished one goes back to the list with a message shown once (a
short-lived cookie read and cleared by the next page, so a reload does not repeat it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from utilcredit.access import audit_trail
from utilcredit.access import service as access
from utilcredit.access.model import (
    MAX_PASSWORD_LENGTH,
    Principal,
    Role,
    WeakPasswordError,
    grantable_roles,
    parse_roles,
    parse_utilities,
)
from utilcredit.customers.model import Utility
from utilcredit.errors import FieldInvalidError
from utilcredit.http.deps import Admin, Db
from utilcredit.http.params import NO_NUL
from utilcredit.web.audit_log import local_moment
from utilcredit.web.rendering import render
from utilcredit.web.steps import Refusal, attempt, status_of

router = APIRouter(include_in_schema=False)

FLASH_COOKIE = "uc_admin_flash"
PAGE_URL = "/admin/users"
# What a finished form says (the flash cookie holds ``<key>:<user name>``; only these keys).
DONE = frozenset({"add", "disable", "enable", "password", "grants", "unlock"})

Username = Annotated[str, Path(min_length=1, max_length=64, pattern=NO_NUL)]
Name = Annotated[str, Form(max_length=100, pattern=NO_NUL)]
Password = Annotated[str, Form(max_length=MAX_PASSWORD_LENGTH)]
Choices = Annotated[list[str] | None, Form(max_length=8)]  # none checked: absent


def _roles(values: list[str]) -> frozenset[Role]:
    try:
        return parse_roles(values)
    except ValueError as error:
        raise FieldInvalidError("roles", str(error)) from None


def _utilities(values: list[str]) -> frozenset[Utility]:
    try:
        return parse_utilities(values)
    except ValueError as error:
        raise FieldInvalidError("utilities", str(error)) from None


def _password_checked(step: Callable[[], object]) -> Callable[[], object]:
    """The step, its refused password naming the ``password`` field (as the API's 422)."""

    def run() -> object:
        try:
            return step()
        except WeakPasswordError as error:
            raise FieldInvalidError("password", str(error)) from None

    return run


# ---- the page ----------------------------------------------------------------------------------


def _flash(request: Request) -> tuple[str, str]:
    key, _, user = request.cookies.get(FLASH_COOKIE, "").partition(":")
    return (key, user) if key in DONE else ("", "")


def _users_response(
    request: Request,
    connection: Connection,
    principal: Principal,
    *,
    edit: str = "",
    refusal: Refusal | None = None,
) -> HTMLResponse:
    users = access.users_of(connection, principal)
    names = [u.principal.username for u in users]
    logins = audit_trail.last_logins(connection, names)
    editing = next((u for u in users if u.principal.username == edit), None)
    done, done_user = ("", "") if refusal else _flash(request)
    response = render(
        request,
        "admin_users.html",
        {
            "users": users,
            "last_login": {n: local_moment(at) for n, at in logins.items()},
            "editing": editing,
            "grantable": sorted(grantable_roles(principal), key=list(Role).index),
            "own_utilities": sorted(principal.utilities, key=list(Utility).index),
            "done": done,
            "done_user": done_user,
            "refusal": refusal,
            "v": refusal.values if refusal else {},
        },
        status_code=status_of(refusal),
    )
    if done:
        response.delete_cookie(FLASH_COOKIE, path=PAGE_URL)
    return response


@router.get(PAGE_URL)
def users_page(
    request: Request,
    connection: Db,
    principal: Admin,
    edit: Annotated[str, Query(max_length=64, pattern=NO_NUL)] = "",
) -> Response:
    return _users_response(request, connection, principal, edit=edit)


def _answer(
    request: Request,
    connection: Connection,
    principal: Principal,
    form: str,
    values: dict[str, Any],
    step: Callable[[], object],
    *,
    username: str,
) -> Response:
    """Run the use case in a savepoint: refused, the page again with the error (and the user
    being edited still open); done, back to the list with the message shown once."""
    outcome = attempt(connection, form, values, _password_checked(step))
    if isinstance(outcome, Refusal):
        edit = "" if form == "add" else username
        return _users_response(request, connection, principal, edit=edit, refusal=outcome)
    response = RedirectResponse(PAGE_URL, status_code=303)
    response.set_cookie(
        FLASH_COOKIE,
        f"{form}:{username}",
        max_age=60,
        path=PAGE_URL,
        httponly=True,
        samesite="strict",
    )
    return response


# ---- the forms ---------------------------------------------------------------------------------


@router.post(PAGE_URL)
def add_user(
    request: Request,
    connection: Db,
    principal: Admin,
    username: Annotated[str, Form(max_length=64, pattern=NO_NUL)] = "",
    display_name: Name = "",
    password: Password = "",
    roles: Choices = None,
    utilities: Choices = None,
) -> Response:
    values = {
        "username": username,
        "display_name": display_name,
        "roles": roles or [],
        "utilities": utilities or [],
    }

    def step() -> object:
        return access.create_user_as(
            connection,
            principal,
            username=username,
            display_name=display_name.strip() or None,
            password=password,
            roles=_roles(roles or []),
            utilities=_utilities(utilities or []),
        )

    name = username.strip()
    return _answer(request, connection, principal, "add", values, step, username=name)


def _set_active(
    request: Request, connection: Connection, principal: Principal, username: str, active: bool
) -> Response:
    def step() -> object:
        access.set_user_active_as(connection, principal, username, active)
        return None

    form = "enable" if active else "disable"
    return _answer(request, connection, principal, form, {}, step, username=username)


@router.post(PAGE_URL + "/{username}/disable")
def disable_user(
    request: Request, username: Username, connection: Db, principal: Admin
) -> Response:
    return _set_active(request, connection, principal, username, False)


@router.post(PAGE_URL + "/{username}/enable")
def enable_user(request: Request, username: Username, connection: Db, principal: Admin) -> Response:
    return _set_active(request, connection, principal, username, True)


@router.post(PAGE_URL + "/{username}/password")
def reset_password(
    request: Request,
    username: Username,
    connection: Db,
    principal: Admin,
    password: Password = "",
) -> Response:
    def step() -> object:
        access.reset_password_as(connection, principal, username, password)
        return None

    return _answer(request, connection, principal, "password", {}, step, username=username)


@router.post(PAGE_URL + "/{username}/grants")
def set_grants(
    request: Request,
    username: Username,
    connection: Db,
    principal: Admin,
    roles: Choices = None,
    utilities: Choices = None,
) -> Response:
    values = {"roles": roles or [], "utilities": utilities or []}

    def step() -> object:
        access.set_grants_as(
            connection,
            principal,
            username,
            roles=_roles(roles or []),
            utilities=_utilities(utilities or []),
        )
        return None

    return _answer(request, connection, principal, "grants", values, step, username=username)


@router.post(PAGE_URL + "/{username}/unlock")
def unlock_user(request: Request, username: Username, connection: Db, principal: Admin) -> Response:
    def step() -> object:
        access.unlock_as(connection, principal, username)
        return None

    return _answer(request, connection, principal, "unlock", {}, step, username=username)

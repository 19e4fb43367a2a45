"""The forms a console page posts to move its case on (survey an application, accept a
commitment, resend a notice), served from a table.

Every such form has one shape: its use case runs in a savepoint (:func:`attempt`); done, the
reader goes back to the page with ``?done=<step>``; refused (422, 409), the page is shown again
with the error next to the form and what was typed (a :class:`Refusal`), and nothing the use
case wrote stays. :func:`add_steps` writes that shape once: a page (:class:`StepPage`) says
where its steps post, how it shows a refusal and where a finished step goes back to, and each
:class:`Step` names its URL, its own form fields and the use case it runs.

A step's route takes the page's parameters (the request, the case's id, the transaction, the
principal, the settings, in that order) and then the step's fields, as if it had been written
out by hand, so FastAPI reads and validates each form exactly as it would such a function.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from utilcredit.access.model import Principal
from utilcredit.config import Settings
from utilcredit.errors import ConflictError, FieldInvalidError, InvalidInputError
from utilcredit.http.deps import AppSettings, Db
from utilcredit.web.records import FileCase, Id

T = TypeVar("T")
REQUIRED = inspect.Parameter.empty  # a form field without a default

# ---- a refused form ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Refusal:
    """A form the services refused: which form, the field they named, what they said."""

    form: str
    message: str
    field: str | None
    values: dict[str, Any]
    status: int = 422


def attempt(
    connection: Connection, form: str, values: dict[str, Any], step: Callable[[], T]
) -> T | Refusal:
    """Run a use case in a savepoint: its refusal (422, 409) comes back as a :class:`Refusal`
    and nothing it wrote stays; other errors (403, 404) go on to the error page."""
    try:
        with connection.begin_nested():
            return step()
    except ConflictError as error:
        return Refusal(form, str(error), None, values, 409)
    except FieldInvalidError as error:
        return Refusal(form, str(error), error.field, values)
    except InvalidInputError as error:
        return Refusal(form, str(error), None, values)


# ---- a page's steps, from a table ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Posted:
    """What a step's route received: the page's parameters and the fields of the form."""

    request: Request
    connection: Connection
    principal: Principal
    settings: Settings
    id: int  # the case the page shows
    fields: Mapping[str, Any]  # the step's own, then the page's


@dataclass(frozen=True, slots=True)
class Step:
    """One form of a page: the URL it posts to, below the page's, and the use case it runs."""

    path: str  # "survey", "obligations/{obligation_id}/meet"
    run: Callable[[Posted], object]
    fields: tuple[inspect.Parameter, ...] = ()  # see :func:`form_field`
    principal: Any = FileCase  # who may post it: an annotated dependency
    # The step's name (``?done=``, and the form's unless ``form``): the path unless given.
    name: str | Callable[[Posted], str] = ""
    form: Callable[[Posted], str] | None = None  # the form's name, when not the page's way
    # What a refusal shows again: the step's fields as posted unless given. It runs before the
    # use case, outside the savepoint: an error it raises goes on to the error page.
    values: Callable[[Posted], dict[str, Any]] | None = None

    def name_of(self, posted: Posted) -> str:
        if callable(self.name):
            return self.name(posted)
        return self.name or self.path

    def values_of(self, posted: Posted) -> dict[str, Any]:
        if self.values is not None:
            return self.values(posted)
        return {p.name: posted.fields[p.name] for p in self.fields}


def _same_name(posted: Posted, name: str) -> str:
    return name


@dataclass(frozen=True, slots=True)
class StepPage:
    """A page whose forms post steps."""

    path: str  # the page's URL, naming the case's id: "/applications/{application_id}"
    show: Callable[[Posted, Refusal], HTMLResponse]  # the page again, with a refusal
    back: Callable[[Posted, str], str]  # where a finished step (by name) goes back to
    form: Callable[[Posted, str], str] = _same_name  # a step's form, by its name
    fields: tuple[inspect.Parameter, ...] = ()  # fields every form of the page posts

    @property
    def id_name(self) -> str:
        found = re.search(r"\{(\w+)\}", self.path)
        assert found is not None, self.path
        return found.group(1)


def form_field(name: str, annotation: Any, default: Any = "") -> inspect.Parameter:
    """A field of a step's form (or a path parameter of its URL), as a route would declare it:
    ``form_field("note", Text)`` is ``note: Text = ""``."""
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
    )


def _answer(page: StepPage, step: Step, posted: Posted) -> Response:
    name = step.name_of(posted)
    values = step.values_of(posted)
    form = step.form(posted) if step.form is not None else page.form(posted, name)
    outcome = attempt(posted.connection, form, values, lambda: step.run(posted))
    if isinstance(outcome, Refusal):
        return page.show(posted, outcome)
    return RedirectResponse(page.back(posted, name), status_code=303)


def _signature(page: StepPage, step: Step) -> inspect.Signature:
    def param(name: str, annotation: Any) -> inspect.Parameter:
        return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)

    return inspect.Signature(
        [
            param("request", Request),
            param(page.id_name, Id),
            param("connection", Db),
            param("principal", step.principal),
            param("settings", AppSettings),
            *step.fields,
            *page.fields,
        ],
        return_annotation=Response,
    )


def _route(page: StepPage, step: Step) -> Callable[..., Response]:
    id_name = page.id_name

    def post(**params: Any) -> Response:
        posted = Posted(
            request=params.pop("request"),
            connection=params.pop("connection"),
            principal=params.pop("principal"),
            settings=params.pop("settings"),
            id=params.pop(id_name),
            fields=params,
        )
        return _answer(page, step, posted)

    # FastAPI reads a route's parameters from its signature: the page's, then the step's.
    post.__signature__ = _signature(page, step)  # type: ignore[attr-defined]
    post.__name__ = post.__qualname__ = re.sub(r"\W+", "_", f"post_{step.path}").strip("_")
    return post


def add_steps(router: APIRouter, page: StepPage, steps: tuple[Step, ...]) -> None:
    """A POST route on the router for each step, at ``<page path>/<step path>``."""
    for step in steps:
        router.post(f"{page.path}/{step.path}")(_route(page, step))


# ---- what a page shows of its forms --------------------------------------------------------------


def form_state(done: str, shown: frozenset[str], refusal: Refusal | None) -> dict[str, Any]:
    """A page's ``done`` (the finished step's message: only a key in ``shown``), ``refusal``
    and ``v`` (what the refused form held) for its template."""
    return {
        "done": done if done in shown else "",
        "refusal": refusal,
        "v": refusal.values if refusal else {},
    }


def status_of(refusal: Refusal | None) -> int:
    """A page's status: the refusal's when it shows one."""
    return refusal.status if refusal else 200

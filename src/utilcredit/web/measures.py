"""A measure (激励措施) granted to a subject from its credit file page. What that page shows of
the subject's commitments and measures is :func:`utilcredit.web.counter.subject_section`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from utilcredit.creditfile import service as creditfile
from utilcredit.http.deps import Console, Db
from utilcredit.http.params import NO_NUL, SubjectCode
from utilcredit.incentives import service as incentives
from utilcredit.localtime import today
from utilcredit.web.counter import Short
from utilcredit.web.records import FileCase

router = APIRouter(include_in_schema=False)


@router.post("/subjects/{code}/grants")
def grant_measure(
    request: Request,
    code: SubjectCode,
    connection: Db,
    principal: FileCase,
    console: Console,
    measure: Annotated[str, Form(max_length=64, pattern=NO_NUL)] = "",
    note: Short = "",
) -> Response:
    code = creditfile.resolve_subject(connection, principal, code)
    incentives.grant(
        connection, principal, code, measure, today=today(), console=console, note=note
    )
    ref = creditfile.subject_ref_of(connection, code)
    return RedirectResponse(f"/subjects/{ref}#measures", status_code=303)

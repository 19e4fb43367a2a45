"""Domain errors. Each carries a stable code; the CLI maps them to exit codes in one place."""

from __future__ import annotations


class UtilcreditError(Exception):
    """Base of every error the product reports to a user (message Chinese first, English second)."""

    code = "error"
    exit_code = 1


class NotFoundError(UtilcreditError):
    code = "not_found"
    exit_code = 3


class InvalidInputError(UtilcreditError):
    code = "invalid_input"
    exit_code = 2


class FieldInvalidError(InvalidInputError):
    """Invalid input attributable to one named field (an API query, path or form field)."""

    code = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UpstreamError(UtilcreditError):
    """An outside system (the credit platform, a gateway) failed: HTTP 502 (503 when it is not
    configured here); nothing was recorded, so the request may simply be made again."""

    code = "upstream_error"
    exit_code = 6
    http_status = 502


class ConflictError(UtilcreditError):
    """The record changed under the request (e.g. another reviewer decided first): HTTP 409."""

    code = "conflict"
    exit_code = 5


class ImportFileError(InvalidInputError):
    """A whole file cannot be imported (unknown kind, unreadable, missing required columns)."""

    code = "import_file_invalid"

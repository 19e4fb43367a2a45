"""Registers the console's tables (users, sessions, tokens, overrides) on the metadata:
one import line in :func:`utilcredit.db.import_all_tables`."""

from utilcredit.access import tables as access_tables
from utilcredit.overrides import tables as override_tables

__all__ = ["access_tables", "override_tables"]

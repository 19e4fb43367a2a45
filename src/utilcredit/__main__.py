"""``python -m utilcredit`` runs the command line."""

from utilcredit.cli import app

app()

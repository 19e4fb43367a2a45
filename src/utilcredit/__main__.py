"""``python -m utilcredit`` runs the command line."""

from utilcredit.cli.main import app

app()

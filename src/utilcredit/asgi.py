"""ASGI entry point for multi-process serving: ``uvicorn utilcredit.asgi:app``."""

from utilcredit.server import create_app

app = create_app()

"""ASGI entry point for multi-process serving: ``uvicorn utilcredit.web.asgi:app``."""

from utilcredit.api.app import create_app

app = create_app()

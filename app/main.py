"""The ASGI application object: ``uvicorn app.main:app``."""

from app.server.app import create_app

app = create_app()

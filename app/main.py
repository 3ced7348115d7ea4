"""The ASGI application object: ``uvicorn app.main:app``."""

from app.server.main import create_app

app = create_app()

"""What the app shows without a key, and the security headers on every answer.

``/docs`` and ``/openapi.json`` need an API key unless ``api_options.public_docs`` is set
(``/metrics`` likewise with ``public_metrics``, in app.py). Every response carries a
Content-Security-Policy that lets the web page load only its own scripts, styles and media
(no inline script, no framing), plus ``nosniff`` and a no-referrer policy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
"""Swagger UI's page loads its bundle from jsdelivr and starts it with an inline script."""


def app_options(public_docs: bool) -> dict[str, Any]:
    """``FastAPI(...)`` keyword arguments: FastAPI's own docs routes only when public."""
    return {} if public_docs else {"docs_url": None, "redoc_url": None, "openapi_url": None}


def install_keyed_docs(app: FastAPI, caller_key: Callable[..., Any]) -> None:
    """``/openapi.json`` and ``/docs`` behind ``caller_key`` (a key dependency)."""

    @app.get("/openapi.json", include_in_schema=False, dependencies=[Depends(caller_key)])
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(caller_key)])
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} API")


def install_security_headers(app: FastAPI) -> None:
    """Add the CSP and related headers to every response."""
    app.add_middleware(SecurityHeaders)


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task or body buffering, so streamed answers such
    as Server-Sent Events pass straight through; issues 15/16)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Forward the request; add the headers to the response's start message."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == "/docs" else PAGE_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", csp)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "no-referrer")
            await send(message)

        await self._app(scope, receive, send_with_headers)

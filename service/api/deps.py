"""Request-scoped access to the shared state."""

from __future__ import annotations

from fastapi import Request

from service.api.state import AppState


def core(request: Request) -> AppState:
    return request.app.state.core

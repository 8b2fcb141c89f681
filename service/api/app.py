"""The FastAPI application: routers per area, JSON errors, metrics and a concurrency limit, the UI at /."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from common.embedder import EmbedderError
from common.settings import Settings
from common.store import EmbeddingMismatchError, InsufficientSpaceError, StoreError
from qa.helpdesk import QuestionError
from qa.llm import LLMError, LLMNotConfiguredError
from qa.retriever import FilterError
from service.api.metrics import ConcurrencyLimit, MetricsMiddleware
from service.api.routes import answers, documents, feedback, health, openai_compat
from service.api.state import AppState


def _error(status: int, code: str, message, **extra) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


# Failures of a component the answer depends on: (HTTP status, error code).
_UNAVAILABLE: dict[type[Exception], tuple[int, str]] = {
    LLMError: (503, "llm_unavailable"),
    EmbeddingMismatchError: (503, "index_mismatch"),
    InsufficientSpaceError: (507, "insufficient_storage"),
    StoreError: (503, "store_unavailable"),
    EmbedderError: (503, "model_unavailable"),
}


def _unavailable(status: int, code: str):
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return _error(status, code, str(exc))

    return handler


async def _purge_feedback_daily(state: AppState) -> None:
    """Feedback past HELPDESK_FEEDBACK_RETENTION_DAYS goes every HELPDESK_FEEDBACK_PURGE_INTERVAL_S while serving."""
    while True:
        await asyncio.sleep(state.settings.feedback.purge_interval_s)
        await asyncio.to_thread(state.purge_expired_feedback)


def create_app(settings: Settings | None = None, with_ui: bool = True) -> FastAPI:
    state = AppState(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state.warm_up()
        state.purge_expired_feedback()
        purging = asyncio.create_task(_purge_feedback_daily(state))
        yield
        purging.cancel()
        with suppress(asyncio.CancelledError):
            await purging
        state.close()

    app = FastAPI(title="Funding Helpdesk", version="0.1.0", lifespan=lifespan,
                  description="Cited answers over EU funding documents, in the asker's language.")
    app.state.core = state
    for router in (health.router, answers.router, openai_compat.router, documents.router, feedback.router):
        app.include_router(router)

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError):
        fields = [{"field": ".".join(str(p) for p in e["loc"] if p != "body"), "message": e["msg"]} for e in exc.errors()]
        names = ", ".join(f["field"] or "body" for f in fields)
        return _error(422, "invalid_input", f"invalid input: {names}", fields=fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        codes = {401: "unauthorized", 404: "not_found", 413: "too_large", 415: "unsupported_type", 422: "invalid_input"}
        response = _error(exc.status_code, codes.get(exc.status_code, "error"), exc.detail)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(FilterError)
    async def bad_filter(request: Request, exc: FilterError):
        return _error(422, "invalid_input", str(exc), fields=[{"field": "filters", "message": str(exc)}])

    @app.exception_handler(QuestionError)
    async def bad_question(request: Request, exc: QuestionError):
        field = "composer" if "composer" in str(exc) else "question"
        return _error(422, "invalid_input", str(exc), fields=[{"field": field, "message": str(exc)}])

    @app.exception_handler(LLMNotConfiguredError)
    async def no_llm(request: Request, exc: LLMNotConfiguredError):
        return _error(422, "invalid_input", str(exc), fields=[{"field": "composer", "message": str(exc)}])

    # Starlette picks the handler of the most specific class, so subclasses here win over StoreError.
    for error, (status, code) in _UNAVAILABLE.items():
        app.add_exception_handler(error, _unavailable(status, code))

    if with_ui:
        from service.ui import mount_ui

        app = mount_ui(app, state)
    app.add_middleware(ConcurrencyLimit, limit=state.settings.service.max_concurrent, metrics=state.metrics)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    return app

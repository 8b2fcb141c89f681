"""The FastAPI application: routers per area, JSON errors, metrics and admission (a bounded queue), the UI at /."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from common.embedder import EmbedderError
from common.settings import Settings
from common.store import EmbeddingMismatchError, IndexLayoutError, InsufficientSpaceError, StoreError
from qa.helpdesk import QuestionError
from qa.llm import LLMError, LLMNotConfiguredError
from qa.local_llm import check_gguf
from qa.retriever import FilterError
from service.api.budget import BodySizeLimit, InputTooLarge
from service.api.admission import AdmissionControl
from service.api.metrics import MetricsMiddleware
from service.api.public import plain_message
from service.api.ratelimit import RateLimit
from service.api.ratelimit import check_settings as check_rate_limits
from service.api.routes import answers, documents, feedback, health, openai_compat
from service.api.security import SecurityHeaders
from service.api.state import AppState


log = logging.getLogger("helpdesk")


def error_response(status: int, code: str, message: str, fields: list[dict] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """Every error the API gives: `{"error": {"code", "message", "fields"?}}`, the message one plain sentence."""
    error = {"code": code, "message": message, **({"fields": fields} if fields else {})}
    return JSONResponse({"error": error}, status_code=status, headers=headers)


# Failures of a component the answer depends on: (HTTP status, error code). The client gets the cause in one line
# with server paths replaced (the data dir by name, any other by <path>); the full text goes to the server log.
_UNAVAILABLE: dict[type[Exception], tuple[int, str]] = {
    LLMError: (503, "llm_unavailable"),
    EmbeddingMismatchError: (503, "index_mismatch"),
    IndexLayoutError: (503, "index_outdated"),
    InsufficientSpaceError: (507, "insufficient_storage"),
    StoreError: (503, "store_unavailable"),
    EmbedderError: (503, "model_unavailable"),
}
_HTTP_CODES = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 413: "too_large",
               415: "unsupported_type", 422: "invalid_input", 429: "rate_limited"}


def _unavailable(status: int, code: str, settings: Settings):
    data_dir = settings.data_dir
    named = {str(data_dir.resolve()): "the data dir", str(data_dir): "the data dir"}

    async def handler(request: Request, exc: Exception) -> JSONResponse:
        log.warning("%s %s: %s: %s", request.method, request.url.path, code, exc)
        return error_response(status, code, plain_message(str(exc), named) or code.replace("_", " "))

    return handler


async def _purge_feedback_daily(state: AppState) -> None:
    """Feedback past HELPDESK_FEEDBACK_RETENTION_DAYS goes every HELPDESK_FEEDBACK_PURGE_INTERVAL_S while serving."""
    while True:
        await asyncio.sleep(state.settings.feedback.purge_interval_s)
        await asyncio.to_thread(state.purge_expired_feedback)


def create_app(settings: Settings | None = None, with_ui: bool = True) -> FastAPI:
    state = AppState(settings or Settings())
    check_rate_limits(state.settings.service)
    if state.settings.llm.local:
        check_gguf(state.settings.llm.gguf)  # a wrong model path stops start-up, not the first question

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
        fields = [{"field": ".".join(str(p) for p in e["loc"] if p != "body") or "body", "message": str(e["msg"])}
                  for e in exc.errors()]
        names = ", ".join(dict.fromkeys(f["field"] for f in fields))
        return error_response(422, "invalid_input", f"invalid input: {names}", fields)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code = getattr(exc, "code", None) or _HTTP_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else f"request refused ({code.replace('_', ' ')})"
        return error_response(exc.status_code, code, message, getattr(exc, "fields", None), exc.headers)

    @app.exception_handler(InputTooLarge)
    async def too_large(request: Request, exc: InputTooLarge):
        return error_response(413, "input_too_large", str(exc), [{"field": exc.field, "message": str(exc)}])

    @app.exception_handler(FilterError)
    async def bad_filter(request: Request, exc: FilterError):
        return error_response(422, "invalid_input", str(exc), [{"field": "filters", "message": str(exc)}])

    @app.exception_handler(QuestionError)
    async def bad_question(request: Request, exc: QuestionError):
        field = "composer" if "composer" in str(exc) else "question"
        return error_response(422, "invalid_input", str(exc), [{"field": field, "message": str(exc)}])

    @app.exception_handler(LLMNotConfiguredError)
    async def no_llm(request: Request, exc: LLMNotConfiguredError):
        message = "the llm composer needs an LLM, and none is configured"
        return error_response(422, "invalid_input", message, [{"field": "composer", "message": message}])

    # Starlette picks the handler of the most specific class, so subclasses here win over StoreError.
    for error, (status, code) in _UNAVAILABLE.items():
        app.add_exception_handler(error, _unavailable(status, code, state.settings))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception):
        log.exception("%s %s failed", request.method, request.url.path)
        return error_response(500, "internal_error", "the server failed to answer; the error is in its log")

    if with_ui:
        from service.ui import mount_ui

        app = mount_ui(app, state)
    service = state.settings.service
    # Innermost first: a slot (or a place in the queue) is only taken by a request that passed the size and rate checks.
    app.add_middleware(AdmissionControl, admission=state.admission, metrics=state.metrics,
                       max_body_bytes=state.settings.input.max_body_kb * 1024)
    app.add_middleware(BodySizeLimit, max_bytes=state.settings.input.max_body_kb * 1024)
    app.add_middleware(RateLimit, settings=service, metrics=state.metrics)
    app.add_middleware(MetricsMiddleware, metrics=state.metrics)
    app.add_middleware(SecurityHeaders)
    return app

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, Response

from common.schema import STATE_READY
from common.store import StoreError
from service.api.deps import core
from service.api.state import AppState

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(state: AppState = Depends(core)):
    """The store answers, the embedding model is loaded, and the collection has chunks to search."""
    checks: dict[str, object] = {}
    try:
        checks["chunks"] = state.runtime.store.count({"state": STATE_READY})
        checks["store"] = "ok"
    except StoreError as exc:
        checks["store"] = str(exc)
    checks["model"] = "ok" if "embedder" in state.runtime.__dict__ else "not loaded"
    ready = checks["store"] == "ok" and checks["model"] == "ok" and bool(checks.get("chunks"))
    return JSONResponse({"status": "ready" if ready else "not ready", **checks}, status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
def metrics(state: AppState = Depends(core)) -> Response:
    body, content_type = state.metrics.render()
    return Response(body, media_type=content_type)

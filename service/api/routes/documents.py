"""Documents: list, upload (admin), delete (admin), and the original file so citations can link to a page."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse

from common.schema import STATE_READY
from ingest.loaders import READERS, is_supported
from ingest.pipeline import Ingestor
from service import uploads
from service.api import public
from service.api.auth import require_admin, require_api_key
from service.api.deps import core
from service.api.security import original_presentation
from service.api.state import AppState

router = APIRouter(prefix="/v1/documents", tags=["documents"])
_UNSAFE = re.compile(r"[^\w.\-]+")


def _documents(state: AppState, doc_id: str | None = None) -> dict[str, dict]:
    must = {"state": STATE_READY, **({"doc_id": doc_id} if doc_id else {})}
    documents: dict[str, dict] = {}
    fields = ["doc_id", "title", "source", "language", "url", "fund", "country", "doc_type", "period", "chunk_count",
              "page_end"]
    for _, payload in state.runtime.store.scroll(must, fields):
        doc = documents.setdefault(payload["doc_id"], {k: payload.get(k) for k in fields if k != "page_end"}
                                   | {"pages": 0, "chunks_ready": 0})
        doc["pages"] = max(doc["pages"], payload.get("page_end") or 0)
        # Equal to chunk_count unless a document were exposed half-ingested; the load bench watches this.
        doc["chunks_ready"] += 1
    return documents


@router.get("", dependencies=[Depends(require_api_key)])
def list_documents(request: Request, state: AppState = Depends(core)) -> dict:
    return document_list(state, str(request.base_url))


def document_list(state: AppState, base_url: str) -> dict:
    documents = sorted(_documents(state).values(), key=lambda d: (d["language"], d["title"]))
    return {"documents": [public.document(d, base_url) for d in documents], "count": len(documents)}


def safe_filename(name: str | None) -> str:
    """The last path component only, in safe characters: '../../etc/passwd' -> 'passwd'."""
    base = Path((name or "").replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip("._")
    if not cleaned or "." not in cleaned:
        raise HTTPException(422, detail="the file name has no usable name and extension")
    return cleaned


@router.post("", status_code=201, dependencies=[Depends(require_admin)])
def upload_document(request: Request, file: UploadFile = File(...), state: AppState = Depends(core)) -> dict:
    """Ingest one file through the same pipeline as `helpdesk ingest`; its type is checked by its content."""
    return store_upload(state, file, str(request.base_url))


def store_upload(state: AppState, file, base_url: str) -> dict:
    """The upload route's work, for the UI too: `file` has `filename` and a binary `file`."""
    name = safe_filename(file.filename)
    if not is_supported(Path(name)):
        raise HTTPException(415, detail=f"{name}: unsupported type; use one of {', '.join(sorted(READERS))}")
    limit = int(state.settings.service.max_upload_mb * 1024 * 1024)
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, detail=f"{name}: larger than {state.settings.service.max_upload_mb:g} MB")
    if not data:
        raise HTTPException(422, detail=f"{name}: the file is empty")
    target = state.uploads_dir / name
    with state.ingest_lock:
        uploads.stage(target, data, state.settings.ingest.min_free_mb)
        had_previous = uploads.swap_in(target)
        try:
            summary = Ingestor(state.settings, state.runtime.store, state.runtime.embedder).ingest([target])
        except Exception:
            uploads.put_back(target, had_previous)  # e.g. the disk filled: 507, the old version stays served
            raise
        if summary.failed:
            failure = summary.failed[0]
            uploads.put_back(target, had_previous)
            state.metrics.ingested.labels("failed").inc()
            # The ingest's message names the file by its path on the server: say what failed, by code and name.
            raise UploadRefused(failure.code, f"{name} could not be ingested ({failure.code.replace('-', ' ')})")
        uploads.keep(target)
    status = "new" if summary.new else "updated" if summary.updated else "unchanged"
    state.metrics.ingested.labels(status).inc()
    documents = [d for d in _documents(state).values() if Path(d["source"]).resolve() == target.resolve()]
    return {"status": status, "chunks": summary.chunks, "warnings": [_named(w, target, name) for w in summary.warnings],
            "document": public.document(documents[0], base_url) if documents else None}


@router.delete("/{doc_id}", dependencies=[Depends(require_admin)])
def delete_document(doc_id: str, state: AppState = Depends(core)) -> dict:
    with state.ingest_lock:
        found = _documents(state, doc_id).get(doc_id)
        if found is None:
            raise HTTPException(404, detail=f"no document {doc_id!r}")
        state.runtime.store.delete({"doc_id": doc_id})
        state.runtime.store.flush()
        source = Path(found["source"]).resolve()
        if source.parent == state.uploads_dir.resolve():
            source.unlink(missing_ok=True)
    return {"deleted": doc_id}


@router.get("/{doc_id}/file", dependencies=[Depends(require_api_key)])
def document_file(doc_id: str, state: AppState = Depends(core)):
    """The original file (link citations to `.../file#page=N`); only files that were ingested are served."""
    found = _documents(state, doc_id).get(doc_id)
    if found is None:
        raise HTTPException(404, detail=f"no document {doc_id!r}")
    path = Path(found["source"])
    if not path.is_file():
        raise HTTPException(404, detail=f"the original of {doc_id!r} is no longer available")
    media_type, disposition, policy = original_presentation(path.suffix)
    return FileResponse(path, media_type=media_type, filename=path.name, content_disposition_type=disposition,
                        headers={"Content-Security-Policy": policy, "X-Content-Type-Options": "nosniff"})


def _named(message: str, target: Path, name: str) -> str:
    """The ingest's message with the file's server path replaced by its name."""
    for path in {str(target.resolve()), str(target)}:
        message = message.replace(path, name)
    return message


class UploadRefused(HTTPException):
    """An upload the ingest refused: 422 with the ingest's failure code (e.g. `not-a-pdf`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(422, detail=message)
        self.code = code

"""`helpdesk status`: collection, engine, model, and documents and chunks per language."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from common.runtime import Runtime
from common.schema import STATE_READY
from common.store import StoreError
from service.cli.common import settings_or_fail
from service.console import fail


def status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Collection, engine, model, and documents and chunks per language."""
    runtime = Runtime(settings_or_fail())
    try:
        store = runtime.store
        info = store.collection_info()
        chunks: dict[str, int] = {}
        documents: dict[str, set[str]] = {}
        for _, payload in store.scroll({"state": STATE_READY}, ["doc_id", "language"]):
            chunks[payload["language"]] = chunks.get(payload["language"], 0) + 1
            documents.setdefault(payload["language"], set()).add(payload["doc_id"])
        pending = store.count({"state": "pending"})
        index_state = getattr(store, "index_state", None)  # the embedded store's; a server indexes on its own
        index = index_state() if index_state else None
    except StoreError as exc:
        fail(str(exc))
    finally:
        runtime.close()
    report = {
        "collection": runtime.settings.store.collection,
        "engine": store.engine,
        "data_dir": str(runtime.settings.data_dir),
        "embed_model": info.embed_model if info else None,
        "dim": info.dim if info else None,
        "documents": sum(len(v) for v in documents.values()),
        "chunks": sum(chunks.values()),
        "pending_chunks": pending,
        "index": index,
        "by_language": {lang: {"documents": len(documents[lang]), "chunks": chunks[lang]} for lang in sorted(chunks)},
    }
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for key in ("collection", "engine", "data_dir", "embed_model", "dim", "documents", "chunks", "pending_chunks"):
        print(f"{key:>15}: {report[key]}")
    if index is not None:
        print(f"{'index':>15}: {'build pending' if index['pending'] else 'built or not needed'}"
              f"{', building' if index['building'] else ''} ({index['segments']} segments)")
    table = Table("language", "documents", "chunks")
    for lang, row in report["by_language"].items():
        table.add_row(lang, str(row["documents"]), str(row["chunks"]))
    Console().print(table)

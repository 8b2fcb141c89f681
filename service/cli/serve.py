"""`helpdesk serve`: the HTTP API, the OpenAI-compatible endpoint and the chat UI on one port."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from common.embedder import EmbedderError
from common.store import StoreError
from service.cli.common import settings_or_fail
from service.console import fail


def serve(
    host: Annotated[Optional[str], typer.Option(help="Interface to bind (default HELPDESK_HOST, 127.0.0.1).")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port (default HELPDESK_PORT, 8000).")] = None,
    ui: Annotated[bool, typer.Option(help="Mount the Gradio chat UI at /.")] = True,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error; applies to every library's logger.")] = "info",
) -> None:
    """The HTTP API (/docs), the OpenAI-compatible endpoint and the chat UI on one port."""
    import logging

    import uvicorn

    if log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        fail(f"--log-level {log_level!r}: use debug, info, warning or error")
    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")

    from service.api import create_app

    from qa.llm import LLMError

    settings = settings_or_fail()
    try:
        application = create_app(settings, with_ui=ui)
    except (StoreError, EmbedderError, LLMError) as exc:
        fail(str(exc))
    # The event loop that admits, queues and refuses requests competes for the GIL with the worker threads
    # answering; 1 ms turns instead of 5 ms made it answer sooner at the same throughput (bench/load.py).
    sys.setswitchinterval(0.001)
    uvicorn.run(application, host=host or settings.service.host, port=port or settings.service.port,
                log_level=log_level.lower(), timeout_keep_alive=settings.service.keep_alive_s)

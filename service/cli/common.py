"""What the command groups share: the checked settings, the filter and composer options, page ranges."""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from pydantic import ValidationError

from common.settings import Settings, settings_error
from service.console import fail


def settings_or_fail() -> Settings:
    """The settings from the environment; a value that is not allowed stops the command at once, named."""
    try:
        return Settings()
    except ValidationError as exc:
        fail(settings_error(exc))


FilterOption = Annotated[Optional[list[str]], typer.Option("--filter", "-f", help="key=value (fund, country, language, doc_type, period, doc_id); repeatable.")]
ComposerOption = Annotated[Optional[str], typer.Option("--composer", help="extractive | llm | auto (default from settings).")]


def page_range(start: int | None, end: int | None) -> str:
    if start is None:
        return ""
    return f", p. {start}" if start == end or end is None else f", pp. {start}-{end}"

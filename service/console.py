"""What every `helpdesk` command prints through: the stderr console, named failures, the ingest progress bars."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

# soft_wrap: error lines carry file paths that tests and users grep; never break them.
console = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> None:
    console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


class RichIngestProgress:
    """Files bar plus an embedding bar for the document in hand."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.files = progress.add_task("documents", total=0)
        self.embed = progress.add_task("embedding", total=0, visible=False)

    def start(self, total_files: int) -> None:
        self.progress.update(self.files, total=total_files)

    def file_started(self, path: Path) -> None:
        self.progress.update(self.files, description=path.name[:40])
        self.progress.update(self.embed, completed=0, total=0, visible=False)

    def embedding(self, done: int, total: int) -> None:
        self.progress.update(self.embed, completed=done, total=total, visible=True)

    def file_done(self, path: Path, status: str) -> None:
        self.progress.advance(self.files)

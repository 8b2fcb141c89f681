"""`helpdesk corpus download`: the official texts the manifest lists."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from service.console import console, fail

corpus_app = typer.Typer(help="The sample corpus and the official texts.", no_args_is_help=True)


@corpus_app.command("download")
def corpus_download(
    dest: Annotated[Path, typer.Option(help="Folder to save into (<dest>/<lang>/<CELEX>.pdf).")] = Path("data/official"),
    lang: Annotated[Optional[list[str]], typer.Option("--lang", help="Languages (repeatable); default: en.")] = None,
    celex: Annotated[Optional[list[str]], typer.Option(help="Only these CELEX numbers (repeatable).")] = None,
    manifest: Annotated[Path, typer.Option(help="Manifest listing the official texts.")] = Path("corpus/manifest.yaml"),
    url_pattern: Annotated[Optional[str], typer.Option(help="Override the manifest's download address pattern.")] = None,
) -> None:
    """Download the official texts the manifest lists (needs internet), ready for `helpdesk ingest`."""
    from ingest.download import download_official
    from ingest.manifest import ManifestError, read_manifest

    try:
        parsed = read_manifest(manifest)
        report = download_official(parsed, dest, lang or ["en"], celex, url_pattern,
                                   on_file=lambda label, state: console.print(f"{state:>7} {label}"))
    except (ManifestError, ValueError) as exc:
        fail(str(exc))
    console.print(f"saved {len(report.saved)}, already there {len(report.skipped)}, failed {len(report.failed)}")
    for failure in report.failed:
        console.print(f"[red]failed[/red] {escape(failure)}")
    raise typer.Exit(1 if report.failed else 0)

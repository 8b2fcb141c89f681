"""Fetch the official texts a manifest lists (for users with internet), into a folder ready to ingest."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ingest.manifest import Manifest


@dataclass
class DownloadReport:
    saved: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # already there
    failed: list[str] = field(default_factory=list)


def download_official(
    manifest: Manifest, dest: Path, languages: list[str], celex: list[str] | None = None,
    url_pattern: str | None = None, timeout_s: float = 120.0,
    on_file: Callable[[str, str], None] | None = None,
) -> DownloadReport:
    pattern = url_pattern or manifest.url_pattern
    if not pattern:
        raise ValueError(f"{manifest.root / 'manifest.yaml'} has no official.url_pattern")
    report = DownloadReport()
    texts = [t for t in manifest.official if not celex or t.celex in celex]
    with httpx.Client(follow_redirects=True, timeout=timeout_s) as client:
        for text in texts:
            for lang in languages:
                target = dest / lang.lower() / f"{text.celex}.pdf"
                label = f"{text.celex} ({lang.upper()})"
                if target.exists() and target.stat().st_size > 0:
                    report.skipped.append(str(target))
                    continue
                url = pattern.format(LANG=lang.upper(), lang=lang.lower(), celex=text.celex)
                try:
                    response = client.get(url)
                    response.raise_for_status()
                    if not response.content.startswith(b"%PDF-"):
                        raise ValueError("the server did not return a PDF")
                except (httpx.HTTPError, ValueError) as exc:
                    report.failed.append(f"{label}: {url}: {exc}")
                    if on_file:
                        on_file(label, "failed")
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_suffix(".part")
                tmp.write_bytes(response.content)
                os.replace(tmp, target)
                report.saved.append(str(target))
                if on_file:
                    on_file(label, "saved")
    return report

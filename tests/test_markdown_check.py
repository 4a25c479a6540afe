"""The Markdown check report (PR comments, job summaries) rendered as a reader sees it:
through a CommonMark renderer, then in headless Chromium."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from conftest import Repo, approve_all

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
def test_markdown_check_renders_as_tables(repo: Repo, tmp_path: Path) -> None:
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(repo, roles=("alice",))
    res = repo.gate("check", "v1.0.0", "--format", "markdown")
    assert res.code == 1
    body = MarkdownIt("commonmark").enable("table").render(res.out)
    assert "<table>" in body and "acceptance" in body and "waiting on: bob (rnd)" in body
    page = tmp_path / "check.html"
    page.write_text(
        f'<!doctype html><meta charset="utf-8"><body style="font-family:sans-serif">{body}',
        encoding="utf-8",
    )
    shot = tmp_path / "check.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1000,700",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000

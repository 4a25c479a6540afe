"""The Markdown check report (PR comments, job summaries) rendered as a reader sees it:
through a CommonMark renderer, then in headless Chromium."""

from __future__ import annotations

from pathlib import Path

from markdown_it import MarkdownIt

from conftest import Repo, approve_all, chromium, needs_chromium


@needs_chromium
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
    chromium(tmp_path, "--window-size=1000,700", f"--screenshot={shot}", page.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000

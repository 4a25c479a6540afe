"""`gate validate`: schema checks of policy and record files, and append-only records."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gatekeeper.errors import InputError, RecordError
from gatekeeper.policyfile import POLICY_DIR
from gatekeeper.repo import MAX_BLOB_BYTES

if TYPE_CHECKING:
    from gatekeeper.repo import GitRepo

APPEND_ONLY = ("approvals", "evidence")


def releases_folder(root: Path) -> str | None:
    """The `releases` folder named by the policy files on disk (None when unreadable)."""
    import tomllib

    folder = "releases"
    try:
        for path in (root / POLICY_DIR).glob("*.toml"):
            folder = tomllib.loads(path.read_text(encoding="utf-8")).get("releases", folder)
    except (OSError, ValueError):
        return None
    return folder if isinstance(folder, str) else None


def is_relevant(path: str, releases: str = "releases") -> bool:
    """Whether `gate validate` has anything to say about `path`."""
    return path.startswith((f"{POLICY_DIR}/", f"{releases}/"))


def validate_blob(path: str, data: bytes, releases: str) -> None:
    """Validate one file by where it lives; exit 2 naming each problem."""
    from gatekeeper.models.records import Request, Signoff
    from gatekeeper.policyfile import parse_policy
    from gatekeeper.release import parse_evidence, parse_record

    parts = path.split("/")
    if path.startswith(f"{POLICY_DIR}/") and len(parts) == 2 and path.endswith(".toml"):
        parse_policy(data, path)
    elif not path.startswith(f"{releases}/") or not path.endswith(".toml"):
        return
    elif parts[-1] == "request.toml" and "approvals" not in parts and "evidence" not in parts:
        parse_record(Request, data, path)
    elif len(parts) >= 3 and parts[-2] == "approvals":
        parse_record(Signoff, data, path)
    elif len(parts) >= 3 and parts[-2] == "evidence":
        parse_evidence(path, data, {})


def validate_files(root: Path, paths: list[str], releases: str = "releases") -> int:
    """Validate files on disk (what pre-commit hands over); returns how many were checked."""
    checked = 0
    for name in paths:
        rel = Path(name)
        full = rel if rel.is_absolute() else root / rel
        relpath = full.resolve().relative_to(root.resolve()).as_posix() if full.exists() else name
        if not is_relevant(relpath, releases):
            continue
        if full.is_symlink():
            raise RecordError(
                f"{relpath}: is a symlink; expected a regular file",
                hint="release records must be plain files",
            )
        if not full.exists():
            continue  # deleted: append-only checks see deletions in the index
        if full.stat().st_size > MAX_BLOB_BYTES:
            raise RecordError(
                f"{relpath}: {full.stat().st_size} bytes; expected at most {MAX_BLOB_BYTES}",
                hint="keep large artefacts out of git",
            )
        validate_blob(relpath, full.read_bytes(), releases)
        checked += 1
    return checked


def validate_index(repo: GitRepo, releases: str = "releases", *, everything: bool = False) -> int:
    """Validate staged policy and record files (or, with `everything`, all of them in the
    index), and refuse edits of committed records."""
    changed = (
        None
        if everything
        else {path for _, path in repo.staged_changes(POLICY_DIR)}
        | {path for _, path in repo.staged_changes(releases)}
    )
    checked = 0
    for folder in (POLICY_DIR, releases):
        for entry in repo.index_entries(folder):
            if changed is not None and entry.path not in changed:
                continue
            validate_blob(entry.path, repo.read_blob(entry), releases)
            checked += 1
    validate_index_append_only(repo, releases)
    return checked


def validate_index_append_only(repo: GitRepo, releases: str = "releases") -> None:
    """A committed sign-off or evidence record may never be edited or deleted."""
    problems = [
        f"{path}: committed records are append-only; {'edited' if status == 'M' else 'deleted'}"
        for status, path in repo.staged_changes(releases)
        if status in {"M", "D", "T"}
        and path.split("/")[-2:-1]
        and path.split("/")[-2] in APPEND_ONLY
    ]
    if problems:
        raise InputError(
            problems[0],
            lines=problems,
            hint="add a new record instead (e.g. `gate revoke`); restore the file "
            "with `git restore --staged --worktree PATH`",
        )

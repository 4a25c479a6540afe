"""`gate validate`: schema checks of policy and record files, and append-only records.

This is the hook's early warning; `gate check` enforces the same rules from history,
because a hook can be skipped. The release folder is the one the policy names, read
from HEAD and from the index alike, so a policy change staged in the same commit
cannot hide record edits from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gatekeeper.errors import GateError, InputError, RecordError
from gatekeeper.policy.loading import POLICY_DIR
from gatekeeper.records.layout import classify, is_record_path
from gatekeeper.repo import MAX_BLOB_BYTES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gatekeeper.records.layout import RecordPath
    from gatekeeper.repo import GitRepo

HINT = (
    "add a new record instead (e.g. `gate revoke`, `gate request TAG --revise`); restore "
    "the file with `git restore --staged --worktree PATH`"
)


def releases_folder(root: Path) -> str | None:
    """The `releases` folder named by the policy files on disk (None when unreadable, or
    when one is not a plain file of at most MAX_TOML_BYTES: a symlink, a pipe, a device)."""
    import stat
    import tomllib

    from gatekeeper.models.tomlfile import MAX_TOML_BYTES

    folder = "releases"
    try:
        for path in (root / POLICY_DIR).glob("*.toml"):
            if not stat.S_ISREG(path.lstat().st_mode):
                return None
            with path.open("rb") as handle:
                data = handle.read(MAX_TOML_BYTES + 1)
            if len(data) > MAX_TOML_BYTES:
                return None
            folder = tomllib.loads(data.decode("utf-8")).get("releases", folder)
    except (OSError, ValueError, RecursionError):
        return None
    return folder if isinstance(folder, str) else None


def is_relevant(path: str, releases: str = "releases") -> bool:
    """Whether `gate validate` has anything to say about `path` (a policy, or anything
    shaped like a release record, whichever folder it is in)."""
    return path.startswith((f"{POLICY_DIR}/", f"{releases}/")) or is_record_path(path)


def release_folders(repo: GitRepo) -> tuple[str, ...]:
    """The release folders named by the policy at HEAD and by the policy in the index."""
    import tomllib

    folders = set()
    head = repo.head()
    if head is not None:
        try:
            from gatekeeper.policy.loading import policy_in_force

            folders.add(policy_in_force(repo, head, None).policy.releases)
        except GateError:
            pass  # an unreadable committed policy: the staged one is validated below
    for entry in repo.index_entries(POLICY_DIR):
        try:
            value = tomllib.loads(repo.read_blob(entry).decode("utf-8")).get("releases")
        except (GateError, ValueError):
            continue
        if isinstance(value, str):
            folders.add(value)
    return tuple(sorted(folders or {"releases"}))


def _where(path: str, folders: Sequence[str]) -> RecordPath | None:
    for folder in folders:
        found = classify(path, folder)
        if found is not None:
            return found
    return None


def validate_blob(path: str, data: bytes, folders: Sequence[str]) -> None:
    """Validate one file by where it lives; exit 2 naming each problem."""
    from gatekeeper.models.records import Request, Signoff
    from gatekeeper.policy.loading import parse_policy
    from gatekeeper.records.reading import parse_evidence, parse_record

    if path.startswith(f"{POLICY_DIR}/") and path.count("/") == 1 and path.endswith(".toml"):
        parse_policy(data, path)
        return
    found = _where(path, folders)
    if found is None:
        return
    if found.kind == "request":
        parse_record(Request, data, path)
    elif found.kind == "approval":
        parse_record(Signoff, data, path)
    elif found.kind == "evidence":
        parse_evidence(path, data, {})


def validate_files(root: Path, paths: list[str], folders: Sequence[str] = ("releases",)) -> int:
    """Validate files on disk (what pre-commit hands over); returns how many were checked."""
    checked = 0
    for name in paths:
        rel = Path(name)
        full = rel if rel.is_absolute() else root / rel
        relpath = full.resolve().relative_to(root.resolve()).as_posix() if full.exists() else name
        if not any(is_relevant(relpath, folder) for folder in folders):
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
        validate_blob(relpath, full.read_bytes(), folders)
        checked += 1
    return checked


def validate_index(repo: GitRepo, folders: Sequence[str], *, everything: bool = False) -> int:
    """Validate staged policy and record files (or, with `everything`, all of them in the
    index), and refuse edits of committed records."""
    changed = None
    if not everything:
        changed = {path for f in (POLICY_DIR, *folders) for _, path in repo.staged_changes(f)}
    checked = 0
    for folder in (POLICY_DIR, *folders):
        for entry in repo.index_entries(folder):
            if changed is not None and entry.path not in changed:
                continue
            validate_blob(entry.path, repo.read_blob(entry), folders)
            checked += 1
    validate_index_append_only(repo, folders)
    return checked


def validate_index_append_only(repo: GitRepo, folders: Sequence[str]) -> None:
    """A committed record may never be edited or deleted; a request only revised."""
    problems = []
    for folder in folders:
        for status, path in repo.staged_changes(folder):
            found = classify(path, folder)
            if status not in {"M", "D", "T"} or found is None:
                continue
            if found.kind == "request" and status == "M":
                problems += _revision_problem(repo, path)
            else:
                what = {"M": "edited", "D": "deleted", "T": "replaced"}[status]
                problems.append(f"{path}: committed records are append-only; {what}")
    if problems:
        raise InputError(problems[0], lines=problems, hint=HINT)


def _revision_problem(repo: GitRepo, path: str) -> list[str]:
    """A staged request.toml must be the next revision of the committed one."""
    import hashlib

    from gatekeeper.models.records import Request
    from gatekeeper.records.lineage import link_problem
    from gatekeeper.records.reading import parse_record

    head = repo.head()
    staged = [e for e in repo.index_entries(path.rsplit("/", 1)[0]) if e.path == path]
    if head is None or len(staged) != 1:
        return []
    old = repo.blob_at(head, path)
    new = parse_record(Request, repo.read_blob(staged[0]), path)
    previous = parse_record(Request, old, path)
    if new.revision == previous.revision + 1 and new.supersedes == hashlib.sha256(old).hexdigest():
        return []
    problem = link_problem(new, previous.revision + 1, old) or "is not the next revision"
    return [f"{path}: {problem}; change a request only with `gate request TAG --revise`"]

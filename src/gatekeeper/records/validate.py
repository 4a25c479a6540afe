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
from gatekeeper.records.layout import REQUEST, RecordPath, classify, is_record_path
from gatekeeper.repo import MAX_BLOB_BYTES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gatekeeper.repo import GitRepo

HINT = (
    "add a new record instead (e.g. `gate revoke`, `gate request TAG --revise`); restore "
    "the file with `git restore --staged --worktree PATH`"
)


def releases_folder(root: Path) -> str | None:
    """The `releases` folder named by the policy files on disk (None when unreadable, or
    when one is not a plain file of at most MAX_TOML_BYTES: a symlink, a pipe, a device)."""
    import tomllib

    from gatekeeper.models.tomlfile import MAX_TOML_BYTES
    from gatekeeper.plainfile import read_plain

    folder = "releases"
    try:
        for path in (root / POLICY_DIR).glob("*.toml"):
            data = read_plain(path, MAX_TOML_BYTES, follow=False)
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
        full, relpath = _in_work_tree(root, name)
        if not any(is_relevant(relpath, folder) for folder in folders):
            continue
        if full is None:
            raise InputError(
                f"{name}: outside the work tree of {root}; expected a path inside it",
                hint="name files in the repository, relative to its top (as pre-commit does)",
            )
        data = _plain_file(full, relpath)
        if data is not None:
            validate_blob(relpath, data, folders)
            checked += 1
    return checked


def _in_work_tree(root: Path, name: str) -> tuple[Path | None, str]:
    """The file `name` names and its path in the work tree, its folder resolved but never
    the file itself (a symlink is refused, not followed); (None, name) when it is outside."""
    import os

    given = Path(os.path.normpath(name))
    full = given if given.is_absolute() else Path(os.path.normpath(root / given))
    try:
        rel = (full.parent.resolve() / full.name).relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError):  # outside, or a symlink loop on the way
        return None, given.as_posix()
    return full, rel.as_posix()


def _plain_file(full: Path, relpath: str) -> bytes | None:
    """The bytes of a regular file of at most MAX_BLOB_BYTES; None when it is gone (deleted:
    the append-only checks see deletions in the index); exit 2 for anything else."""
    import stat

    from gatekeeper.plainfile import read_plain

    try:
        info = full.lstat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    kinds = {stat.S_IFREG: "", stat.S_IFLNK: "a symlink", stat.S_IFDIR: "a folder"}
    what = kinds.get(stat.S_IFMT(info.st_mode), "a pipe, a socket or a device")
    if what:
        raise RecordError(
            f"{relpath}: is {what}; expected a regular file",
            hint="policy and release records must be plain files inside the repository",
        )
    try:
        data = read_plain(full, MAX_BLOB_BYTES, follow=False)
    except OSError as exc:
        raise RecordError(
            f"{relpath}: cannot be read ({exc.strerror or exc}); expected a readable file",
            hint="check the file's permissions",
        ) from None
    if len(data) > MAX_BLOB_BYTES:
        raise RecordError(
            f"{relpath}: {max(info.st_size, len(data))} bytes; expected at most {MAX_BLOB_BYTES}",
            hint="keep large artefacts out of git",
        )
    return data


def unstaged(repo: GitRepo, folder: str) -> list[str]:
    """Paths under `folder` whose work-tree copy differs from the index, untracked ones too
    (what `git add` would still change): a change that is staged is not listed."""
    out = repo.run("status", "--porcelain", "-z", "--untracked-files=all", "--", f"{folder}/")
    found, records = [], iter(out.split("\0"))
    for record in records:
        if len(record) < 4:
            continue
        if record[0] in "RC":  # a staged rename or copy: its source path comes next
            next(records, None)
        if record[1] != " ":  # Y, the work tree's column: ' ' means as staged
            found.append(record[3:])
    return found


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
            if status not in {"M", "D", "T"}:
                continue
            found = classify(path, folder) or _in_a_release(repo, path, folder)
            if found is None:
                continue
            if found.kind == "request" and status == "M":
                problems += _revision_problem(repo, path)
            else:
                what = {"M": "edited", "D": "deleted", "T": "replaced"}[status]
                problems.append(f"{path}: committed records are append-only; {what}")
    if problems:
        raise InputError(problems[0], lines=problems, hint=HINT)


def _in_a_release(repo: GitRepo, path: str, releases: str) -> RecordPath | None:
    """A committed file directly in a release folder (`releases/v1.0.0/notes.md`), which
    only the folder's committed request says is one: like every file there, append-only."""
    from gatekeeper.records.layout import enclosing_tags

    head = repo.head()
    tags = enclosing_tags(path, releases)
    if head is None or not tags:
        return None
    held = repo.holds([(head, f"{releases}/{tag}/{REQUEST}") for tag in tags])
    return next((RecordPath(path, t, "other") for t, h in zip(tags, held, strict=True) if h), None)


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

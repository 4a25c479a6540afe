"""Writing records: validated (and signed) before a byte is written, committed as one
commit, and removed again if git refuses."""

from __future__ import annotations

from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekeeper.errors import GitError, RecordError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from gatekeeper.models.base import Strict
    from gatekeeper.records.session import Session
    from gatekeeper.repo import GitRepo
    from gatekeeper.trust.signing import SigningKey


@dataclass(frozen=True)
class Written:
    """What a writing command wrote and the commit it made (None with --no-commit)."""

    paths: tuple[str, ...]
    commit: str | None
    message: str


def dump(
    model: type[Strict],
    doc: dict[str, Any],
    path: str,
    key: SigningKey | None,
    *,
    strict: bool = True,
) -> bytes:
    """Validate (and sign) before writing: gatekeeper never writes a record it would refuse."""
    import tomli_w
    from pydantic import ValidationError

    from gatekeeper.models.tomlfile import validation_lines

    clean = {k: v for k, v in doc.items() if v is not None}
    _refuse_undecodable(clean, path)
    try:
        record = model.model_validate(clean, strict=strict)
    except ValidationError as exc:
        lines = validation_lines(path, exc)
        raise RecordError(lines[0], lines=lines, hint="check the option values") from None
    if key is not None:
        from gatekeeper.trust.signing import payload

        record = record.model_copy(update={"signature": key.sign(payload(record))})
    return tomli_w.dumps(
        record.model_dump(mode="python", by_alias=True, exclude_none=True)
    ).encode()


def _refuse_undecodable(value: object, path: str, where: str = "") -> None:
    """A value typed in a terminal that does not speak UTF-8 reaches Python as lone
    surrogates: exit 2 naming the field, before anything is written."""
    if isinstance(value, dict):
        for key, item in value.items():
            _refuse_undecodable(item, path, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for n, item in enumerate(value):
            _refuse_undecodable(item, path, f"{where}[{n}]")
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise RecordError(
                f"{path}: {where}: {value.encode('utf-8', 'replace').decode()!r} is not UTF-8 "
                "text; expected UTF-8",
                hint="type it again in a terminal that speaks UTF-8 (LANG=C.UTF-8)",
            ) from None


def stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def free_path(s: Session, stem: str, suffix: str) -> str:
    """A path that exists neither at HEAD nor on disk (records are never overwritten)."""
    candidate, n = f"{stem}{suffix}", 1
    while (s.repo.root / candidate).exists():
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    return candidate


@dataclass
class _Undo:
    """What writing changed in the work tree, to put back if anything fails."""

    created: list[Path] = field(default_factory=list)
    replaced: dict[Path, bytes] = field(default_factory=dict)

    def put(self, root: Path, files: dict[str, bytes]) -> None:
        """Write `files` under `root` (a regular file there is replaced), parents too; exit 2
        before writing anything when a folder on the way is a file or a symlink."""
        for rel in files:
            _refuse_blocked(root, rel)
        for rel, data in files.items():
            try:
                self._put(root, root / rel, data)
            except OSError as exc:
                raise RecordError(
                    f"{rel}: cannot be written ({exc.strerror or exc}); expected a writable "
                    "work tree",
                    hint="check the folder's permissions and free space; nothing was committed",
                ) from None

    def _put(self, root: Path, target: Path, data: bytes) -> None:
        for parent in reversed(target.parents):
            if not parent.exists() and root in parent.parents:
                parent.mkdir()
                self.created.append(parent)
        if target.is_file() and not target.is_symlink():
            self.replaced.setdefault(target, target.read_bytes())
        with target.open("wb" if target in self.replaced else "xb") as fh:
            if target not in self.replaced:
                self.created.append(target)  # ours only once made (never a folder)
            fh.write(data)

    def undo(self) -> None:
        """Put the work tree back as it was."""
        for path, old in self.replaced.items():
            path.write_bytes(old)
        for path in reversed(self.created):
            with suppress(OSError):
                path.unlink() if path.is_file() else path.rmdir()


def _refuse_blocked(root: Path, rel: str) -> None:
    """Every folder on the way to `rel` is a real folder or not there yet: a file named
    `releases` would make the write fail half-way, a symlink would write outside the tree."""
    folder = root
    for part in Path(rel).parts[:-1]:
        folder /= part
        if folder.is_symlink():
            what = "a symlink"
        elif folder.exists() and not folder.is_dir():
            what = "a file"
        else:
            continue
        where = folder.relative_to(root).as_posix()
        raise RecordError(
            f"{where}: is {what}; expected a folder (for {rel})",
            hint=f"move or rename {where} out of the way; nothing was written",
        )


def write(
    repo: GitRepo,
    files: dict[str, bytes],
    message: str,
    *,
    commit: bool,
    signing_key: str | None = None,
) -> Written:
    """Write `files` (a file that exists is replaced, and restored if anything fails), then
    stage and commit exactly them (signed with `signing_key` when given)."""
    undo, staging = _Undo(), False
    try:
        undo.put(repo.root, files)
        staging = True  # from here on `git add` may have staged some of them
        sha = repo.commit_files(list(files), message, commit=commit, signing_key=signing_key)
    except BaseException:  # Ctrl-C during the commit too: nothing may stay staged
        undo.undo()
        if staging:
            with suppress(GitError):  # the original failure is what the user needs to see
                repo.unstage(list(files))
        raise
    return Written(tuple(files), sha, message)


@contextmanager
def staged(repo: GitRepo, files: dict[str, bytes]) -> Iterator[dict[str, bytes]]:
    """Write and stage new `files`, and yield the blob git stored for each: what a later
    check reads and hashes, whatever `core.autocrlf`, `.gitattributes` or a filter did to
    the bytes. If the block fails, the files are removed and unstaged again."""
    undo = _Undo()
    try:
        undo.put(repo.root, files)
        yield repo.stage(list(files))
    except BaseException:
        undo.undo()
        with suppress(GitError):  # the original failure is what the user needs to see
            repo.unstage(list(files))
        raise

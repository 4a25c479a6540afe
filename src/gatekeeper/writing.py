"""Writing records: validated (and signed) before a byte is written, committed as one
commit, and removed again if git refuses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekeeper.errors import RecordError

if TYPE_CHECKING:
    from gatekeeper.models.base import Strict
    from gatekeeper.session import Session
    from gatekeeper.signing import SigningKey


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

    from gatekeeper.tomlfile import validation_lines

    clean = {k: v for k, v in doc.items() if v is not None}
    try:
        record = model.model_validate(clean, strict=strict)
    except ValidationError as exc:
        lines = validation_lines(path, exc)
        raise RecordError(lines[0], lines=lines, hint="check the option values") from None
    if key is not None:
        from gatekeeper.signing import payload

        record = record.model_copy(update={"signature": key.sign(payload(record))})
    return tomli_w.dumps(
        record.model_dump(mode="python", by_alias=True, exclude_none=True)
    ).encode()


def stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def free_path(s: Session, stem: str, suffix: str) -> str:
    """A path that exists neither at HEAD nor on disk (records are never overwritten)."""
    candidate, n = f"{stem}{suffix}", 1
    while (s.repo.root / candidate).exists():
        n += 1
        candidate = f"{stem}-{n}{suffix}"
    return candidate


def write(s: Session, files: dict[str, bytes], message: str, commit: bool) -> Written:
    """Write `files` (a file that exists is replaced, and restored if anything fails), then
    stage and commit exactly them."""
    created: list[Path] = []
    replaced: dict[Path, bytes] = {}
    try:
        for rel, data in files.items():
            target = s.repo.root / rel
            for parent in reversed(target.parents):
                if not parent.exists() and s.repo.root in parent.parents:
                    parent.mkdir()
                    created.append(parent)
            if target.is_file() and not target.is_symlink():
                replaced[target] = target.read_bytes()
            else:
                created.append(target)
            with target.open("wb" if target in replaced else "xb") as fh:
                fh.write(data)
        signing = s.key.git_value if s.loaded.policy.signatures == "commit" and s.key else None
        sha = s.repo.commit_files(list(files), message, commit=commit, signing_key=signing)
    except BaseException:
        for path, old in replaced.items():
            path.write_bytes(old)
        for path in reversed(created):
            if path.exists():
                path.unlink() if path.is_file() else path.rmdir()
        raise
    return Written(tuple(files), sha, message)

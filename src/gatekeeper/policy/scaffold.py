"""What `gate init` writes: the policy from a shipped template, and the plain git hooks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from gatekeeper.errors import InputError
from gatekeeper.policy.loading import POLICY_DIR

if TYPE_CHECKING:
    from gatekeeper.records.writing import Written
    from gatekeeper.repo import GitRepo

POLICY = f"{POLICY_DIR}/release.toml"
# Editors (Even Better TOML / taplo) validate against a copy beside the policy: a relative
# path works offline and matches this gate's version (docs/editors.md says why).
SCHEMA_COPY = f"{POLICY_DIR}/policy.schema.json"
SCHEMA_LINE = "#:schema ./policy.schema.json"


def init_policy(repo: GitRepo, template: str, *, commit: bool) -> tuple[Written, str | None, str]:
    """Write `policies/release.toml` from `template`, with git's author as its first person,
    through the writer every command uses; returns what was written, the key listed and
    the person id given to the author."""
    from gatekeeper.models.schemas import schema_text
    from gatekeeper.policy import templates
    from gatekeeper.records.writing import write

    templates.text(template)  # an unknown template is exit 2 before anything else
    there = existing_policy(repo)
    if there:  # every `policies/*.toml` is one policy: a second file would clash with it
        raise InputError(f"{there}: a policy already exists", hint=f"edit {there} instead")
    me = repo.author()
    # The key gate signs with, found where every signing command looks after --key.
    key = my_public_key(os.environ.get("GATE_SIGNING_KEY") or repo.config("user.signingkey"))
    text = with_schema_line(templates.render(template, me.name, me.email, key))
    message = f"gate: init policy from template '{template}'"
    pid = templates.person_id(me.email, me.name)
    files = {POLICY: text.encode(), SCHEMA_COPY: schema_text("policy").encode()}
    return write(repo, files, message, commit=commit), key, pid


def existing_policy(repo: GitRepo) -> str | None:
    """The first policy file in the work tree, if any (`policies/*.toml`)."""
    folder = repo.root / POLICY_DIR
    present = sorted(p.name for p in folder.glob("*.toml")) if folder.is_dir() else []
    return f"{POLICY_DIR}/{present[0]}" if present else None


def with_schema_line(text: str) -> str:
    """The policy text with our `#:schema` header as its first line (replacing any other:
    taplo reads the directive only at the top of a document)."""
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#:schema"):
        lines.pop(0)
    return SCHEMA_LINE + "\n" + "".join(lines)


def hooks_to_install(repo: GitRepo) -> tuple[Path, dict[str, bytes]]:
    """Where the hooks go and what they hold; exit 2, nothing written, when they cannot go
    there: another tool's hooks folder, a different hook (or a link, a folder) in the way,
    a hooks folder that is no folder. Asked before `gate init` writes anything."""
    from gatekeeper.policy import templates

    custom = repo.config("core.hooksPath")
    if custom:
        raise InputError(
            f"core.hooksPath is set to '{custom}'; not installing into another tool's hooks",
            hint='add `gate validate` and `gate hook pre-push "$@"` to those hooks, or use '
            "pre-commit (see README)",
        )
    folder = repo.hooks_dir()
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise InputError(
            f"{folder}: is {'a link' if folder.is_symlink() else 'a file'}; expected git's "
            "hooks folder",
            hint=f"move {folder} out of the way, or install the hooks with pre-commit",
        )
    scripts = {
        name: _hook(templates.hook_script(name)).encode() for name in ("pre-commit", "pre-push")
    }
    for name, data in scripts.items():
        target = folder / name
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise InputError(
                f"{target}: is {'a link' if target.is_symlink() else 'no file'}; expected "
                "no hook there, or gatekeeper's",
                hint=f"move {target} out of the way first; nothing was written",
            )
        if target.exists() and target.read_bytes() != data:
            raise InputError(
                f"{target}: a different hook is already installed", hint=_chain(target)
            )
    return folder, scripts


def write_hooks(folder: Path, scripts: dict[str, bytes]) -> list[Path]:
    """Copy hooks/pre-commit and hooks/pre-push into git's hooks folder, as
    `hooks_to_install` allowed (never overwriting: one already there as ours stays)."""
    folder.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for name, data in scripts.items():
        target = folder / name
        if target.is_file() and not target.is_symlink() and target.read_bytes() == data:
            continue
        with os.fdopen(os.open(target, flags, 0o755), "wb") as out:
            out.write(data)
        target.chmod(0o755)
    return [folder / name for name in scripts]


def _hook(script: str) -> str:
    """A hook script that runs this very gate (a hook runs outside any virtualenv)."""
    import shutil
    import sys

    here = Path(sys.argv[0]).resolve() if Path(sys.argv[0]).name == "gate" else None
    found = here or (Path(p) if (p := shutil.which("gate")) else None)
    return script.replace("@GATE@", str(found) if found else "gate")


def _chain(existing: Path) -> str:
    """How to run gatekeeper beside a hook that is already there."""
    text = existing.read_text(encoding="utf-8", errors="replace")
    if "pre-commit" in text and "INSTALL_PYTHON" in text:  # pre-commit's own hook script
        return (
            "pre-commit manages this hook: add gatekeeper to .pre-commit-config.yaml instead "
            "(hooks gate-validate and gate-pre-push; see README, 'hooks and CI')"
        )
    call = "gate validate" if existing.name == "pre-commit" else 'gate hook pre-push "$@"'
    return f"add this line to {existing} to chain it: {call} || exit 1"


def my_public_key(signingkey: str | None) -> str | None:
    """The public half of `user.signingkey`, else ~/.ssh/id_ed25519.pub, if readable."""
    from gatekeeper.trust.keys import key_material

    if signingkey and signingkey.startswith("key::"):
        return key_material(signingkey.removeprefix("key::")) or None
    candidates = []
    if signingkey:
        path = Path(signingkey).expanduser()
        candidates.append(path if path.suffix == ".pub" else path.with_name(path.name + ".pub"))
    candidates.append(Path.home() / ".ssh" / "id_ed25519.pub")
    for path in candidates:
        if path.is_file():
            return key_material(path.read_text(encoding="utf-8")) or None
    return None

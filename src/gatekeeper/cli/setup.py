"""Commands that set things up or check files: init, demo, schema, validate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gatekeeper.cli.options import NoCommit, RepoDir, out, repo_dir
from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.repo import GitRepo

SCHEMAS = ("request", "approval", "evidence", "policy")


def init(
    template: Annotated[
        str, typer.Option("--template", help="minimal, standard or strict.")
    ] = "standard",
    hooks: Annotated[bool, typer.Option("--hooks", help="Install the plain git hooks.")] = False,
    directory: RepoDir = None,
    no_commit: NoCommit = False,
) -> int:
    """Scaffold policies/release.toml from a shipped template, with you as its first person."""
    from gatekeeper import templates
    from gatekeeper.repo import open_repo

    text = templates.text(template)
    with open_repo(repo_dir(directory)) as repo:
        target = repo.root / "policies" / "release.toml"
        if hooks:
            _install_hooks(repo)
            if target.exists():
                return 0
        if target.exists():
            raise InputError(
                f"{target.relative_to(repo.root)}: already exists",
                hint="edit it, or remove it to start again",
            )
        me = repo.author()
        key = _my_public_key(repo.config("user.signingkey"))
        text = templates.render(template, me.name, me.email, key)
        target.parent.mkdir(exist_ok=True)
        target.write_text(text, encoding="utf-8")
        try:
            sha = repo.commit_files(
                ["policies/release.toml"],
                f"gate: init policy from template '{template}'",
                commit=not no_commit,
            )
        except BaseException:
            target.unlink()
            raise
    out(f"wrote policies/release.toml (template '{template}'); you are person 'you'")
    out(f"your key: {key}" if key else "no SSH public key found: add yours to people.you.keys")
    out(f"committed {sha[:12]}" if sha else "staged, not committed (--no-commit)")
    out("next: add your colleagues under [people] and [roles], then `gate request TAG --title ...`")
    return 0


def _install_hooks(repo: GitRepo) -> None:
    """Copy hooks/pre-commit and hooks/pre-push into git's hooks folder, never overwriting."""
    from gatekeeper import templates

    custom = repo.config("core.hooksPath")
    if custom:
        raise InputError(
            f"core.hooksPath is set to '{custom}'; not installing into another tool's hooks",
            hint='add `gate validate` and `gate hook pre-push "$@"` to those hooks, or use '
            "pre-commit (see README)",
        )
    folder = repo.hooks_dir()
    scripts = {name: templates.hook_script(name) for name in ("pre-commit", "pre-push")}
    for name, text in scripts.items():
        target = folder / name
        if target.exists() and target.read_text(encoding="utf-8") != text:
            raise InputError(
                f"{target}: a different hook is already installed",
                hint="merge it by hand: call `gate validate` / `gate hook pre-push`",
            )
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in scripts.items():
        (folder / name).write_text(text, encoding="utf-8")
        (folder / name).chmod(0o755)
        out(f"installed {folder / name}")


def _my_public_key(signingkey: str | None) -> str | None:
    """The public half of `user.signingkey`, else ~/.ssh/id_ed25519.pub, if readable."""
    candidates = []
    if signingkey:
        path = Path(signingkey).expanduser()
        candidates.append(path if path.suffix == ".pub" else path.with_name(path.name + ".pub"))
    candidates.append(Path.home() / ".ssh" / "id_ed25519.pub")
    for path in candidates:
        if path.is_file():
            return " ".join(path.read_text(encoding="utf-8").split()[:2])
    return None


def demo(
    directory: Annotated[
        Path | None, typer.Argument(metavar="DIR", help="Where (default: a temp dir).")
    ] = None,
) -> int:
    """Build a throwaway repo and walk one release from request to tag."""
    from gatekeeper.demo import run_demo

    run_demo(directory, out)
    return 0


def schema(
    which: Annotated[str, typer.Argument(metavar="request|approval|evidence|policy")] = "policy",
) -> int:
    """Print the JSON Schema of a file type (for editors)."""
    from gatekeeper.render.json import dumps
    from gatekeeper.schemas import json_schema

    if which not in SCHEMAS:
        raise InputError(
            f"schema: unknown file type '{which}'", hint=f"one of: {', '.join(SCHEMAS)}"
        )
    out(dumps(json_schema(which)))
    return 0


def validate(
    paths: Annotated[list[str] | None, typer.Argument(metavar="[PATH]...")] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every file in the index.")] = False,
    directory: RepoDir = None,
) -> int:
    """Schema-check policy and record files (default: what is staged) and append-only rules."""
    from gatekeeper import validate as v
    from gatekeeper.repo import open_repo

    with open_repo(repo_dir(directory)) as repo:
        folders = v.release_folders(repo)
        if paths:
            count = v.validate_files(repo.root, paths, folders)
            v.validate_index_append_only(repo, folders)
        else:
            count = v.validate_index(repo, folders, everything=everything)
    out(f"ok: {count} file(s) valid")
    return 0

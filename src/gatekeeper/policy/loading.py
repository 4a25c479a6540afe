"""Load the policy: every `policies/*.toml` at one revision, merged and validated."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from gatekeeper.errors import PolicyError
from gatekeeper.models.tomlfile import parse_toml, validation_lines

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy
    from gatekeeper.repo import GitRepo

POLICY_DIR = "policies"
HINT = (
    "fix the policy and commit it (gate reads the committed policy); `gate validate PATH` "
    "checks a file on disk, `gate schema policy` prints its JSON Schema"
)


@dataclass(frozen=True)
class LoadedPolicy:
    """The policy with where it came from: the commit, its files and their digest."""

    policy: Policy
    commit: str
    files: tuple[str, ...]
    sha256: str


def parse_policy(data: bytes, path: str) -> Policy:
    """One policy file, validated including its cross-references."""
    return _validate([(path, parse_toml(data, path))], path)


def load_policy(repo: GitRepo, commit: str) -> LoadedPolicy:
    """The policy at `commit` (objects only, never the working tree); parsed once per
    `policies/` tree in a process (an audit meets the same policy at every tag)."""
    key = ("policy", repo.tree_id(commit, POLICY_DIR) or "")
    if key not in repo.memo:
        repo.memo[key] = _load(repo, commit)
    loaded: LoadedPolicy = repo.memo[key]
    return replace(loaded, commit=commit)


def _load(repo: GitRepo, commit: str) -> LoadedPolicy:
    entries = [
        e
        for e in repo.ls_tree(commit, POLICY_DIR)
        if e.path.endswith(".toml") and e.path.count("/") == 1
    ]
    if not entries:
        repo.check_root(commit)  # git finds no path in a root tree out of its order
        raise PolicyError(
            f"{POLICY_DIR}/*.toml: no policy at commit {commit[:12]}",
            hint="run `gate init` to write policies/release.toml, then commit it",
        )
    digest = hashlib.sha256()
    docs = []
    for entry in sorted(entries, key=lambda e: e.path):
        data = repo.read_blob(entry)
        digest.update(entry.path.encode() + b"\0" + data + b"\0")
        docs.append((entry.path, parse_toml(data, entry.path)))
    where = docs[0][0] if len(docs) == 1 else f"{POLICY_DIR}/*.toml"
    policy = _validate(docs, where)
    return LoadedPolicy(policy, commit, tuple(p for p, _ in docs), digest.hexdigest())


def policy_in_force(repo: GitRepo, revision: str, policy_ref: str | None) -> LoadedPolicy:
    """The one answer to "which policy decides?": the trusted ref when one is given
    (resolved exactly, never guessed), else the policy at the revision being judged."""
    commit = repo.resolve_trusted(policy_ref, "--policy-ref") if policy_ref else revision
    return load_policy(repo, commit)


def _validate(docs: list[tuple[str, dict[str, Any]]], where: str) -> Policy:
    from pydantic import ValidationError

    from gatekeeper.models.policy import Policy
    from gatekeeper.policy.problems import problems as policy_problems

    lines: list[str] = []
    for path, doc in docs:
        try:
            Policy.model_validate(doc)
        except ValidationError as exc:
            lines += validation_lines(path, exc)
    if lines:
        raise PolicyError(lines[0], hint=HINT, lines=lines)
    merged = _merge(docs)
    try:
        policy = Policy.model_validate(merged)
    except ValidationError as exc:
        lines = validation_lines(where, exc)
        raise PolicyError(lines[0], hint=HINT, lines=lines) from None
    problems = [f"{where}: {problem}" for problem in policy_problems(policy)]
    if problems:
        raise PolicyError(problems[0], hint=HINT, lines=problems)
    return policy


def _merge(docs: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """Tables `people`/`roles` are merged, `gates` appended; a key set twice is an error."""
    merged: dict[str, Any] = {"gates": []}
    origin: dict[str, str] = {}
    for path, doc in docs:
        for key, value in doc.items():
            if key == "gates":
                merged["gates"] += value
            elif key in {"people", "roles"}:
                table = merged.setdefault(key, {})
                for name, item in value.items():
                    _once(origin, f"{key}.{name}", path)
                    table[name] = item
            elif key == "schema":
                merged[key] = value
            else:
                _once(origin, key, path)
                merged[key] = value
    return merged


def _once(origin: dict[str, str], key: str, path: str) -> None:
    first = origin.setdefault(key, path)
    if first != path:
        raise PolicyError(
            f"{path}: {key}: already set in {first}", hint="set each policy key in one file only"
        )

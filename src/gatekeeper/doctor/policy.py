"""The policy CI trusts: its ref exists and holds a policy that loads, every person can
prove a sign-off is theirs, and the editor's copy of the schema is this gate's."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.doctor import Problem, Result

if TYPE_CHECKING:
    from pathlib import Path

    from gatekeeper.doctor.setup import Setup

KEY_FIX = "add {pid}'s SSH public key to people.{pid}.keys (`ssh-keygen -y -f KEY` prints it)"


def trusted_ref(setup: Setup) -> Result:
    """2. The trusted ref (origin/HEAD, or --policy-ref) exists and its policy loads."""
    trusted = setup.trusted
    if trusted.problem:
        return Result(problems=(Problem(trusted.problem, trusted.fix),))
    policy, problem = setup.trusted_policy
    if policy is None:
        return Result(
            problems=(
                Problem(
                    f"the policy CI trusts ({trusted.ref}) does not load: {problem}",
                    f"commit a valid policies/release.toml to {trusted.ref} and push it "
                    "(`gate validate --all` says what is wrong)",
                ),
            )
        )
    commit = (trusted.commit or "")[:12]
    return Result(f"{trusted.ref} ({commit}) holds a policy that loads")


def keys(setup: Setup) -> Result:
    """3. Sign-offs are signed, and every person has a key to sign with."""
    policy = setup.policy
    if policy is None:
        return Result("no policy could be read (see trusted-ref)", skipped=True)
    if policy.signatures == "none":
        problem = Problem(
            "signatures = 'none': a sign-off counts for whoever the commit's author email "
            "names, and anyone can set that",
            "set signatures = 'ssh' and list each person's public key under people.<id>.keys",
        )
        return Result(problems=(problem,))
    problems = tuple(
        Problem(
            f"people.{pid} has no key: in '{policy.signatures}' mode no sign-off or request "
            f"of {pid} can count",
            KEY_FIX.format(pid=pid),
        )
        for pid, person in policy.people.items()
        if not person.keys
    )
    return Result(f"{len(policy.people)} people, each with a key", problems)


def editor_schema(setup: Setup) -> Result:
    """8. A `#:schema` file beside the policy is the schema of the gate installed here."""
    from gatekeeper.models.schemas import schema_text

    expected = schema_text("policy")
    problems: list[Problem] = []
    seen = 0
    for policy in sorted((setup.root / "policies").glob("*.toml")):
        target = _directive(_read(policy) or "")  # a dangling link or a folder: no policy
        if target is None or "://" in target:
            continue  # no directive, or a URL the editor fetches itself
        seen += 1
        path = policy.parent / target
        fix = f"gate schema policy > {setup.shown(path)}"
        if _read(path) is None:
            problems.append(
                Problem(
                    f"{setup.shown(policy)}: #:schema names {target}, a file that does not exist",
                    fix,
                )
            )
        elif _read(path) != expected:
            problems.append(
                Problem(
                    f"{setup.shown(path)} is not the schema of this gate: the editor checks "
                    "the policy against other rules than `gate check`",
                    fix,
                )
            )
    if not seen and not problems:
        return Result(
            "no #:schema line in policies/*.toml (optional: docs/editors.md)", skipped=True
        )
    return Result(f"{seen} policy file(s) point at this gate's schema", tuple(problems))


def _read(path: Path) -> str | None:
    """A file's text, or None when it is no readable file."""
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
    except OSError:
        return None


def _directive(text: str) -> str | None:
    """The target of a `#:schema` header (taplo reads it only before the first key)."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#:schema"):
            return stripped.removeprefix("#:schema").strip() or None
        if stripped and not stripped.startswith("#"):
            return None
    return None

"""The tools and the repository's shape: git and OpenSSH new enough, and on a long history
a commit-graph with changed-path (Bloom) filters, so reading records from history is fast."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from gatekeeper.doctor import Problem, Result

if TYPE_CHECKING:
    from gatekeeper.doctor.setup import Setup

LARGE_HISTORY = 10_000  # commits; below this, history walks are fast without a graph
WRITE_GRAPH = "git commit-graph write --reachable --changed-paths"


def git_too_old() -> Problem | None:
    """The repository module's own minimum (repo/base.py), as a problem instead of exit 2."""
    from gatekeeper.errors import GitError
    from gatekeeper.repo.base import require_git

    try:
        require_git()
    except GitError as exc:
        return Problem(exc.message, exc.hint or "install a newer git")
    return None


def openssh_problem(found: str, minimum: str) -> str | None:
    """Why `found` (`ssh -V`'s first word, e.g. OpenSSH_9.2p1) cannot make or check
    signatures, or None when it is at least `minimum`."""
    match = re.search(r"OpenSSH_(\d+)\.(\d+)", found)
    if match is None:
        return f"{found} found; signatures need OpenSSH {minimum} or newer (ssh-keygen -Y)"
    have = (int(match.group(1)), int(match.group(2)))
    want = tuple(int(part) for part in minimum.split("."))
    if have < want:
        return f"{found} is older than OpenSSH {minimum}: ssh-keygen cannot sign or verify (-Y)"
    return None


def versions(setup: Setup) -> Result:
    """1. git and, when the policy signs, OpenSSH are new enough."""
    from gatekeeper.repo.base import require_git
    from gatekeeper.trust.signing import MIN_OPENSSH, openssh_version

    git = require_git()  # diagnose() already made sure it is new enough
    policy = setup.policy
    if policy is not None and policy.signatures == "none":
        return Result(f"{git}; OpenSSH not needed (signatures = 'none')")
    found = openssh_version()
    problem = openssh_problem(found, MIN_OPENSSH)
    if problem:
        fix = f"install OpenSSH {MIN_OPENSSH} or newer (Debian, Ubuntu: openssh-client)"
        return Result(problems=(Problem(problem, fix),))
    return Result(f"{git}; {found}")


def commit_graph(setup: Setup) -> Result:
    """7. A long history has a commit-graph with changed-path filters."""
    count = int(setup.git("rev-list", "--count", "--all") or "0")
    if count <= LARGE_HISTORY:
        said = f"{count} commit{'' if count == 1 else 's'}"
        return Result(f"{said}: fast enough without a commit-graph", skipped=True)
    info = setup.root / (
        setup.git("rev-parse", "--git-path", "objects/info") or ".git/objects/info"
    )
    layers = graph_files(info)
    if not layers:
        return _slow(f"{count} commits and no commit-graph: every check walks history slowly")
    missing = [layer.name for layer in layers if not {b"BIDX", b"BDAT"} <= chunk_ids(layer)]
    if missing:
        return _slow(
            f"{count} commits, but the commit-graph ({', '.join(missing)}) has no changed-path "
            "(Bloom) filters: reading records and policy from history stays slow"
        )
    return Result(f"{count} commits; commit-graph with changed-path filters")


def _slow(problem: str) -> Result:
    return Result(problems=(Problem(problem, f"{WRITE_GRAPH} (git maintenance keeps it)"),))


def graph_files(info: Path) -> list[Path]:
    """The commit-graph git reads: `commit-graph`, else every layer of the split chain."""
    single = info / "commit-graph"
    if single.is_file():
        return [single]
    chain = info / "commit-graphs" / "commit-graph-chain"
    if not chain.is_file():
        return []
    hashes = chain.read_text(encoding="ascii", errors="replace").split()
    return [info / "commit-graphs" / f"graph-{h}.graph" for h in hashes]


def chunk_ids(path: Path) -> set[bytes]:
    """The chunk ids of a commit-graph file (git's format: `CGPH`, version, hash version,
    chunk count, base count, then 12-byte entries of id and offset)."""
    try:
        with path.open("rb") as handle:
            header = handle.read(8)
            if len(header) < 8 or header[:4] != b"CGPH":
                return set()
            table = handle.read(12 * header[6])
    except OSError:
        return set()
    return {table[i : i + 4] for i in range(0, len(table) - 11, 12)}

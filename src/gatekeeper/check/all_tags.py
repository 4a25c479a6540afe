"""`gate check --all-tags`: every release tag judged on its own."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from gatekeeper.check.evaluation import check_release
from gatekeeper.check.preconditions import refuse_shallow
from gatekeeper.check.report import Report
from gatekeeper.check.unreadable import unreadable_report

if TYPE_CHECKING:
    from gatekeeper.check.evaluation import CheckOptions
    from gatekeeper.repo import GitRepo


def check_each(repo: GitRepo, opts: CheckOptions) -> list[Report]:
    """Every release tag, each judged on its own: a tag that cannot be judged fails
    (with the reason), and never stops the others from being judged."""
    from gatekeeper.check.workers import gate_jobs, judged
    from gatekeeper.errors import GateError
    from gatekeeper.policy.loading import policy_in_force
    from gatekeeper.policy.tagname import is_release_tag

    gate_jobs()  # a bad GATE_JOBS is refused whatever there is to judge
    refuse_shallow(repo)
    head = repo.resolve_commit("HEAD", "HEAD")
    loaded = policy_in_force(repo, head, opts.policy_ref)
    from gatekeeper.records.history_cache import shared_index
    from gatekeeper.records.reading import read_ahead

    releases = loaded.policy.releases
    tags = {n: i for n, i in sorted(repo.tags().items()) if is_release_tag(n, loaded.policy)}
    folders = [(info.commit, name) for name, info in tags.items() if info.commit]
    # One history pass for every tag; while git walks, the release folders are read.
    shared_index(repo, head, releases, lambda _: read_ahead(repo, releases, folders))

    def judge(name: str) -> Report:
        info = tags[name]
        try:
            return check_release(repo, name, replace(opts, tag_info=info))
        except GateError as exc:
            problem = f"{exc.message} (hint: {exc.hint})" if exc.hint else exc.message
            return unreadable_report(
                name,
                loaded,
                info=info,
                revision=info.commit or "",
                stage=opts.stage,
                problem=problem,
            )

    # Each tag on its own: on every core, when there are many (check/workers.py).
    return judged(repo, list(tags), judge)

"""Which release does HEAD belong to? (`gate check` without a TAG)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.errors import InputError

if TYPE_CHECKING:
    from gatekeeper.repo import GitRepo


def release_for_head(repo: GitRepo) -> str:
    """The one untagged release whose candidate has HEAD's files, release records aside."""
    from gatekeeper.check.binding import stale_paths
    from gatekeeper.policy.loading import policy_in_force
    from gatekeeper.records.reading import read_release, release_tags

    head = repo.resolve_commit("HEAD", "HEAD")
    policy = policy_in_force(repo, head, None).policy
    tags = release_tags(repo, head, policy.releases)
    if not tags:
        raise InputError("no release at HEAD", hint="start one with `gate request TAG --title ...`")
    matches = []
    for tag in tags:
        if repo.tag(tag) is not None:
            continue
        request = read_release(repo, head, policy.releases, tag).request
        if request and not stale_paths(repo, request.candidate, head, policy):
            matches.append(tag)
    if len(matches) == 1:
        return matches[0]
    shown = ", ".join(tags[-10:])
    if not matches:
        raise InputError(
            f"no untagged release has HEAD as its candidate; releases: {shown}",
            hint="name one: `gate check TAG`",
        )
    raise InputError(
        f"several releases match HEAD: {', '.join(matches)}", hint="name one: `gate check TAG`"
    )

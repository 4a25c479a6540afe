"""Judging many releases on every core.

`gate status` and `gate audit` judge each release on its own: no judgement reads what
another writes (each has its own clock and its own trace of what it read). So once the
history is read, a run with many releases forks a worker per core and each judges a
share, in order.

Workers are forked (on Linux; elsewhere, and with GATE_JOBS=1, every release is judged
in this process, in turn), so each starts with all this process has read: the history
index, the release folders read ahead, what its memo holds; none of it is sent. A worker
lets go of this process's `git cat-file` processes (their pipes are this process's) and
starts its own. It sends back its judgements; a share a worker could not judge (or send)
is judged again here, so an error is raised, and reported, exactly as by one process.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

    from gatekeeper.repo import GitRepo

T = TypeVar("T")
R = TypeVar("R")

PARALLEL_AFTER = 200  # fewer releases are judged here: a fork costs more than it saves
_MOST = 8  # workers, at most, unless GATE_JOBS says otherwise
_WORK: dict[str, Callable[[Any], Any]] = {}  # "judge": what a forked worker runs


def jobs(count: int) -> int:
    """How many processes judge `count` releases: GATE_JOBS when set (1: this one alone),
    else, from PARALLEL_AFTER releases on, one per core this process may run on."""
    from gatekeeper.errors import InputError

    raw = os.environ.get("GATE_JOBS", "").strip()
    if raw and (not raw.isdigit() or int(raw) < 1):
        raise InputError(
            f"GATE_JOBS: {raw!r}; expected a number of processes, 1 or more",
            hint="unset GATE_JOBS to judge on every core, or set GATE_JOBS=1 for one process",
        )
    if sys.platform != "linux" or count < 2:
        return 1
    if raw:
        return min(int(raw), count)
    if count < PARALLEL_AFTER:
        return 1
    return max(1, min(_MOST, len(os.sched_getaffinity(0))))


def judged(
    repo: GitRepo,
    items: list[T],
    judge: Callable[[T], R],
    progress: Callable[[int, int], None] | None = None,
) -> list[R]:
    """`judge(item)` for each item, in order: here, or by forked workers (`jobs`)."""
    workers = jobs(len(items))
    if workers <= 1:
        return _here(items, judge, progress, 0, len(items))
    size = max(1, min(64, len(items) // (workers * 8)))
    shares = [items[at : at + size] for at in range(0, len(items), size)]
    return _apart(repo, shares, judge, workers=workers, progress=progress, total=len(items))


def _here(
    items: list[T],
    judge: Callable[[T], R],
    progress: Callable[[int, int], None] | None,
    done: int,
    total: int,
) -> list[R]:
    out = []
    for n, item in enumerate(items, start=done):
        if progress:
            progress(n, total)
        out.append(judge(item))
    return out


def _apart(
    repo: GitRepo,
    shares: list[list[T]],
    judge: Callable[[T], R],
    *,
    workers: int,
    progress: Callable[[int, int], None] | None,
    total: int,
) -> list[R]:
    import gc
    import multiprocessing

    out: list[R] = []
    _WORK["judge"] = judge
    gc.freeze()  # what this process holds stays shared with the workers, not copied
    try:
        with multiprocessing.get_context("fork").Pool(workers, _forked, (repo,)) as pool:
            answers = pool.imap(_share, shares)
            for share in shares:
                try:
                    got: list[R] | None = next(answers)
                except Exception:  # sent back unreadable: judged here
                    got = None
                out += got if got is not None else _here(share, judge, None, 0, total)
                if progress:
                    progress(len(out), total)
    finally:
        _WORK.clear()
        gc.unfreeze()
    return out


def _forked(repo: GitRepo) -> None:
    """In a worker, first: `git cat-file` processes of its own."""
    repo.forked()


def _share(items: list[Any]) -> list[Any] | None:
    """A worker's judgement of its share; None when one of them raised (judged again by
    the parent, which raises it as one process would)."""
    judge = _WORK["judge"]
    try:
        return [judge(item) for item in items]
    except Exception:
        return None

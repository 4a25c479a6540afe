"""What held in the review of path-limited gates and earlier releases' obligations
(test_paths_and_obligations.py has the findings): behaviour their fixes must keep."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import FixedClock, Repo, approve_all, make_repo
from snippets import POST_CHECK
from test_paths_and_obligations import (
    DBA,
    START,
    _check,
    _gate,
    _release,
    _summary,
    schema_released,
)


def _next(r: Repo, clock: FixedClock, tag: str = "v1.1.0") -> tuple[int, dict[str, Any]]:
    _release(r, clock, tag, approvers=("alice", "bob"))
    return _check(r, tag, clock.now + timedelta(minutes=1))


def test_a_migration_moved_out_of_migrations_applies(tmp_path: Path, monkeypatch: Any) -> None:
    r, clock = schema_released(tmp_path, monkeypatch)
    clock.tick()
    (r.path / "sql").mkdir()
    r.git("mv", "migrations/001.sql", "sql/001.sql")
    r.commit("move")
    code, data = _next(r, clock)
    assert code == 1 and _gate(data, "dba")["applies"] is True, _summary(data)


def test_a_migration_renamed_with_an_edit_applies(tmp_path: Path, monkeypatch: Any) -> None:
    r, clock = schema_released(tmp_path, monkeypatch)
    clock.tick()
    r.git("mv", "migrations/001.sql", "migrations/001_init.sql")
    r.write("migrations/001_init.sql", "create table customers (id int);\ndrop table x;\n")
    r.commit("rename")
    code, data = _next(r, clock)
    assert code == 1 and _gate(data, "dba")["applies"] is True, _summary(data)


def test_a_merge_that_brings_a_migration_applies(tmp_path: Path, monkeypatch: Any) -> None:
    r, clock = schema_released(tmp_path, monkeypatch)
    clock.tick()
    r.git("switch", "-q", "-c", "side")
    r.write("migrations/002.sql", "drop table customers;\n")
    r.commit("side migration")
    r.git("switch", "-q", "main")
    r.write("app.py", "print('x')\n")
    r.commit("main")
    r.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    code, data = _next(r, clock)
    assert code == 1 and _gate(data, "dba")["applies"] is True, _summary(data)


def test_a_migration_added_and_reverted_before_the_candidate_still_applies_the_gate(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Net nil at the end, but a commit since the previous release touched migrations/:
    the gate applies (a change made and undone in between is a change; the end-to-end
    difference alone let a revert of an approved change through, test_paths_review.py)."""
    r, clock = schema_released(tmp_path, monkeypatch)
    clock.tick()
    r.write("migrations/002.sql", "drop table customers;\n")
    r.commit("add")
    r.git("rm", "-q", "migrations/002.sql")
    r.commit("revert")
    code, data = _next(r, clock)
    assert code == 1 and _gate(data, "dba")["applies"] is True, _summary(data)


def test_a_request_revised_after_approval_to_dodge_a_gate_makes_approvals_stale(
    tmp_path: Path,
) -> None:
    leadership = (
        '[[gates]]\nid = "leadership"\ntype = "approval"\nroles = ["leadership"]\n'
        'min_each = 1\nwhen = { risk = ["major"] }\n'
    )
    r = make_repo(tmp_path, gates=leadership)
    assert r.gate("request", "v1.0.0", "--title", "t", "--risk", "normal", who="carol").code == 0
    for who, role in (("alice", "product"), ("bob", "rnd")):
        assert r.gate("approve", "v1.0.0", "--role", role, who=who).code == 0
    assert r.gate("request", "v1.0.0", "--revise", "--risk", "low", who="carol").code == 0
    assert r.gate("check", "v1.0.0").code == 1


def test_a_release_of_another_kind_is_no_previous_release(tmp_path: Path, monkeypatch: Any) -> None:
    """A gate `when = { kind = [...], paths = [...] }` that left a `config` release out is
    no baseline for the next `release`: v1.0.1 (config) shipped after the migration, but
    v1.1.0 is compared with v1.0.0, and the DBA is asked (it was once read the other way;
    the second review showed a release of another component switching a DBA gate off)."""
    gate = DBA.replace('paths = ["{glob}"]', 'kind = ["release"], paths = ["migrations/**"]')
    r = make_repo(tmp_path, extra='kinds = ["release", "config"]', gates=gate)
    clock = FixedClock(monkeypatch, START, timedelta(minutes=1))
    clock.tick()
    r.write("migrations/001.sql", "create table t (id int);\n")
    r.commit("schema")
    _release(r, clock, "v1.0.0")  # kind "release" (the default): dba approves
    clock.tick()
    r.write("migrations/002.sql", "drop table customers;\n")
    r.commit("migration")
    clock.tick()
    assert r.gate("request", "v1.0.1", "--title", "c", "--kind", "config", who="carol").code == 0
    for who in ("alice", "bob"):
        clock.tick()
        r.gate("approve", "v1.0.1", "--role", {"alice": "product", "bob": "rnd"}[who], who=who)
    clock.tick()
    r.git("tag", "-a", "v1.0.1", "-m", "v1.0.1")
    code, data = _next(r, clock)
    assert code == 1 and _gate(data, "dba")["applies"] is True, _summary(data)


def test_the_newest_of_some_commits_is_what_git_merge_base_independent_says(
    tmp_path: Path,
) -> None:
    """repo.newest_of (one walk) against `git merge-base --independent` (quadratic), on
    branches, merges and a second root, for every subset of ten commits taken in turn."""
    import itertools
    import random

    from gatekeeper.repo import open_repo

    r = make_repo(tmp_path)
    picks = [r.git("rev-parse", "HEAD").strip()]
    rng = random.Random(13)  # noqa: S311 - a fixed, repeatable history, not a secret
    for n in range(24):
        if n == 12:
            r.git("switch", "-q", "--orphan", "other")
        elif rng.random() < 0.3:
            r.git("switch", "-q", "-C", f"b{n}", rng.choice(picks))
        elif rng.random() < 0.3 and len(picks) > 2:
            r.git("merge", "-q", "--no-ff", "--allow-unrelated-histories", "-m", "m", picks[-3])
        r.write(f"f{n}.txt", str(n))
        picks.append(r.commit(f"c{n}").strip())
    chosen = rng.sample(picks, 10)
    with open_repo(r.path) as repo:
        for size in (2, 3, 5, 10):
            for subset in itertools.islice(itertools.combinations(chosen, size), 20):
                git_says = set(r.git("merge-base", "--independent", *subset).split())
                assert repo.newest_of(list(subset)) == git_says, subset


def _shipped_then_next(tmp_path: Path) -> tuple[Repo, datetime]:
    """v1.0.0 tagged now, its post-check never done; v1.1.0 requested and approved."""
    r = make_repo(tmp_path, gates=POST_CHECK)
    assert r.gate("request", "v1.0.0", "--title", "one").code == 0
    approve_all(r, "v1.0.0")
    r.git("tag", "-a", "v1.0.0", "-m", "shipped")
    tagged = datetime.now(UTC)
    r.write("app.py", "print('v1.1')\n")
    r.commit("next")
    assert r.gate("request", "v1.1.0", "--title", "two").code == 0
    approve_all(r, "v1.1.0")
    return r, tagged


def test_a_tag_dated_after_the_time_judged_but_not_the_clock_is_a_later_release(
    tmp_path: Path,
) -> None:
    """Judged `--at` an hour before v1.0.0 was tagged (by the machine's clock, a real
    date), v1.0.0 is a later release: it is not read as undated and owes nothing yet."""
    r, tagged = _shipped_then_next(tmp_path)
    code, data = _check(r, "v1.1.0", tagged - timedelta(hours=1))
    assert _gate(data, "obligations")["passed"] is True, (code, _summary(data))


def test_a_status_row_owed_by_a_tag_dated_2099_is_judged_on_every_run(tmp_path: Path) -> None:
    """v1.0.0's tag re-made dated 2099: v1.1.0's status row shows the obligation owed, and
    since that reads the machine's clock the row is not kept (its answer changes the day
    the clock passes the date)."""
    r, _ = _shipped_then_next(tmp_path)
    commit = r.git("rev-parse", "v1.0.0^{commit}")
    future = {"GIT_COMMITTER_DATE": "2099-01-01T00:00:00+00:00"}
    r.git("tag", "-f", "-a", "v1.0.0", "-m", "shipped", commit, env=future)
    res = r.gate("status", "--format", "json")
    assert res.code == 0, res.err
    row = next(x for x in json.loads(res.out)["releases"] if x["release"] == "v1.1.0")
    assert "obligations" in row["failing"], row
    kept = r.path / ".git" / "gatekeeper" / "status-4.json"
    assert "v1.1.0" not in json.loads(kept.read_text())["rows"]

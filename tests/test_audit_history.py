"""Histories built to contain each anomaly the audit must report; HTML in headless Chromium."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import (
    FixedClock,
    Repo,
    approve_all,
    chromium,
    make_repo,
    needs_chromium,
    signoff_by_hand,
)


def _audit(repo: Repo, *args: str) -> dict:  # type: ignore[type-arg]
    res = repo.gate("audit", *args, "--format", "json")
    assert res.code == 0, res.err
    return json.loads(res.out)  # type: ignore[no-any-return]


def _kinds(data: dict, release: str = "v1.0.0") -> set[str]:  # type: ignore[type-arg]
    rel = next(r for r in data["releases"] if r["release"] == release)
    return {a["kind"] for a in rel["anomalies"]}


def test_json_fields_and_timeline(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "t", "--risk", "major")
    approve_all(repo)
    assert repo.gate("tag", "v1.0.0").code == 0
    data = _audit(repo)
    assert data["signatures"] == "none" and data["head"] == repo.git("rev-parse", "HEAD")
    (rel,) = data["releases"]
    assert rel["candidate"] == repo.git("rev-parse", "HEAD~3")
    assert rel["request_commit"] == repo.git("rev-parse", "HEAD~2")
    assert rel["tag"]["commit"] == repo.git("rev-parse", "HEAD")
    assert rel["tag"]["annotated"] is True and rel["tag"]["signed"] is False
    assert rel["tag"]["tagger"] == "dave@example.com"  # who ran `gate tag`
    assert [e["kind"] for e in rel["events"]] == ["request", "signoff", "signoff", "tag"]
    assert rel["events"][0]["detail"] == "release, risk major: t"
    assert rel["events"][1]["person"] == "alice" and rel["events"][1]["verified"] is False
    assert rel["anomalies"] == [] and data["anomalies"] == []


def test_tag_before_approval(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "t")
    repo.git("tag", "-a", "-m", "too early", "v1.0.0")
    approve_all(repo)
    kinds = _kinds(_audit(repo))
    assert {"tag-before-gates", "record-after-tag"} <= kinds


def test_tag_moved_onto_other_code(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "t")
    approve_all(repo)
    repo.write("app.py", "print('late change')\n")
    repo.commit("late change")
    repo.git("tag", "-a", "-m", "moved", "v1.0.0")
    data = _audit(repo)
    assert "tag-tree-differs" in _kinds(data)
    rel = data["releases"][0]
    assert any("app.py" in a["message"] for a in rel["anomalies"])


def test_merge_that_rewrites_a_record(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "t")
    repo.git("checkout", "-q", "-b", "approvals")
    approve_all(repo)
    repo.git("checkout", "-q", "main")
    repo.write("notes.txt", "main moves on\n")
    repo.commit("unrelated")
    repo.git("merge", "-q", "--no-ff", "--no-commit", "approvals")
    f = next((repo.path / "releases/v1.0.0/approvals").glob("*alice*"))
    f.write_text(f.read_text().replace('comment = ""', 'comment = "rewritten in merge"'))
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "merge approvals")
    data = _audit(repo)
    rel = data["releases"][0]
    rewrites = [a for a in rel["anomalies"] if a["kind"] == "record-rewritten-in-merge"]
    assert len(rewrites) == 1 and "alice" in rewrites[0]["path"]
    assert rewrites[0]["commit"] == repo.git("rev-parse", "HEAD")
    # bob's approval merged unchanged is not an anomaly
    assert not any("bob" in a["path"] for a in rel["anomalies"])


def test_role_membership_judged_by_the_policy_at_the_time(repo: Repo) -> None:
    repo.gate("request", "v1.0.0", "--title", "t")
    approve_all(repo)
    # mallory approves as product while not a member; later she is added to the role.
    text = next((repo.path / "releases/v1.0.0/approvals").glob("*alice*")).read_text()
    repo.write("releases/v1.0.0/approvals/mallory.toml", text.replace('"alice"', '"mallory"'))
    outsider = repo.commit("mallory signs", who="mallory")
    policy = (repo.path / "policies/release.toml").read_text()
    repo.write(
        "policies/release.toml",
        policy.replace('members = ["alice"]', 'members = ["alice", "mallory"]'),
    )
    repo.commit("mallory joins product later")
    rel = _audit(repo)["releases"][0]
    flagged = [a for a in rel["anomalies"] if a["kind"] == "signer-not-in-role"]
    assert [a["commit"] for a in flagged] == [outsider]
    assert "policy" in [e["kind"] for e in rel["events"]]  # the policy changed mid-way


def test_policy_from_a_side_branch_used_for_a_release(repo: Repo) -> None:
    repo.git("checkout", "-q", "-b", "release")
    policy = (repo.path / "policies/release.toml").read_text()
    repo.write("policies/release.toml", policy.replace("min_each = 1", 'min_each = 1\ntitle = "x"'))
    repo.commit("policy tweak only on the release branch")
    repo.gate("request", "v1.0.0", "--title", "t")
    approve_all(repo)
    assert repo.gate("tag", "v1.0.0").code == 0
    data = _audit(repo, "--default-branch", "main")
    assert "policy-off-default-branch" in _kinds(data)


def test_release_tag_without_release_folder_and_period(repo: Repo) -> None:
    repo.git("tag", "-a", "-m", "x", "v0.9.0")
    data = _audit(repo)
    assert [a["kind"] for a in data["anomalies"]] == ["tag-without-release"]
    repo.gate("request", "v1.0.0", "--title", "t")
    assert [r["release"] for r in _audit(repo, "--since", "2000-01-01")["releases"]] == ["v1.0.0"]
    assert _audit(repo, "--until", "2000-12-31")["releases"] == []
    bad = repo.gate("audit", "--since", "last tuesday")
    assert bad.code == 2 and "expected an ISO 8601 date" in bad.err


def test_a_period_report_holds_what_the_full_report_says_of_its_releases(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quarter's report reads the records of the releases in it only; what it says of
    them is what the full report says."""
    clock = FixedClock(monkeypatch, datetime(2019, 3, 1, tzinfo=UTC), timedelta(minutes=1))
    for tag in ("v0.9.0", "v1.0.0"):
        clock.tick()
        repo.gate("request", tag, "--title", tag)
        clock.tick()
        approve_all(repo, tag)
        clock.tick()
        assert repo.gate("tag", tag).code == 0
        clock.now = datetime.now(UTC) - timedelta(days=2)
    full = {r["release"]: r for r in _audit(repo)["releases"]}
    period = _audit(repo, "--since", "2020-01-01")
    assert sorted(full) == ["v0.9.0", "v1.0.0"]
    assert period["releases"] == [full["v1.0.0"]]


@needs_chromium
def test_html_report_renders_in_headless_chromium(repo: Repo, tmp_path: Path) -> None:
    repo.gate("request", "v1.0.0", "--title", "First release")
    approve_all(repo)
    assert repo.gate("tag", "v1.0.0").code == 0
    repo.gate("request", "v1.1.0", "--title", "Second", who="alice")
    approve_all(repo, "v1.1.0", roles=("bob",))
    signoff_by_hand(repo, "alice", "product", tag="v1.1.0")  # alice self-approves: an anomaly
    report = tmp_path / "audit.html"
    assert repo.gate("audit", "--format", "html", "--output", str(report)).code == 0
    html = report.read_text()
    assert "http://" not in html and "https://" not in html and "<script" not in html
    dom = chromium(tmp_path, "--window-size=1200,900", "--dump-dom", report.as_uri()).stdout
    assert "✓ clean" in dom and "anomalies" in dom and "self-approval" in dom
    shot = tmp_path / "audit.png"
    chromium(tmp_path, "--window-size=1200,900", f"--screenshot={shot}", report.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a blank page compresses to a few KB; this one has tables


def test_a_rejection_filed_and_removed_on_a_merged_branch_is_in_the_log(repo: Repo) -> None:
    """carol rejects v1.0.0 on a branch, the branch removes the rejection again, and main
    merges it: end to end the merge changes nothing under releases/, yet the audit, which
    reads the history index (every commit, as the check does), shows the rejection and
    its deletion, and the check at the tag fails the release for it."""
    repo.gate("request", "v1.0.0", "--title", "t")
    approve_all(repo)
    repo.git("checkout", "-q", "-b", "quiet")
    assert repo.gate("reject", "v1.0.0", "--role", "pm", who="carol").code == 0
    (rejection,) = (repo.path / "releases/v1.0.0/approvals").glob("*carol*")
    rejection.unlink()
    removed = repo.commit("never mind", who="mallory")
    repo.git("checkout", "-q", "main")
    repo.write("notes.txt", "main moves on\n")
    repo.commit("unrelated")
    repo.git("merge", "-q", "--no-ff", "-m", "merge quiet", "quiet")
    repo.git("tag", "-a", "-m", "v1.0.0", "v1.0.0")
    data = _audit(repo)
    rel = data["releases"][0]
    assert ("carol", "reject") in {(a["person"], a["decision"]) for a in rel["approvals"]}
    deleted = [a for a in rel["anomalies"] if a["kind"] == "record-deleted"]
    assert [(a["path"], a["commit"]) for a in deleted] == [
        (f"releases/v1.0.0/approvals/{rejection.name}", removed)
    ]
    assert rel["check"]["passed"] is False  # what the check at the tag said already


def _at(monkeypatch: pytest.MonkeyPatch, stamp: str) -> None:
    monkeypatch.setenv("GIT_AUTHOR_DATE", stamp)
    monkeypatch.setenv("GIT_COMMITTER_DATE", stamp)


@pytest.mark.parametrize("folder", ["approvals", "evidence", "emergency"])
def test_period_audit_keeps_a_release_requested_in_the_period_despite_a_later_request_toml(
    repo: Repo, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    """v1.0.0 is requested on 2026-01-10; on 2026-03-10 someone commits a file named
    `request.toml` inside one of its record folders. January's audit lists v1.0.0: it was
    requested in January. (Found by a differential fuzz of the audit on the history index
    against the audit's own walk: the period's candidates took "the request" to be any
    added path ending in `/request.toml`, so the later file moved v1.0.0 to March, its
    request was never read, and January's report dropped it.)"""
    _at(monkeypatch, "2026-01-10T10:00:00+00:00")
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    _at(monkeypatch, "2026-03-10T10:00:00+00:00")
    repo.write(f"releases/v1.0.0/{folder}/request.toml", 'schema = 1\nrelease = "v1.0.0"\n')
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "a file named request.toml")
    everything = _audit(repo)
    (rel,) = everything["releases"]
    assert rel["requested_at"] == "2026-01-10T10:00:00+00:00"
    january = _audit(repo, "--since", "2026-01-01", "--until", "2026-01-31")
    assert [r["release"] for r in january["releases"]] == ["v1.0.0"]
    assert january["releases"][0]["requested_at"] == "2026-01-10T10:00:00+00:00"


def test_anomalies_of_a_release_are_listed_as_before_newest_changed_record_first(
    repo: Repo,
) -> None:
    """Two sign-off files of v1.0.0, `a` then `b`, are committed, then deleted in the same
    order. The audit lists what happened to each record with the one changed last first
    (its walk went newest first; reading the history index must not reorder the report:
    the fuzz found the order of anomalies had flipped)."""
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    for name in ("a", "b"):
        repo.write(f"releases/v1.0.0/approvals/{name}.toml", f"schema = 1\n# {name}\n")
        repo.git("add", "-A")
        repo.git("commit", "-q", "--no-verify", "-m", f"add {name}")
    for name in ("a", "b"):
        repo.git("rm", "-q", f"releases/v1.0.0/approvals/{name}.toml")
        repo.git("commit", "-q", "--no-verify", "-m", f"delete {name}")
    (rel,) = _audit(repo)["releases"]
    deleted = [a["path"] for a in rel["anomalies"] if a["kind"] == "record-deleted"]
    assert deleted == ["releases/v1.0.0/approvals/b.toml", "releases/v1.0.0/approvals/a.toml"]


def test_records_under_a_releases_folder_inside_policies_are_audited(tmp_path: Path) -> None:
    """The policy may put the release folder under `policies/` (`releases =
    "policies/releases"`). The audit's own walk filed every path under `policies/` as a
    policy change, so no record was read and the audit listed no release at all; the
    history index reads the records from their folder and leaves that folder out of the
    policy changes. (Found by reading the code during the same fuzz.)"""
    from conftest import make_repo

    repo = make_repo(tmp_path, extra='releases = "policies/releases"')
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(repo)
    (rel,) = _audit(repo)["releases"]
    assert rel["release"] == "v1.0.0"
    assert [e["kind"] for e in rel["events"]] == ["request", "signoff", "signoff"]


def test_a_record_whose_blob_is_gone_is_reported_as_when_read_one_at_a_time(
    tmp_path: Path,
) -> None:
    """The audit reads each release's records ahead in a few round trips; an object the
    repository lost (a damaged clone) is still refused where the record is read, as an
    anomaly of that record, and the other records and releases are audited as before."""
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "t", who="carol").code == 0
    approve_all(r)
    r.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    approvals = sorted((r.path / "releases/v1.0.0/approvals").iterdir())
    lost = r.git("rev-parse", f"HEAD:releases/v1.0.0/approvals/{approvals[0].name}")
    (r.path / ".git/objects" / lost[:2] / lost[2:]).unlink()  # loose: never packed here
    res = r.gate("audit", "--format", "json")
    assert "Traceback" not in res.err and "internal error" not in res.err, res.err
    log = json.loads(res.out)["releases"][0]
    invalid = [a for a in log["anomalies"] if a["kind"] == "record-invalid"]
    assert [a["path"] for a in invalid] == [f"releases/v1.0.0/approvals/{approvals[0].name}"]
    named = {a["path"] for a in log["approvals"]}
    assert len(named) == len(approvals) - 1  # the others are still read and verified


def test_a_period_report_reads_only_the_releases_dated_in_it_and_says_what_the_full_says(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A period's audit reads only the releases with a change or a tag dated in it. Each
    way a release is in the period (requested, tagged, a record edited, a file directly in
    its folder deleted) keeps it there, and what the report says of it, and of the tags
    without a release, is what the full report says."""
    clock = FixedClock(monkeypatch, datetime(2019, 3, 1, tzinfo=UTC), timedelta(minutes=1))
    for tag in ("v0.1.0", "v0.2.0", "v0.3.0", "v0.4.0", "v0.5.0"):
        clock.tick()
        assert repo.gate("request", tag, "--title", tag).code == 0
        clock.tick()
        approve_all(repo, tag)
        if tag != "v0.2.0":  # tagged in the period, below
            clock.tick()
            assert repo.gate("tag", tag).code == 0
    repo.write("releases/v0.4.0/notes.md", "kept\n")
    repo.commit("notes")
    repo.git("tag", "-a", "-m", "x", "v0.0.9")  # a release tag without a release
    clock.now = datetime(2021, 6, 1, tzinfo=UTC)
    clock.tick()
    repo.git("tag", "-a", "-m", "late", "v0.2.0")  # requested in 2019, tagged in 2021
    bob = next((repo.path / "releases/v0.3.0/approvals").glob("*bob*"))
    bob.write_text(bob.read_text().replace('comment = ""', 'comment = "later"'))
    repo.git("rm", "-q", "releases/v0.4.0/notes.md")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "tidy")  # v0.3.0 and v0.4.0 tampered with
    clock.tick()
    assert repo.gate("request", "v0.6.0", "--title", "new").code == 0
    full = _audit(repo)
    rows = {r["release"]: r for r in full["releases"]}
    assert sorted(rows) == ["v0.1.0", "v0.2.0", "v0.3.0", "v0.4.0", "v0.5.0", "v0.6.0"]
    for args, held in (
        (("--since", "2020-01-01"), ["v0.2.0", "v0.3.0", "v0.4.0", "v0.6.0"]),
        (("--until", "2020-01-01"), ["v0.1.0", "v0.2.0", "v0.3.0", "v0.4.0", "v0.5.0"]),
        (("--since", "2021-06-02"), []),
    ):
        period = _audit(repo, *args)
        assert period["releases"] == [rows[tag] for tag in held], args
        assert period["anomalies"] == full["anomalies"] != []

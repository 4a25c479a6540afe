"""The release manager's morning view (`gate status`) and `gate explain`: what is missing,
who it waits on, whether it is stale, what is due, and the exact commands that unblock it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import Repo, approve_all, make_repo, signoff_by_hand

TESTS_GATE = '[[gates]]\nid = "tests"\ntype = "evidence"\nkind = "test-report"\n'
POST_CHECK = (
    '[[gates]]\nid = "post-check"\ntype = "evidence"\nkind = "post-check"\n'
    'stage = "post-release"\ndue_hours = 24\n'
)
STATUS_KEYS = {
    "release",
    "stage",
    "passed",
    "title",
    "failing",
    "missing",
    "waiting_on",
    "stale",
    "next",
    "obligations",
}


def _status(r: Repo, *args: str) -> dict[str, Any]:
    res = r.gate("status", "--format", "json", *args)
    assert res.code == 0, res.err
    releases = json.loads(res.out)["releases"]
    assert len(releases) == 1 and set(releases[0]) == STATUS_KEYS
    return dict(releases[0])


def test_status_says_who_a_release_waits_on_and_what_they_type(repo: Repo) -> None:
    assert repo.gate("request", "v1.0.0", "--title", "First").code == 0
    assert repo.gate("approve", "v1.0.0", "--role", "product", who="alice").code == 0
    row = _status(repo)
    assert row["stage"] == "requested" and row["failing"] == ["acceptance"]
    assert row["missing"] == [{"gate": "acceptance", "why": "role 'rnd' has 0 of 1 approvals"}]
    assert row["waiting_on"] == [{"person": "bob", "role": "rnd"}]
    assert row["next"] == ["gate approve v1.0.0 --role rnd"]
    assert row["stale"] is None and row["obligations"] == []
    text = repo.gate("status").out.splitlines()
    assert text[0].split() == ["v1.0.0", "requested", "First"]
    assert text[1:] == [
        "    missing: acceptance: role 'rnd' has 0 of 1 approvals",
        "    waiting on: bob (rnd)",
        "    next: gate approve v1.0.0 --role rnd   (bob)",
    ]
    # A standing rejection waits on its author to revoke it, not on a new approval.
    assert repo.gate("reject", "v1.0.0", "--role", "rnd", who="bob").code == 0
    row = _status(repo)
    assert row["stage"] == "rejected"
    assert row["next"] == ["gate revoke v1.0.0 --role rnd"]
    assert row["missing"][0]["why"].startswith("rejected by bob as rnd")
    # Doing what it says unblocks it; then the next step is the tag.
    assert repo.gate("revoke", "v1.0.0", "--role", "rnd", who="bob").code == 0
    assert repo.gate("approve", "v1.0.0", "--role", "rnd", who="bob").code == 0
    row = _status(repo)
    assert (row["stage"], row["missing"], row["waiting_on"]) == ("approved", [], [])
    assert row["next"] == ["gate tag v1.0.0"]


def test_status_gives_the_attach_command_for_missing_evidence(tmp_path: Path) -> None:
    r = make_repo(tmp_path, gates=TESTS_GATE)
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    row = _status(r)
    assert row["missing"] == [{"gate": "tests", "why": "no valid test-report evidence"}]
    assert row["waiting_on"] == []
    assert len(row["next"]) == 1
    assert row["next"][0].startswith("gate attach v1.0.0 test-report report.xml")
    assert "    next: gate attach v1.0.0 test-report report.xml" in r.gate("status").out
    markdown = r.gate("status", "--format", "markdown").out
    assert "| release | stage | title | failing gates | waiting on | next |" in markdown
    assert "| `v1.0.0` | requested | t | tests |  | `gate attach v1.0.0 test-report" in markdown


def test_a_stale_release_says_what_changed_and_how_to_revise(repo: Repo) -> None:
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(repo)
    repo.write("app.py", "print('v2')\n")
    repo.commit("a fix after the sign-offs")
    row = _status(repo)
    assert row["stale"] == ["app.py"]
    assert row["missing"][0]["gate"] == "acceptance"
    assert row["missing"][0]["why"].startswith("stale: the revision differs from candidate")
    assert row["waiting_on"] == []
    assert row["next"] == [
        "gate request v1.0.0 --revise --candidate HEAD",
        "gate approve v1.0.0 --role product",
        "gate approve v1.0.0 --role rnd",
    ]
    text = repo.gate("status").out
    assert "    stale: changed since the candidate was signed off: app.py" in text
    assert "    next: gate request v1.0.0 --revise --candidate HEAD   (dave)" in text
    assert "    next: gate approve v1.0.0 --role product   (alice)" in text
    # Following the commands, as the people named, unblocks it.
    assert repo.gate("request", "v1.0.0", "--revise", "--candidate", "HEAD").code == 0
    approve_all(repo)
    row = _status(repo)
    assert (row["stage"], row["stale"], row["next"]) == ("approved", None, ["gate tag v1.0.0"])


def test_status_shows_post_release_obligations_due_then_overdue(tmp_path: Path) -> None:
    r = make_repo(tmp_path, gates=POST_CHECK)
    assert r.gate("request", "v1.0.0", "--title", "t").code == 0
    approve_all(r)
    assert r.gate("tag", "v1.0.0").code == 0
    tagged_at = datetime.fromisoformat(
        r.git("for-each-ref", "--format=%(taggerdate:iso-strict)", "refs/tags/v1.0.0")
    )
    due = tagged_at + timedelta(hours=24)
    row = _status(r)
    assert (row["stage"], row["passed"], row["failing"], row["missing"]) == ("tagged", True, [], [])
    assert row["obligations"] == [
        {
            "gate": "post-check",
            "due": due.isoformat(),
            "overdue": False,
            "pending": True,
            "done": False,
        }
    ]
    assert row["next"] == ["gate attach v1.0.0 post-check --set result=pass --set summary=TEXT"]
    assert f"    due: post-check by {due.isoformat(sep=' ', timespec='minutes')}" in (
        r.gate("status").out
    )
    later = (tagged_at + timedelta(hours=25)).isoformat()
    row = _status(r, "--at", later)
    assert row["failing"] == ["post-check"] and row["missing"] == []
    assert row["obligations"][0] | {"due": None} == {
        "gate": "post-check",
        "due": None,
        "overdue": True,
        "pending": False,
        "done": False,
    }
    assert "    OVERDUE: post-check since " in r.gate("status", "--at", later).out
    attached = r.gate(
        "attach", "v1.0.0", "post-check", "--set", "result=pass", "--set", "summary=ok"
    )
    assert attached.code == 0, attached.err
    row = _status(r, "--at", later)
    assert row["stage"] == "verified" and row["next"] == []
    assert row["obligations"][0]["done"] is True
    assert r.gate("status", "--at", later).out.splitlines() == [
        f"{'v1.0.0':<24} {'verified':<12} t"
    ]


def test_a_withdrawn_release_is_one_line(repo: Repo) -> None:
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    assert repo.gate("request", "v1.0.0", "--withdraw", "--reason", "superseded").code == 0
    row = _status(repo)
    assert (row["stage"], row["missing"], row["next"]) == ("withdrawn", [], [])
    assert len(repo.gate("status").out.splitlines()) == 1


def test_explain_lists_every_rule_what_did_not_count_and_the_commands(repo: Repo) -> None:
    assert repo.gate("request", "v1.0.0", "--title", "First").code == 0
    assert repo.gate("approve", "v1.0.0", "--role", "product", who="alice").code == 0
    outsider = signoff_by_hand(repo, "mallory", "rnd")
    res = repo.gate("explain", "v1.0.0")
    assert res.code == 1
    text = res.out
    assert text.startswith("release v1.0.0: FAILED\n  First\n")
    for line in (
        "[ok  ] records: Release records are append-only",
        "[ok  ] request: Release request",
        "[FAIL] acceptance: acceptance",
        "         approved by alice as product (unverified)",
        "         role 'rnd' has 0 of 1 approvals",
        "Records that do not count:",
        f"  {outsider} (rnd): mallory is not a member of role 'rnd'",
        "Who could unblock:",
        "  bob (rnd): gate approve v1.0.0 --role rnd",
        "Next commands:",
        "  gate approve v1.0.0 --role rnd",
    ):
        assert line in text.splitlines(), line
    data = json.loads(repo.gate("explain", "v1.0.0", "--format", "json").out)
    assert data["release"] == "v1.0.0" and data["passed"] is False and data["title"] == "First"
    assert [g["id"] for g in data["gates"]] == ["records", "request", "acceptance"]
    assert data["not_counted"] == [
        {"path": outsider, "role_or_kind": "rnd", "reason": "mallory is not a member of role 'rnd'"}
    ]
    assert data["waiting_on"] == [{"person": "bob", "role": "rnd"}]
    assert data["unblock"] == [
        {"person": "bob", "role": "rnd", "command": "gate approve v1.0.0 --role rnd"}
    ]
    assert data["next"] == ["gate approve v1.0.0 --role rnd"] and data["stale"] is None
    assert repo.gate("approve", "v1.0.0", "--role", "rnd", who="bob").code == 0
    res = repo.gate("explain", "v1.0.0", "--format", "json")
    assert res.code == 0 and json.loads(res.out)["next"] == ["gate tag v1.0.0"]
    markdown = repo.gate("explain", "--format", "markdown").out  # the release at HEAD
    assert markdown.startswith("### gate check `v1.0.0`: ✅ passed")
    assert f"- `{outsider}` (rnd): mallory is not a member of role 'rnd'" in markdown
    assert markdown.rstrip().endswith("#### Next commands\n\n```\ngate tag v1.0.0\n```")


def test_explain_refuses_an_unknown_stage(repo: Repo) -> None:
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    res = repo.gate("explain", "v1.0.0", "--stage", "later")
    assert res.code == 2 and "expected pre-tag or post-release" in res.err


def test_a_folder_the_policy_calls_no_release_is_no_status_row(repo: Repo) -> None:
    """`releases/lib/request.toml` made `gate status` exit 2 for every release."""
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    repo.write("releases/lib/request.toml", "not a request\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "junk")
    res = repo.gate("status", "--format", "json")
    assert res.code == 0, res.err
    assert [row["release"] for row in json.loads(res.out)["releases"]] == ["v1.0.0"]


def test_a_tag_whose_folder_cannot_be_read_fails_without_hiding_the_others(repo: Repo) -> None:
    """Records unreadable at the tagged commit (a tag pushed when the check exited 2 for
    them) made `gate status` exit 2 for every release, and the post-release check too."""
    for tag in ("v1.0.0", "v1.1.0"):
        assert repo.gate("request", tag, "--title", tag).code == 0
        approve_all(repo, tag)
    repo.write("releases/v1.0.0/approvals/zz.toml", "x\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "--no-verify", "-m", "garbage")
    repo.git("tag", "-a", "v1.0.0", "-m", "v1.0.0")
    repo.git("rm", "-q", "releases/v1.0.0/approvals/zz.toml")
    repo.git("commit", "-q", "--no-verify", "-m", "removed again")
    res = repo.gate("status", "--format", "json")
    assert res.code == 0, res.err
    rows = {row["release"]: row for row in json.loads(res.out)["releases"]}
    assert set(rows) == {"v1.0.0", "v1.1.0"} and rows["v1.0.0"]["passed"] is False
    res = repo.gate("check", "v1.0.0", "--stage", "post-release")
    assert res.code == 1 and "the release folder at the tagged commit cannot be read" in res.out

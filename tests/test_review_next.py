"""Review of gatekeeper's "what to do next", by a helper session walking new teams and
release managers through every suggestion: each test failed on the code it was written
against (real git, real gate, temp repositories)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import JUNIT_OK, Repo, approve_all, identity, make_repo

EMERGENCY_TWO = (
    '[emergency]\nroles = ["leadership", "ops"]\nmin = 2\nnever_waive = []\nretro_hours = 48\n'
)


def _block(status_text: str, tag: str) -> list[str]:
    """The lines of `gate status` that belong to `tag`."""
    lines, inside = [], False
    for line in status_text.splitlines():
        if not line.startswith(" "):
            inside = line.startswith(tag + " ")
        if inside:
            lines.append(line)
    return lines


def _fresh(tmp_path: Path, name: str = "fresh") -> Repo:
    r = Repo(tmp_path / name)
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    r.write("app.py", "print('v1')\n")
    r.commit("initial", who="alice")
    return r


# 1 ------------------------------------------------------------------------------------


def test_requester_is_only_member_of_a_required_role_is_told(tmp_path: Path) -> None:
    """Situation: the only member of a required approval role filed the request. This is
    what the shipped templates set up: `gate init` makes "you" the only `product` member
    (standard/strict) or the only `maintainer` (minimal), and seed 001 says the product
    office files the 上线申请. Here alice (only `product`) requests v1.0.0.

    gate suggested: `gate check` shows `role 'product' has 0 of 1 approvals` with no
    `waiting on:` and no command; `gate status` lists only `missing:` (no `next:`, no
    `waiting on:` for product) and, once everything else is in, shows nothing to do at all;
    `gate explain` says "Who could unblock: any person of the policy". When alice runs the
    obvious `gate approve v1.0.0 --role product`, it is refused with
    `hint: ... (`gate check TAG` says why)` - but gate check does not say why: a loop.

    At fault: check/explain.py `_gate_steps`/`waiting_on` (facts.waiting_on drops the
    requester and offers nothing instead), render/text.py `_explain_who`,
    records/refusals.py `_hint`.

    Should say, on the gate: `no one can approve as 'product': its only member alice
    requested v1.0.0 - add another member to [roles.product] (or set
    allow_self_approval)`, and status should carry that as its next step.
    """
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "T", who="alice").code == 0
    assert r.gate("approve", "v1.0.0", "--role", "rnd", who="bob").code == 0

    refused = r.gate("approve", "v1.0.0", "--role", "product", who="alice")
    assert refused.code == 2
    check = r.gate("check", "v1.0.0")
    assert check.code == 1
    acceptance = check.out.split("] acceptance:")[1]
    # gate check (which the refusal points to) must say why product cannot be approved
    assert "requested" in acceptance and "alice" in acceptance, check.out

    status = _block(r.gate("status").out, "v1.0.0")
    assert any("nobody left to approve as 'product'" in line for line in status), status

    explained = r.gate("explain", "v1.0.0").out
    assert "any person of the policy" not in explained, explained


def test_minimal_template_solo_maintainer_is_told_to_add_a_second(tmp_path: Path) -> None:
    """Situation: a new team runs `gate init --template minimal` (README: "one maintainer,
    tests"), follows its closing line `next: ... then gate request TAG --title ...`, attaches
    the test report. The only maintainer is the requester and allow_self_approval = false.

    gate suggested: status `missing: approval: 0 of 1 approvals from maintainer`, no
    `next:` and no `waiting on:` - the user is stuck with no command to run and no hint
    that a second maintainer must be added (and that adding one to the policy makes the
    release stale).

    At fault: check/explain.py `steps`/`_gate_steps`; cli/setup.py `init` closing line.

    Should say: `no one can approve as 'maintainer': alice requested v1.0.0; add a second
    maintainer under [people]/[roles.maintainer]` (ideally before the request, in init's
    closing line).
    """
    r = _fresh(tmp_path)
    init = r.gate("init", "--template", "minimal", who="alice")
    assert init.code == 0, init.err
    assert r.gate("request", "v1.0.0", "--title", "First", who="alice").code == 0
    r.write("report.xml", JUNIT_OK)
    assert (
        r.gate("attach", "v1.0.0", "test-report", str(r.path / "report.xml"), who="alice").code == 0
    )

    rows = json.loads(r.gate("status", "--format", "json", who="alice").out)["releases"]
    row = next(x for x in rows if x["release"] == "v1.0.0")
    assert row["failing"] == ["approval"]
    # something must tell the user what unblocks the approval gate
    why = [m["why"] for m in row["missing"] if m["gate"] == "approval"]
    assert why and "nobody left to approve as 'maintainer' (alice requested it)" in why[0], row
    assert "add a member to [roles.maintainer]" in why[0]


# 2 ------------------------------------------------------------------------------------

BACKUP_GATE = """
[[gates]]
id = "backup"
type = "evidence"
kind = "backup"
targets = ["database", "files"]
max_age_hours = 24
"""


def test_backup_next_names_the_target_still_missing(tmp_path: Path) -> None:
    """Situation: the standard template's backup gate wants targets database and files.
    The release manager runs the printed `next:` for backup (target=database), then
    checks again.

    gate suggested (check, status, explain): `next: gate attach v1.0.0 backup
    --set target=database --set location=URL [--set checksum=...]` - and after the
    database backup is attached and the gate says `no backup of target 'files'`, it
    suggests exactly the same database command again. Running it adds a second database
    backup; the gate still fails; the suggestion does not change: a loop. (Copied
    literally, the `[--set checksum=...]` part also fails: `error: [--set checksum=...]:
    expected one FILE`.) The stale-release redo list has the same fault.

    At fault: evidence/backup.py `example` (always `gate.targets[0]`), used by
    check/explain.py `attach_command` and the gate's own `next:` line.

    Should say: `next: gate attach v1.0.0 backup --set target=files --set location=URL`
    (one line per target still missing).
    """
    r = make_repo(tmp_path, gates=BACKUP_GATE)
    assert r.gate("request", "v1.0.0", "--title", "T", who="carol").code == 0
    approve_all(r)
    first = r.gate(
        "attach", "v1.0.0", "backup", "--set", "target=database", "--set", "location=s3://b/db"
    )
    assert first.code == 0, first.err
    check = r.gate("check", "v1.0.0")
    backup = check.out.split("] backup:")[1]
    assert "no backup of target 'files'" in backup
    nexts = [line.strip() for line in backup.splitlines() if line.strip().startswith("next:")]
    assert nexts and all("target=files" in n for n in nexts), nexts
    status_next = json.loads(r.gate("status", "--format", "json").out)["releases"][0]["next"]
    assert any("target=files" in n for n in status_next), status_next


# 3 ------------------------------------------------------------------------------------


def test_malformed_record_hint_does_not_send_user_to_edit_it(tmp_path: Path) -> None:
    """Situation: bob wrote his approval by hand, with a TOML error (`person = bob`), and
    committed it. Then anyone runs a writing command on the release (bob retrying
    `gate approve`, the requester trying `gate request v1.0.0 --withdraw`).

    gate suggested: `hint: fix the file (TOML 1.0, UTF-8 without BOM) and run gate
    validate PATH`; after a partial fix `hint: fix the record ... and commit the fix`.
    Doing that can never work: records are append-only, and `gate check` then fails the
    records gate for good ("edited after it was committed ... a changed record stays a
    change even when restored"). gate check's own advice differs ("release under a new
    tag"), and `gate status` gives no `next:` at all for that release. Withdrawing is
    refused with the same "fix the file" hint, so the broken release stays in status
    forever.

    At fault: records/reading.py HINT (raised by read_release in every writer via
    records/session.py), records/validate.py HINT for committed files; check/explain.py
    `steps` returns [] when facts is None.

    Should say (writers and status): `releases/v1.0.0/approvals/bob.toml is committed and
    cannot be changed; release under a new tag: gate request NEW_TAG --title ...`.
    """
    r = make_repo(tmp_path)
    assert r.gate("request", "v1.0.0", "--title", "T", who="carol").code == 0
    r.write(
        "releases/v1.0.0/approvals/bob.toml",
        'schema = 1\nrelease = "v1.0.0"\nrole = "rnd"\ndecision = "approve"\nperson = bob\n',
    )
    r.git("add", "-A")
    r.git("commit", "-q", "-m", "bob by hand", env=identity("bob"))

    retry = r.gate("approve", "v1.0.0", "--role", "rnd", who="bob")
    assert retry.code == 2
    hint = next(line for line in retry.err.splitlines() if line.startswith("hint:"))
    assert "fix the file" not in hint, hint
    assert "new tag" in hint or "NEW_TAG" in hint, hint

    row = json.loads(r.gate("status", "--format", "json").out)["releases"][0]
    assert row["next"], row


# 4 ------------------------------------------------------------------------------------


def test_emergency_short_of_declarers_is_reported(tmp_path: Path) -> None:
    """Situation: strict-like policy, `[emergency] roles = [leadership, ops], min = 2`
    (the strict template). During an incident erin (leadership) runs `gate emergency
    v1.0.1 --reason ... --ticket ...`; it is written and committed.

    gate suggested: nothing. `gate check`, `gate status` and `gate explain` never mention
    the emergency: no "1 of 2 declarations", no `waiting on: dave (ops)`, no `gate
    emergency` command; the stage stays `requested` and every gate is listed as if no
    emergency had been declared. The release manager cannot tell why the declared
    emergency does nothing. (In the strict template, if dave of ops is also the
    requester, the second declaration is impossible - also not said.)

    At fault: check/running.py `_waivable` (silently False below `min`), check/explain.py.

    Should say, e.g. `emergency: 1 of 2 declarations (erin); waiting on: dave (ops):
    gate emergency v1.0.1 --reason ...`.
    """
    r = make_repo(tmp_path, extra=EMERGENCY_TWO)
    assert r.gate("request", "v1.0.1", "--title", "hotfix", who="carol").code == 0
    declared = r.gate(
        "emergency", "v1.0.1", "--reason", "支付故障", "--ticket", "INC-1", who="erin"
    )
    assert declared.code == 0, declared.err

    check = r.gate("check", "v1.0.1")
    assert "emergency" in check.out.lower(), check.out
    status = r.gate("status").out
    assert "emergency" in status.lower() or "gate emergency" in status, status


# 5 ------------------------------------------------------------------------------------

NOTICE_GATE = """
[[gates]]
id = "notice"
title = "上线通告 / Launch notice"
type = "evidence"
kind = "launch-notice"
"""


def test_unknown_kind_suggests_the_kind_of_the_gate_so_named(tmp_path: Path) -> None:
    """Situation: the standard template's 上线通告 gate has id `notice` (kind
    launch-notice). gate check prints `[FAIL] notice: 上线通告 ...`; the release manager
    types `gate attach v1.0.0 notice notice.md`.

    gate suggested: `unknown evidence kind 'notice' (did you mean 'notice-sent'?)`.
    Running that: `error: --set channels: Field required (kind notice-sent)` with a hint
    to read notice-sent's schema - the user is led to hand-forge the record `gate notify`
    writes after sending, instead of attaching the notice. (`gate attach v1.0.0 上线通告
    notice.md` gets no suggestion at all.)

    At fault: records/refusals.py `refuse_kind` (did-you-mean over kind names only).

    Should say: `did you mean 'launch-notice'? (gate 'notice' / 上线通告 takes kind
    launch-notice)`; it could match gate ids and titles as well.
    """
    r = make_repo(tmp_path, gates=NOTICE_GATE)
    assert r.gate("request", "v1.0.0", "--title", "T", who="carol").code == 0
    r.write("notice.md", "# 上线通告\n")
    res = r.gate("attach", "v1.0.0", "notice", str(r.path / "notice.md"), who="alice")
    assert res.code == 2
    assert "launch-notice" in res.err and "'notice-sent'?" not in res.err, res.err


# 7 ------------------------------------------------------------------------------------


def test_freeze_reason_shows_window_in_the_zone_it_names(tmp_path: Path) -> None:
    """Situation: a freeze window written in UTC (`start = ...Z`) in a gate with
    `timezone = "Asia/Shanghai"` (the standard template's zone). The release manager
    reads `gate check`.

    gate printed: `inside 封网 (2026-11-24 03:35 – 2026-11-27 03:35 Asia/Shanghai); may
    be tagged from 2026-11-27 11:35` - the window's times are the UTC wall clock labelled
    Asia/Shanghai, eight hours off, and contradict the "may be tagged from" time next to
    them (`gate freeze` shows 11:35 correctly). A release manager in Beijing reads that
    the freeze ends at 03:35.

    At fault: gates/calendar.py `_covering` returns a one-off window's start/end as
    written (not `.astimezone(zone)`), printed by `freeze`.

    Should say: `inside 封网 (2026-11-24 11:35 – 2026-11-27 11:35 Asia/Shanghai)`.
    """
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start, end = now - timedelta(days=1), now + timedelta(days=2)
    gates = (
        '\n[[gates]]\nid = "freeze"\ntype = "freeze"\ntimezone = "Asia/Shanghai"\n'
        f'windows = [{{ title = "封网", start = {start.isoformat()}, end = {end.isoformat()} }}]\n'
    )
    r = make_repo(tmp_path, gates=gates)
    assert r.gate("request", "v1.0.0", "--title", "T", who="carol").code == 0
    out = r.gate("check", "v1.0.0").out
    local_end = (end + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    utc_end = end.strftime("%Y-%m-%d %H:%M")
    line = next(x for x in out.splitlines() if "inside 封网" in x)
    assert f"– {local_end} Asia/Shanghai" in line, line
    assert f"– {utc_end} Asia/Shanghai" not in line, line


# 8 ------------------------------------------------------------------------------------


def test_init_lists_the_key_gate_signs_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Situation: a new team member sets GATE_SIGNING_KEY (one of the three places every
    signing command reads: --key, GATE_SIGNING_KEY, user.signingkey) and runs `gate init`
    (standard template: signatures = "ssh").

    gate suggested: `no SSH public key found: add yours to people.alice.keys`, and wrote a
    policy with `keys = []` - which gate itself then refuses to load (`signatures: 'ssh'
    needs keys, but no person lists any`), so the `next: ... gate request TAG` that init
    prints fails at once.

    At fault: policy/scaffold.py `my_public_key` (reads user.signingkey and
    ~/.ssh/id_ed25519.pub, not GATE_SIGNING_KEY).

    Should: use the GATE_SIGNING_KEY key too (`your key: ssh-ed25519 ...`), and when none is
    found say how: `ssh-keygen -y -f KEY` into people.alice.keys before the first request.
    """
    r = _fresh(tmp_path)
    key = tmp_path / "alice_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f", str(key)], check=True
    )
    monkeypatch.setenv("GATE_SIGNING_KEY", str(key))
    init = r.gate("init", "--template", "standard", who="alice")
    assert init.code == 0, init.err
    assert "your key:" in init.out, init.out
    request = r.gate("request", "v1.0.0", "--title", "T", who="alice")
    assert request.code == 0, request.err

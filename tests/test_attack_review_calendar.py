"""Attack review of the calendar, exceptions and obligations: freeze windows, lead time
and what earlier releases owe. Each test failed on the code as reviewed and asserts what a
careful release manager expects. Checks run as CI runs them on a tag push (`--policy-ref
main --at now`), or as the scheduled re-check does (`--policy-ref main`, the tag's date).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from conftest import FixedClock, approve_all, component_repo, make_repo
from snippets import POST_CHECK
from test_paths_and_obligations import START, _check, _gate, _summary

# --------------------------------------------------------------------------------------
# O1. An earlier release's scope is read from its tag's text only, never its request:
#     billing's release tagged without its prefix (`v1.0.0 --component billing`, which
#     component_problem allows) owes nothing to billing's next release `billing/v1.1.0`.
# --------------------------------------------------------------------------------------


def test_an_earlier_component_release_tagged_without_its_prefix_still_binds_the_component(
    tmp_path: Path,
) -> None:
    r = component_repo(
        tmp_path, POST_CHECK.replace('"all"', '"component"'), extra='components = ["billing"]\n'
    )
    res = r.gate("request", "v1.0.0", "--title", "b1", "--component", "billing")
    assert res.code == 0, res.err
    approve_all(r, "v1.0.0")
    r.git("tag", "-a", "v1.0.0", "-m", "shipped")  # billing's; its post-check never comes
    tagged = datetime.now(UTC)
    r.write("app.py", "print('billing 1.1')\n")
    r.commit("billing change")
    res = r.gate("request", "billing/v1.1.0", "--title", "b2", "--component", "billing")
    assert res.code == 0, res.err
    approve_all(r, "billing/v1.1.0")
    code, data = _check(r, "billing/v1.1.0", tagged + timedelta(hours=49))
    assert _gate(data, "obligations")["passed"] is False, (code, _summary(data))
    assert code == 1


# --------------------------------------------------------------------------------------
# L1. Lead time is counted from revision 1, whatever it said: a request filed as `low`
#     risk (outside the lead-time gate's `when`) and revised to `major` on the day of the
#     release has "served" its week's notice as a major release.
# --------------------------------------------------------------------------------------

LEAD_MAJOR = (
    '[[gates]]\nid = "lead-time"\ntype = "lead-time"\nmin_days = 7\n'
    'when = { risk = ["normal", "major"] }\n'
)


def test_lead_time_counts_from_the_revision_the_gate_first_applied_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = make_repo(tmp_path, gates=LEAD_MAJOR)
    clock = FixedClock(monkeypatch, START, timedelta(minutes=1))
    clock.tick()
    res = r.gate("request", "v1.0.0", "--title", "small fix", "--risk", "low", who="carol")
    assert res.code == 0, res.err
    clock.now += timedelta(days=8)  # a week on, the release day: it is now a major one
    clock.tick()
    res = r.gate("request", "v1.0.0", "--revise", "--risk", "major", who="carol")
    assert res.code == 0, res.err
    clock.tick()
    approve_all(r, "v1.0.0")
    clock.tick()
    code, data = _check(r, "v1.0.0", clock.now + timedelta(minutes=1))
    gate = _gate(data, "lead-time")
    assert gate["applies"] is True
    # filed as a major release minutes ago: a week's notice of it was never given
    assert gate["passed"] is False, (code, _summary(data))
    assert code == 1


# --------------------------------------------------------------------------------------
# O2. An earlier release shipped from a release branch whose records never reached the
#     trusted branch reads there as "no request: never a release" (a tag from before
#     gatekeeper), so its overdue post-release duty binds nothing.
# --------------------------------------------------------------------------------------


def test_an_earlier_release_shipped_from_a_branch_still_owes_its_post_check(
    tmp_path: Path,
) -> None:
    r = make_repo(tmp_path, gates=POST_CHECK)
    r.git("switch", "-q", "-c", "release-1.0")
    r.write("app.py", "print('hotfix')\n")
    r.commit("hotfix on the release branch")
    assert r.gate("request", "v1.0.0", "--title", "one").code == 0
    approve_all(r, "v1.0.0")
    r.git("tag", "-a", "v1.0.0", "-m", "shipped")  # from the release branch
    tagged = datetime.now(UTC)
    code, data = _check(r, "v1.0.0", tagged + timedelta(minutes=1))
    assert code == 0, _summary(data)  # CI (policy from main, --at now) let it ship
    r.git("switch", "-q", "main")  # the branch is never merged; its post-check never comes
    r.write("app.py", "print('v1.1')\n")
    r.commit("next")
    assert r.gate("request", "v1.1.0", "--title", "two").code == 0
    approve_all(r, "v1.1.0")
    code, data = _check(r, "v1.1.0", tagged + timedelta(hours=49))
    assert _gate(data, "obligations")["passed"] is False, (code, _summary(data))
    assert code == 1


# --------------------------------------------------------------------------------------
# F1. The push run judges the freeze at now and lets the tag's date run up to 5 minutes
#     ahead (clock skew); the scheduled re-check judges the freeze at that very date. A tag
#     made at 17:58 on a laptop 3 minutes fast (dated 18:01) passes at push and is then
#     failed (and, with on-fail: delete-tag, deleted) by every scheduled run.
# --------------------------------------------------------------------------------------

WEEKEND = (
    '[[gates]]\nid = "freeze"\ntype = "freeze"\ntimezone = "Asia/Shanghai"\n'
    'windows = [{ title = "weekend", rrule = "FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0", '
    "start = 2026-01-02T18:00:00+08:00, duration_hours = 62 }]\n"
)


@pytest.mark.parametrize(
    ("made", "off"),
    [
        (datetime(2026, 7, 3, 9, 58, tzinfo=UTC), timedelta(minutes=3)),  # Fri 17:58, 3 fast
        (datetime(2026, 7, 6, 0, 1, tzinfo=UTC), -timedelta(minutes=3)),  # Mon 08:01, 3 slow
    ],
    ids=["fast-before-the-freeze", "slow-after-it"],
)
def test_a_tag_the_push_run_let_through_is_not_failed_later_by_the_skew_it_was_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, made: datetime, off: timedelta
) -> None:
    """Pushed outside the weekend freeze from a laptop whose clock is 3 minutes off, the
    tag's date lies inside it: the push run (now) passed it, and the scheduled re-check
    (the tag's date) must not fail it, nor with `on-fail: delete-tag` delete it."""
    r = make_repo(tmp_path, gates=WEEKEND)
    clock = FixedClock(monkeypatch, made - timedelta(hours=1), timedelta(minutes=1))
    clock.tick()
    r.write("app.py", "print('v1.0')\n")
    r.commit("release candidate")
    clock.tick()
    assert r.gate("request", "v1.0.0", "--title", "one").code == 0
    clock.tick()
    approve_all(r)
    r.git(
        "tag", "-a", "v1.0.0", "-m", "v1.0.0", env={"GIT_COMMITTER_DATE": (made + off).isoformat()}
    )
    code, data = _check(r, "v1.0.0", made + timedelta(seconds=20))  # the push run (now)
    assert code == 0, _summary(data)
    res = r.gate("check", "v1.0.0", "--policy-ref", "main", "--format", "json")
    assert res.code in (0, 1), res.err
    data = json.loads(res.out)
    assert _gate(data, "freeze")["passed"] is True, _summary(data)
    assert res.code == 0
    inside = made + off + timedelta(minutes=10 if off > timedelta(0) else -10)
    code, data = _check(r, "v1.0.0", inside)  # at a time the checker knows: no leeway
    assert _gate(data, "freeze")["passed"] is False, _summary(data)


def test_lead_time_served_within_the_skew_of_the_tag_s_date_is_not_failed_by_the_re_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tagged a minute after the week's notice was served, by a clock 3 minutes slow: the
    push run passed it; the re-check judges at the tag's date, 2 minutes short."""
    r = make_repo(tmp_path, gates=LEAD_MAJOR)
    clock = FixedClock(monkeypatch, START, timedelta(minutes=1))
    clock.tick()
    assert r.gate("request", "v1.0.0", "--title", "one", who="carol").code == 0
    filed = clock.now
    clock.tick()
    approve_all(r, "v1.0.0")
    pushed = filed + timedelta(days=7, minutes=1)
    tag_date = (pushed - timedelta(minutes=3)).isoformat()
    r.git("tag", "-a", "v1.0.0", "-m", "v1.0.0", env={"GIT_COMMITTER_DATE": tag_date})
    code, data = _check(r, "v1.0.0", pushed)
    assert code == 0, _summary(data)
    res = r.gate("check", "v1.0.0", "--policy-ref", "main", "--format", "json")
    data = json.loads(res.out)
    assert res.code == 0 and _gate(data, "lead-time")["passed"] is True, _summary(data)
    code, data = _check(r, "v1.0.0", pushed - timedelta(minutes=3))  # known, not claimed
    assert _gate(data, "lead-time")["passed"] is False, _summary(data)


# --------------------------------------------------------------------------------------
# F2. A recurring window "starts at its `start`'s time of day" (docs/decisions.md), yet a
#     BYHOUR is read in the gate's `timezone`, which defaults to UTC: the design's weekend
#     freeze (`start = ...T18:00:00+08:00`, BYHOUR=18) written without `timezone` runs from
#     Saturday 02:00 to Monday 16:00 in Shanghai. Friday evening is open; the policy loads.
# --------------------------------------------------------------------------------------

WEEKEND_NO_ZONE = (
    '[[gates]]\nid = "freeze"\ntype = "freeze"\n'
    'windows = [{ title = "weekend", rrule = "FREQ=WEEKLY;BYDAY=FR;BYHOUR=18;BYMINUTE=0", '
    "start = 2026-01-02T18:00:00+08:00, duration_hours = 62 }]\n"
)


def test_a_recurring_window_s_byhour_disagreeing_with_its_start_is_refused(
    tmp_path: Path,
) -> None:
    r = make_repo(tmp_path, gates=WEEKEND_NO_ZONE)
    res = r.gate("request", "v1.0.0", "--title", "one")
    assert res.code == 2, res.out
    assert "BYHOUR=18" in res.err and "10:00:00 in UTC" in res.err and "hint:" in res.err, res.err
    zoned = WEEKEND_NO_ZONE.replace(
        'type = "freeze"\n', 'type = "freeze"\ntimezone = "Asia/Shanghai"\n'
    )
    policy = (r.path / "policies/release.toml").read_text()
    r.write("policies/release.toml", policy.replace(WEEKEND_NO_ZONE, zoned))
    r.commit("the weekend in Shanghai")
    assert r.gate("request", "v1.0.0", "--title", "one").code == 0
    res = r.gate("check", "v1.0.0", "--at", "2026-07-03T19:30:00+08:00", "--format", "json")
    assert _gate(json.loads(res.out), "freeze")["passed"] is False

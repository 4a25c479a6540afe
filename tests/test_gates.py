"""Every gate type on value objects (no git): approval, the evidence kinds, and the
built-in tag / records / request gates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gatekeeper.check import builtin
from gatekeeper.evidence import kind_named
from gatekeeper.evidence.base import EvidenceItem
from gatekeeper.gates import evaluate
from gatekeeper.models.policy import Policy
from gatekeeper.records.layout import ReleaseLayout
from gatekeeper.records.lineage import Lineage, RequestChain, Violation
from gatekeeper.records.reading import ReleaseRecords
from gatekeeper.repo import CommitInfo, TagInfo
from gatekeeper.trust.identity import Signer
from values import DIGEST, NOW, facts, manifest, policy, request, signoff


def _run(gate: Any, f: Any) -> tuple[bool, list[str]]:
    verdict = evaluate(gate, f)
    return verdict.passed, list(verdict.reasons)


def _gate(p: Policy, gate_id: str) -> Any:
    return next(g for g in p.all_gates() if g.id == gate_id)


def _item(kind: str, n: int = 0, person: str = "dave", **details: Any) -> EvidenceItem:
    spec = kind_named(kind)
    record = manifest(kind, person, details=details, at=NOW - timedelta(hours=1, minutes=n))
    parsed = spec.details_model.model_validate(details, strict=False)
    return EvidenceItem(f"releases/v1.0.0/evidence/{kind}-{n}.toml", record, parsed, {}, person)


def _evidence(gate: dict[str, Any], items: list[EvidenceItem]) -> tuple[bool, list[str]]:
    p = policy(gates=[{"id": "g", "type": "evidence", **gate}])
    return _run(_gate(p, "g"), facts(p, [], evidence=items))


def test_approval_min_each_per_role() -> None:
    p = policy()
    passed, reasons = _run(_gate(p, "acceptance"), facts(p, [signoff("alice", "product")]))
    assert not passed and "role 'rnd' has 0 of 1 approvals" in reasons
    assert "waiting on: bob or carol (rnd)" in reasons
    both = facts(p, [signoff("alice", "product"), signoff("bob", "rnd")])
    assert _run(_gate(p, "acceptance"), both)[0]


def test_approval_min_counts_distinct_people_over_roles() -> None:
    gates = [{"id": "two", "type": "approval", "roles": ["rnd", "pm"], "min": 2}]
    p = policy(gates=gates)
    one = facts(p, [signoff("carol", "rnd"), signoff("carol", "pm")])  # one person, once
    passed, reasons = _run(_gate(p, "two"), one)
    assert not passed and "1 of 2 approvals from rnd, pm" in reasons
    two = facts(p, [signoff("carol", "rnd"), signoff("bob", "rnd")])
    assert _run(_gate(p, "two"), two)[0]


def test_approval_blocked_by_a_standing_rejection_and_stale_records() -> None:
    p = policy()
    signed = [signoff("alice", "product"), signoff("bob", "rnd", "reject", comment="wait")]
    passed, reasons = _run(_gate(p, "acceptance"), facts(p, signed))
    assert not passed and "rejected by bob as rnd: wait" in reasons
    stale = facts(p, [signoff("alice", "product"), signoff("bob", "rnd")], stale=["app.py"])
    passed, reasons = _run(_gate(p, "acceptance"), stale)
    assert (
        not passed
        and reasons[0].startswith("stale: the revision differs")
        and "app.py" in reasons[0]
    )


def test_evidence_gate_needs_a_counted_record() -> None:
    passed, reasons = _evidence({"kind": "backup", "targets": ["database"]}, [])
    assert not passed and reasons == [
        "no valid backup evidence",
        "next: gate attach v1.0.0 backup --set target=database --set location=URL",
    ]


def test_backup_targets_and_age() -> None:
    gate = {"kind": "backup", "targets": ["database", "files"], "max_age_hours": 24}
    fresh = _item(
        "backup", target="database", location="s3://db", taken_at=NOW - timedelta(hours=2)
    )
    old = _item("backup", 1, target="files", location="s3://f", taken_at=NOW - timedelta(hours=30))
    passed, reasons = _evidence(gate, [fresh, old])
    assert not passed
    assert "backup of 'files' is 30.0 h old; expected at most 24 h" in reasons
    passed, reasons = _evidence(gate, [fresh])
    assert "no backup of target 'files'" in reasons


def test_env_check_each_named_check_passed() -> None:
    gate = {"kind": "env-check", "checks": ["servers", "database"]}
    failing = _item("env-check", checks={"servers": "pass", "database": "fail"})
    passed, reasons = _evidence(gate, [failing])
    assert not passed and any("database" in r for r in reasons)
    assert _evidence(gate, [_item("env-check", checks={"servers": "pass", "database": "pass"})])[0]


def test_outcome_kinds_take_the_newest_result() -> None:
    older = _item("post-check", 5, result="fail", summary="slow")
    newer = _item("post-check", 1, result="pass", summary="ok")
    assert _evidence({"kind": "post-check"}, [older, newer])[0]
    passed, reasons = _evidence(
        {"kind": "post-check"}, [_item("post-check", result="fail", summary="5xx")]
    )
    assert not passed and reasons[0] == "post-check result is 'fail': 5xx"
    assert reasons[1] == "next: gate attach v1.0.0 post-check --set result=pass --set summary=TEXT"


def test_custom_kind_fields_and_by_roles() -> None:
    gate = {"kind": "security-review", "fields": ["ticket"], "by_roles": ["product"]}
    by_dave = _item("security-review", ticket="SEC-1")
    passed, reasons = _evidence(gate, [by_dave])
    assert not passed and reasons[0] == "recorded by dave, but only product may publish it"
    assert reasons[1] == "next: gate attach v1.0.0 security-review --set ticket=..."
    by_alice = _item("security-review", 1, person="alice", ticket="SEC-1")
    assert _evidence(gate, [by_alice])[0]
    assert not _evidence(gate, [_item("security-review", 2, person="alice")])[0]


def _records(**extra: Any) -> ReleaseRecords:
    return ReleaseRecords(
        ReleaseLayout("releases", "v1.0.0"), "0" * 40, request(**extra), DIGEST, (), ()
    )


def test_request_gate_signer_chain_and_vocabulary() -> None:
    p = policy(kinds=["release"], components=["billing"])
    ok = builtin.request_gate(
        _records(), p, RequestChain(frozenset({"dave"}), None), Signer("dave", False)
    )
    assert ok.passed and ok.reasons == ("requested by dave (unverified), revision 1",)
    bad = builtin.request_gate(
        _records(kind="hotfix", component="web"),
        p,
        RequestChain(frozenset(), "request.toml in commit abc is revision 1, expected revision 2"),
        Signer(None, False, "not signed"),
    )
    text = " ".join(bad.reasons)
    assert not bad.passed
    assert "broken revision chain" in text and "not signed" in text
    assert "kind 'hotfix' is not declared" in text and "component 'web' is not declared" in text


def test_records_gate_names_each_violation() -> None:
    path = "releases/v1.0.0/approvals/x.toml"
    lin = Lineage(
        (Violation(path, "a" * 40, "deleted after it was committed, in commit {commit}"),),
        (),
        {},
        {},
    )
    gate = builtin.records_gate(lin, ["releases/v1.0.0/approvals/y.toml: on the trusted ref"])
    assert not gate.passed
    assert (
        gate.reasons[0]
        == f"{path}: deleted after it was committed, in commit {'a' * 12}; records are append-only"
    )
    assert len(gate.reasons) == 3 and gate.reasons[2].startswith("what to do: ")


def _tag(at: Any, **extra: Any) -> TagInfo:
    return TagInfo(
        **{
            "ref": "refs/tags/v1.0.0",
            "object_sha": "1" * 40,
            "annotated": True,
            "name_in_object": "v1.0.0",
            "commit": "2" * 40,
            "tagger_email": "dave@example.com",
            "tagged_at": at,
            "signed": False,
            **extra,
        }
    )


def test_tag_gate_bounds_the_tagger_date() -> None:
    commit = CommitInfo("2" * 40, (), "dave@example.com", NOW - timedelta(hours=3), None, b"")
    records = ReleaseRecords(
        ReleaseLayout("releases", "v1.0.0"),
        "2" * 40,
        request(),
        DIGEST,
        (("releases/v1.0.0/approvals/a.toml", signoff("alice", "product")),),
        (),
    )
    assert builtin.tag_gate(
        "v1.0.0", _tag(NOW - timedelta(minutes=30)), commit, records, NOW
    ).passed
    cases = {
        "no tagger date": _tag(None),
        "in the future": _tag(NOW + timedelta(days=1)),
        "before the commit it tags": _tag(NOW - timedelta(hours=5)),
        "before releases/v1.0.0/approvals/a.toml it counts": _tag(NOW - timedelta(hours=2)),
        "lightweight": _tag(None, annotated=False, name_in_object=None),
        "points at a tag": _tag(NOW, commit=None, target_type="tag"),
    }
    for said, info in cases.items():
        gate = builtin.tag_gate("v1.0.0", info, commit, records, NOW)
        assert not gate.passed and said in " ".join(gate.reasons), (said, gate.reasons)

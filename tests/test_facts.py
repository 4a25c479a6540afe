"""Every rule that decides whether a sign-off counts, on value objects (no git)."""

from __future__ import annotations

from datetime import timedelta

from gatekeeper.trust.identity import Signer
from values import NOW, facts, ignored, policy, signoff, standing

S0, S1, S2 = (f"releases/v1.0.0/approvals/s{n}.toml" for n in range(3))


def test_a_proven_member_approval_stands() -> None:
    f = facts(policy(), [signoff("alice", "product")])
    assert standing(f) == {("alice", "product", "approve")} and not f.ignored


def test_1_signer_must_be_proven() -> None:
    f = facts(policy(), [signoff("alice", "product")], signers={S0: Signer(None, False, "nope")})
    assert ignored(f) == {S0: "nope"}


def test_2_binding_release_candidate_request() -> None:
    cases = [
        (signoff("alice", "product", release="v9.9.9"), "signed for release 'v9.9.9'"),
        (signoff("alice", "product", candidate="e" * 40), "signed for candidate eeeeeeeeeeee"),
        (signoff("alice", "product", request_sha256="f" * 64), "request.toml was edited"),
    ]
    for record, said in cases:
        assert said in ignored(facts(policy(), [record]))[S0]


def test_3_role_must_exist_and_be_held() -> None:
    f = facts(policy(), [signoff("alice", "qa"), signoff("dave", "product")])
    assert ignored(f) == {S0: "unknown role 'qa'", S1: "dave is not a member of role 'product'"}


def test_4_one_role_per_person_and_a_revoke_frees_it() -> None:
    early = NOW - timedelta(hours=3)
    first = [signoff("carol", "rnd", at=early), signoff("carol", "pm")]
    assert "already acts as 'rnd'" in ignored(facts(policy(), first))[S1]
    freed = [
        signoff("carol", "rnd", at=early),
        signoff("carol", "rnd", "revoke", at=early + timedelta(minutes=1)),
        signoff("carol", "pm"),
    ]
    assert standing(facts(policy(), freed)) == {("carol", "pm", "approve")}


def test_5_requesters_do_not_approve_unless_allowed() -> None:
    records = [signoff("alice", "product")]
    said = ignored(facts(policy(), records, requesters=frozenset({"alice"})))[S0]
    assert said == "alice requested this release and may not approve it"
    allowed = facts(policy(allow_self_approval=True), records, requesters=frozenset({"alice"}))
    assert standing(allowed) == {("alice", "product", "approve")}


def test_6_not_dated_after_the_time_judged() -> None:
    f = facts(policy(), [signoff("alice", "product", at=NOW + timedelta(days=1))])
    assert ignored(f)[S0].startswith("dated 2026-06-02")


def test_7_approvals_expire_after_the_ttl() -> None:
    old = signoff("alice", "product", at=NOW - timedelta(days=31))
    assert ignored(facts(policy(approval_ttl_days=30), [old]))[S0] == (
        "expired: 31 days old, TTL 30 days"
    )
    assert standing(facts(policy(), [old])) == {("alice", "product", "approve")}


def test_a_rejection_stands_whatever_its_signer_binding_or_age() -> None:
    reject = signoff("bob", "rnd", "reject", request_sha256="0" * 64, at=NOW - timedelta(days=90))
    f = facts(
        policy(approval_ttl_days=30), [reject], signers={S0: Signer(None, False, "bad signature")}
    )
    assert standing(f) == {("bob", "rnd", "reject")}
    assert f.standing[0].note == "bad signature"


def test_only_its_author_lifts_a_rejection() -> None:
    later = NOW - timedelta(minutes=30)
    reject = signoff("bob", "rnd", "reject", at=NOW - timedelta(hours=2))
    approve_after = signoff("bob", "rnd", at=later)
    assert ("bob", "rnd", "reject") in standing(facts(policy(), [reject, approve_after]))
    forged_revoke = signoff("bob", "rnd", "revoke", at=later)
    unproven = {S1: Signer(None, False, "not signed")}
    assert standing(facts(policy(), [reject, forged_revoke], signers=unproven)) == {
        ("bob", "rnd", "reject")
    }
    assert standing(facts(policy(), [reject, forged_revoke])) == set()


def test_a_rejection_naming_nobody_in_the_policy_counts_for_nothing() -> None:
    f = facts(policy(), [signoff("zed", "rnd", "reject")])
    assert standing(f) == set() and "zed is not a member" in ignored(f)[S0]

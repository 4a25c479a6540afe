"""Review 1 (trust and proof): each test asserts the secure behaviour and fails on the
code as reviewed."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from conftest import Repo, signoff_by_hand
from gatekeeper.check.receipt import BEGIN, END
from test_failclosed_trust import _as, _released, _tag_message, _text, keys, signed  # noqa: F401  (fixtures)


@pytest.mark.parametrize(
    ("where", "shape"),
    [
        (("predicate", "inputAttestations"), 5),
        (("predicate", "inputAttestations"), True),
        (("predicate", "inputAttestations"), 1.5),
        (("predicate", "inputAttestations"), [1, "x", None, {"uri": [], "digest": 3}]),
        (("predicate", "gatekeeper", "gates"), {"a": 1}),
        (("predicate", "gatekeeper"), 7),
        (("predicate", "policy"), [1]),
        (("subject",), {"name": "x"}),
        (("predicate",), "x"),
    ],
)
def test_a_receipt_of_any_shape_is_exit_1(
    repo: Repo, where: tuple[str, ...], shape: object
) -> None:
    """A receipt is untrusted input: `inputAttestations` that is a number made
    verify-receipt crash (internal error, exit 2) instead of 'does not match' (exit 1)."""
    real = _released(repo)
    forged = copy.deepcopy(real)
    inner = forged
    for key in where[:-1]:
        inner = inner[key]
    inner[where[-1]] = shape
    message = f"Release v1.0.0\n\n{BEGIN}\n{json.dumps(forged)}\n{END}\n"
    _tag_message(repo, "v1.0.0", message, "v1.0.0^{}")
    res = repo.gate("verify-receipt", "v1.0.0", "--allow-unsigned")
    said = _text(res.out, res.err)
    assert res.code == 1, said
    assert "internal error" not in said.lower()


# -- 2. an attacker's string in ssh-keygen's stderr is read as "OpenSSH too old" -------------


def _s(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _hashalg_signature(pub_line: str, hashalg: bytes) -> str:
    """A well-formed SSHSIG blob (bogus signature bytes) naming `hashalg`; ssh-keygen
    prints that name to stderr: `unsupported hash algorithm "<hashalg>"`."""
    import base64

    key = base64.b64decode(pub_line.split()[1])
    blob = b"SSHSIG" + (1).to_bytes(4, "big") + _s(key) + _s(b"gatekeeper-release@v1")
    blob += _s(b"") + _s(hashalg) + _s(_s(b"ssh-ed25519") + _s(b"\0" * 64))
    text = base64.b64encode(blob).decode()
    return f"-----BEGIN SSH SIGNATURE-----\n{text}\n-----END SSH SIGNATURE-----"


@pytest.mark.parametrize(
    "hashalg", [b"unknown option -- Y", b'x"\nunknown option -- Y\n', b"illegal option -- Y"]
)
def test_a_signature_naming_unknown_option_y_does_not_make_the_check_exit_2(
    signed: Repo,  # noqa: F811
    keys: dict[str, Path],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    hashalg: bytes,
) -> None:
    """Mallory commits a sign-off whose signature's hash-algorithm field reads
    `unknown option -- Y`. Wherever ssh-keygen decides (GATE_SSH_VERIFY=ssh-keygen; on
    OpenSSH >= 9.5 also any signature with a CRLF after its armour header, which the
    in-process verifier hands to ssh-keygen), its stderr quotes that string and
    `_run_keygen` takes it for "ssh-keygen does not know -Y": IdentityError, exit 2, so
    CI's delete-tag leaves the unapproved tag. It must be a failing release (exit 1)."""
    assert _as(signed, keys, "dave", "request", "v1.0.0", "--title", "t") == 0
    assert _as(signed, keys, "alice", "approve", "v1.0.0", "--role", "product") == 0
    path = signoff_by_hand(signed, "bob", "rnd")  # bob never approved: rnd is missing
    pub = keys["bob"].with_name("bob.pub").read_text().strip()
    forged = _hashalg_signature(pub, hashalg)
    with (signed.path / path).open("a") as f:
        f.write(f'signature = """{forged}"""\n')
    signed.git("add", "-A")
    signed.git("commit", "-q", "--amend", "--no-edit", "--no-verify")
    signed.git("tag", "-a", "-m", "v1.0.0", "v1.0.0")
    monkeypatch.setenv("GATE_SSH_VERIFY", "ssh-keygen")
    res = signed.gate("check", "v1.0.0", "--policy-ref", "main", "--at", "now")
    said = _text(res.out, res.err)
    assert res.code == 1, said
    res = signed.gate("check", "--all-tags")
    assert res.code == 1, _text(res.out, res.err)


# -- 3. the audit verifies a sign-off under a policy the tagger wrote -----------------------


def test_audit_does_not_call_a_signoff_verified_under_a_policy_slipped_into_one_commit(
    signed: Repo,  # noqa: F811
    keys: dict[str, Path],  # noqa: F811
) -> None:
    """Mallory, on a branch, lists her own key for alice in one commit that also adds a
    sign-off 'by alice' signed with that key, restores the policy in the next commit
    (the branch's net change to policies/ is nil, so no policy review is asked for) and
    merges. `gate audit` verifies each sign-off under the policy at the commit that added
    it, so it reports alice's approval as verified with no anomaly, though alice never
    signed anything and the trusted policy never listed that key for her."""
    from gatekeeper.models.records import Signoff
    from gatekeeper.records.reading import parse_record
    from gatekeeper.trust.signing import SigningKey, payload

    assert _as(signed, keys, "dave", "request", "v1.0.0", "--title", "t") == 0
    good = (signed.path / "policies/release.toml").read_text()
    alice_pub = keys["alice"].with_name("alice.pub").read_text().strip()
    mallory_pub = keys["outsider"].with_name("outsider.pub").read_text().strip()  # a key of hers
    signed.git("checkout", "-q", "-b", "feature")
    signed.write("policies/release.toml", good.replace(alice_pub, mallory_pub))
    path = signoff_by_hand(signed, "alice", "product")  # commits policy + record together
    record = parse_record(Signoff, (signed.path / path).read_bytes(), path)
    signature = SigningKey(keys["outsider"]).sign(payload(record))
    with (signed.path / path).open("a") as f:
        f.write(f'signature = """{signature}"""\n')
    signed.git("add", "-A")
    signed.git("commit", "-q", "--amend", "--no-edit", "--no-verify")
    signed.write("policies/release.toml", good)
    signed.commit("tidy", who="mallory")
    signed.git("checkout", "-q", "main")
    signed.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature")
    assert signed.git("diff", "HEAD~1", "HEAD", "--", "policies/") == ""  # nothing to review

    res = signed.gate("audit", "v1.0.0", "--format", "json")
    assert res.code == 0, res.err
    log = json.loads(res.out)["releases"][0]
    entry = next(a for a in log["approvals"] if a["path"] == path)
    flagged = [a for a in log["anomalies"] if a["path"] == path]
    assert entry["verified"] is False or flagged, json.dumps(log, indent=1)


# -- 4. `gate audit --policy-ref main` judges each tag under the tagged commit's policy -----


def test_audit_with_policy_ref_judges_tags_under_the_trusted_policy(repo: Repo) -> None:
    """`gate audit --policy-ref main` reads the trusted policy, but its check at each
    release tag (`audit.tags._check` -> `evaluate(CheckOptions(tag_info=...))`) passed no
    policy_ref, so a tag whose commit carries a weakened policy is reported as passing
    its gates. `gate check --policy-ref main` fails the same tag."""
    from conftest import policy_text

    repo.git("checkout", "-q", "-b", "weak")
    repo.write("policies/release.toml", policy_text().partition("[[gates]]")[0])
    repo.commit("weaken the policy", who="mallory")
    assert repo.gate("request", "v1.0.0", "--title", "t").code == 0
    repo.git("tag", "-a", "-m", "v1.0.0", "v1.0.0")
    assert repo.gate("check", "v1.0.0", "--policy-ref", "main").code == 1
    res = repo.gate("audit", "v1.0.0", "--policy-ref", "main", "--format", "json")
    assert res.code == 0, res.err
    log = json.loads(res.out)["releases"][0]
    assert log["check"]["passed"] is False, json.dumps(log["check"], indent=1)

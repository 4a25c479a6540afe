"""`signatures = "ssh"`: real ssh-keygen keys, signatures verified against the trusted policy."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from conftest import PEOPLE, Repo, identity, policy_text

SIGNERS = ("alice", "bob", "dave", "mallory")


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One ed25519 key per person, plus an outsider's."""
    folder = tmp_path_factory.mktemp("keys")
    out = {}
    for who in (*SIGNERS, "outsider"):
        path = folder / who
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(path)], check=True
        )
        out[who] = path
    return out


def _pub(key: Path) -> str:
    return key.with_name(key.name + ".pub").read_text().strip()


def ssh_policy(keys: dict[str, Path]) -> str:
    text = policy_text().replace('signatures = "none"', 'signatures = "ssh"')
    for who in SIGNERS:
        text = text.replace(
            f'email = "{who}@example.com"\n',
            f'email = "{who}@example.com"\nkeys = ["{_pub(keys[who])}"]\n',
        )
    return text


@pytest.fixture
def signed(tmp_path: Path, keys: dict[str, Path]) -> Repo:
    r = Repo(tmp_path / "signed")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    r.write("app.py", "print('v1')\n")
    r.write("policies/release.toml", ssh_policy(keys))
    r.commit("initial")
    return r


def _run(r: Repo, keys: dict[str, Path], who: str, *args: str, key: str | None = None) -> int:
    res = r.gate(*args, "--key", str(keys[key or who]), who=who)
    assert res.code in (0, 2), res.err
    return res.code


def _gate(data: dict[str, Any], gate_id: str) -> dict[str, Any]:
    return next(g for g in data["gates"] if g["id"] == gate_id)


def _approved(r: Repo, keys: dict[str, Path]) -> None:
    assert _run(r, keys, "dave", "request", "v1.0.0", "--title", "t") == 0
    for who in ("alice", "bob"):
        assert _run(r, keys, who, "approve", "v1.0.0", "--role", PEOPLE[who] or "") == 0


def test_good_signed_flow_passes_and_is_verified(signed: Repo, keys: dict[str, Path]) -> None:
    _approved(signed, keys)
    approval = next((signed.path / "releases/v1.0.0/approvals").iterdir()).read_text()
    assert "-----BEGIN SSH SIGNATURE-----" in approval
    res = signed.gate("check", "v1.0.0", "--format", "json")
    assert res.code == 0, res.out
    data = json.loads(res.out)
    assert data["verified"] is True and data["signatures"] == "ssh"
    assert "approved by alice as product (verified: ssh)" in _gate(data, "acceptance")["reasons"]


def test_missing_key_is_exit_2_with_hint(signed: Repo) -> None:
    before = signed.state()
    res = signed.gate("request", "v1.0.0", "--title", "t")
    assert res.code == 2 and "no signing key" in res.err and "--key" in res.err
    assert signed.state() == before


def test_key_not_listed_for_the_person_is_refused(signed: Repo, keys: dict[str, Path]) -> None:
    _run(signed, keys, "dave", "request", "v1.0.0", "--title", "t")
    before = signed.state()
    # Mallory sets alice's email but signs with her own key.
    res = signed.gate(
        "approve", "v1.0.0", "--role", "product", "--key", str(keys["mallory"]), who="alice"
    )
    assert res.code == 2 and "not listed for 'alice'" in res.err
    assert signed.state() == before


def test_unsigned_approval_counts_for_nothing(signed: Repo, keys: dict[str, Path]) -> None:
    _approved(signed, keys)
    f = next(p for p in (signed.path / "releases/v1.0.0/approvals").iterdir() if "alice" in p.name)
    text = f.read_text()
    unsigned = text[: text.index("signature")]
    signed.write("releases/v1.0.0/approvals/unsigned-alice.toml", unsigned)
    f.unlink()
    signed.commit("swap in an unsigned approval", who="alice")
    res = signed.gate("check", "v1.0.0")
    assert res.code == 1 and "not signed" in res.out


def test_outsider_key_claiming_an_insider(signed: Repo, keys: dict[str, Path]) -> None:
    """A file naming alice, signed by a key the policy does not list for her."""
    from gatekeeper.models.records import Signoff
    from gatekeeper.records.reading import parse_record
    from gatekeeper.trust.signing import SigningKey, payload

    _approved(signed, keys)
    f = next(p for p in (signed.path / "releases/v1.0.0/approvals").iterdir() if "bob" in p.name)
    record = parse_record(Signoff, f.read_bytes(), "x")
    forged = record.model_copy(update={"person": "alice", "role": "product", "signature": None})
    for who in ("outsider", "mallory"):
        sig = SigningKey(keys[who]).sign(payload(forged))
        text = (
            f.read_text()
            .replace('person = "bob"', 'person = "alice"')
            .replace('role = "rnd"', 'role = "product"')
        )
        text = text[: text.index("signature")] + f'signature = """\n{sig}"""\n'
        signed.write(f"releases/v1.0.0/approvals/forged-{who}.toml", text)
    signed.commit("forgeries", who="alice")
    res = signed.gate("check", "v1.0.0")
    assert "forged-mallory.toml: not counted: signed with mallory's key, not alice's" in res.out
    assert "forged-outsider.toml: not counted: signature does not verify" in res.out


def test_tampered_signed_approval(signed: Repo, keys: dict[str, Path]) -> None:
    _approved(signed, keys)
    f = next(p for p in (signed.path / "releases/v1.0.0/approvals").iterdir() if "bob" in p.name)
    text = f.read_text().replace('comment = ""', 'comment = "edited"')
    signed.write("releases/v1.0.0/approvals/copy-of-bob.toml", text)
    signed.commit("a tampered copy", who="bob")
    f.write_text(text)
    signed.commit("tamper in place", who="bob")
    res = signed.gate("check", "v1.0.0")
    assert res.code == 1
    assert "copy-of-bob.toml: not counted: signature does not verify" in res.out
    assert "edited after it was committed" in res.out


def test_weakened_policy_on_a_branch_gains_nothing_with_policy_ref(
    signed: Repo, keys: dict[str, Path]
) -> None:
    signed.git("checkout", "-q", "-b", "release")
    # Mallory adds her own key to bob and drops the R&D requirement, on the branch.
    policy = (signed.path / "policies/release.toml").read_text()
    weakened = policy.replace(
        f'email = "bob@example.com"\nkeys = ["{_pub(keys["bob"])}"]',
        f'email = "bob@example.com"\nkeys = ["{_pub(keys["bob"])}", "{_pub(keys["outsider"])}"]',
    ).replace('roles = ["product", "rnd"]', 'roles = ["product"]')
    signed.write(
        "policies/release.toml",
        weakened.replace(
            f'email = "mallory@example.com"\nkeys = ["{_pub(keys["mallory"])}"]',
            'email = "mallory@example.com"',
        ),
    )
    signed.commit("weaken", who="mallory")
    _run(signed, keys, "dave", "request", "v1.0.0", "--title", "t")
    _run(signed, keys, "alice", "approve", "v1.0.0", "--role", "product")
    res = signed.gate(
        "approve", "v1.0.0", "--role", "rnd", "--key", str(keys["outsider"]), who="bob"
    )
    assert res.code == 0, res.err
    assert signed.gate("check", "v1.0.0").code == 0  # the branch's own policy is satisfied
    trusted = signed.gate("check", "v1.0.0", "--policy-ref", "main", "--format", "json")
    data = json.loads(trusted.out)
    assert trusted.code == 1
    assert data["policy_ref"] == signed.git("rev-parse", "main")
    reasons = " ".join(_gate(data, "acceptance")["reasons"])
    assert "role 'rnd' has 0 of 1 approvals" in reasons
    assert "signature does not verify against bob's keys" in reasons


def test_commit_mode_signatures(tmp_path: Path, keys: dict[str, Path]) -> None:
    r = Repo(tmp_path / "commits")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    r.write(
        "policies/release.toml",
        ssh_policy(keys).replace('signatures = "ssh"', 'signatures = "commit"'),
    )
    r.commit("initial")
    r.git("config", "gpg.format", "ssh")

    def as_(who: str, key: str, *args: str) -> int:
        r.git("config", "user.signingkey", str(keys[key]))
        return r.gate(*args, who=who).code

    assert as_("dave", "dave", "request", "v1.0.0", "--title", "t") == 0
    assert as_("alice", "alice", "approve", "v1.0.0", "--role", "product") == 0
    # gate refuses to commit bob's approval with a key the policy does not list for him.
    before = r.state()
    assert as_("bob", "mallory", "approve", "v1.0.0", "--role", "rnd") == 2
    assert r.state() == before

    def by_hand(key: str) -> None:
        # Bob's sign-off written by gate, committed by hand with another key.
        r.git("config", "user.signingkey", str(keys["bob"]))
        assert r.gate("approve", "v1.0.0", "--role", "rnd", "--no-commit", who="bob").code == 0
        r.git(
            "-c",
            f"user.signingkey={keys[key]}",
            "commit",
            "-q",
            "-S",
            "-m",
            "bob",
            env=identity("bob"),
        )

    # A good signature from the wrong person.
    by_hand("mallory")
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "signed with mallory's key" in res.out
    # An unknown key: a valid signature that maps to nobody in the trusted policy.
    by_hand("outsider")
    res = r.gate("check", "v1.0.0")
    assert res.code == 1 and "signature does not verify against bob's keys" in res.out
    assert as_("bob", "bob", "approve", "v1.0.0", "--role", "rnd") == 0
    res = r.gate("check", "v1.0.0", "--format", "json")
    assert res.code == 0, res.out
    assert json.loads(res.out)["verified"] is True


def test_gate_tag_sign_makes_a_signed_tag(signed: Repo, keys: dict[str, Path]) -> None:
    _approved(signed, keys)
    signed.git("config", "gpg.format", "ssh")
    signed.git("config", "user.signingkey", str(keys["dave"]))
    res = signed.gate("tag", "v1.0.0", "--sign")
    assert res.code == 0, res.err
    assert "-----BEGIN SSH SIGNATURE-----" in signed.git("cat-file", "tag", "v1.0.0")
    check = signed.gate("check", "v1.0.0")
    assert (
        check.code == 0
        and f"annotated tag on {signed.git('rev-parse', 'HEAD')[:12]}, signed" in check.out
    )


def test_someone_elses_key_in_git_config_is_named(signed: Repo, keys: dict[str, Path]) -> None:
    assert _run(signed, keys, "dave", "request", "v1.0.0", "--title", "t") == 0
    signed.git("config", "user.signingkey", str(keys["bob"]))  # bob's laptop config
    before = signed.state()
    res = signed.gate("approve", "v1.0.0", "--role", "product", who="alice")
    assert res.code == 2 and signed.state() == before
    assert "git config user.signingkey" in res.err
    assert "that key is bob's in the policy" in res.err and "you act as alice" in res.err

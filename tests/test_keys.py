"""Key lines as people paste them, git's `key::` literals, and an OpenSSH too old for -Y."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import PEOPLE, Repo, policy_text
from gatekeeper.trust.keys import parse_key
from test_ssh import SIGNERS, _pub


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    out = {}
    for who in SIGNERS:
        path = folder / who
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", who, "-f", str(path)], check=True
        )
        out[who] = path
    return out


def _repo(tmp_path: Path, lines: dict[str, str]) -> Repo:
    text = policy_text().replace('signatures = "none"', 'signatures = "ssh"')
    for who, line in lines.items():
        quoted = json.dumps(line, ensure_ascii=False)  # a JSON string is a TOML string
        text = text.replace(
            f'email = "{who}@example.com"\n', f'email = "{who}@example.com"\nkeys = [{quoted}]\n'
        )
    r = Repo(tmp_path / "k")
    r.path.mkdir()
    r.git("init", "-q", "-b", "main")
    r.write("policies/release.toml", text)
    r.commit("initial")
    return r


def _flow(r: Repo, keys: dict[str, Path], key_for: dict[str, str] | None = None) -> int:
    for who, args in (
        ("dave", ("request", "v1.0.0", "--title", "t")),
        ("alice", ("approve", "v1.0.0", "--role", PEOPLE["alice"] or "")),
        ("bob", ("approve", "v1.0.0", "--role", PEOPLE["bob"] or "")),
    ):
        key = (key_for or {}).get(who) or str(keys[who])
        res = r.gate(*args, "--key", key, who=who)
        assert res.code == 0, res.err
    return r.gate("check", "v1.0.0").code


def test_allowed_signers_style_lines_count(tmp_path: Path, keys: dict[str, Path]) -> None:
    material = {who: " ".join(_pub(keys[who]).split()[:2]) for who in SIGNERS}
    lines = {
        "alice": f'namespaces="git",valid-after="20200101" {material["alice"]} Alice 陈 laptop',
        "bob": f"bob@example.com,robert {material['bob']} bob@desk",
        "dave": f"{material['dave']}",
        "mallory": _pub(keys["mallory"]),
    }
    assert _flow(_repo(tmp_path, lines), keys) == 0


def test_a_key_valid_only_later_does_not_verify(tmp_path: Path, keys: dict[str, Path]) -> None:
    lines = {who: _pub(keys[who]) for who in SIGNERS}
    lines["bob"] = 'valid-after="29990101" ' + lines["bob"]
    r = _repo(tmp_path, lines)
    assert _flow(r, keys) == 1
    assert "signature does not verify against bob's keys" in r.gate("check", "v1.0.0").out


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("# alice's laptop", "expected an SSH public key line"),
        ("cert-authority ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==", "cert-authority"),
        ("ssh-ed25519 not-base64!", "not valid base64"),
        ("ecdsa AAAA", "no SSH public key found"),
        ("ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAAAgQ==", "not ssh-ed25519"),
    ],
)
def test_bad_key_lines_are_policy_errors(tmp_path: Path, line: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        parse_key(line)
    r = _repo(tmp_path, {"alice": line})
    res = r.gate("check", "v1.0.0")
    assert res.code == 2
    assert "people.alice.keys" in res.err and said in res.err


def test_git_key_literal_signs_through_ssh_agent(tmp_path: Path, keys: dict[str, Path]) -> None:
    r = _repo(tmp_path, {who: _pub(keys[who]) for who in SIGNERS})
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if sock.exists():
                break
            subprocess.run(["sleep", "0.05"], check=True)
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
        subprocess.run(["ssh-add", "-q", str(keys["alice"])], env=env, check=True)
        os.environ["SSH_AUTH_SOCK"] = str(sock)
        literal = "key::" + _pub(keys["alice"])
        assert _flow(r, keys, {"alice": literal}) == 0
        approval = next((r.path / "releases/v1.0.0/approvals").glob("*alice*")).read_text()
        assert "-----BEGIN SSH SIGNATURE-----" in approval
    finally:
        os.environ.pop("SSH_AUTH_SOCK", None)
        agent.terminate()
        agent.wait()


def test_openssh_without_y_is_named(
    tmp_path: Path, keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in for OpenSSH 7.9's ssh-keygen: no -Y; everything else the real one.
    real = shutil.which("ssh-keygen")
    fake = tmp_path / "bin" / "ssh-keygen"
    fake.parent.mkdir()
    fake.write_text(
        '#!/bin/sh\nfor a; do [ "$a" = -Y ] && { echo "ssh-keygen: illegal option -- Y" >&2; '
        f'exit 1; }}; done\nexec {real} "$@"\n'
    )
    fake.chmod(0o755)
    r = _repo(tmp_path, {who: _pub(keys[who]) for who in SIGNERS})
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    res = r.gate("request", "v1.0.0", "--title", "t", "--key", str(keys["dave"]))
    assert res.code == 2
    assert "ssh-keygen does not know `-Y`" in res.err and "OpenSSH 8.2 or newer" in res.err

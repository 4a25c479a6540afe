"""In-process SSH signature verification gives ssh-keygen's verdict, case by case.

Keys and signatures come from the real `ssh-keygen`; odd signatures are built by hand
(with `cryptography` and the key's private half) to reach the corners of OpenSSH's parser.
Each case asserts the expected verdict and that both ways agree.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from conftest import policy_text
from gatekeeper.models.policy import Policy
from gatekeeper.trust import sshsig
from gatekeeper.trust.keys import PublicKey, parse_key
from gatekeeper.trust.signing import NAMESPACE

TYPES = {
    "ed25519": ["-t", "ed25519"],
    "ecdsa256": ["-t", "ecdsa", "-b", "256"],
    "ecdsa384": ["-t", "ecdsa", "-b", "384"],
    "ecdsa521": ["-t", "ecdsa", "-b", "521"],
    "rsa3072": ["-t", "rsa", "-b", "3072"],
}
DATA = b"gatekeeper-record-v1\n{}"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two keys of every type ssh-keygen makes here without an authenticator."""
    folder = tmp_path_factory.mktemp("sshsig-keys")
    out = {}
    for name, args in TYPES.items():
        for n in (1, 2):
            path = folder / f"{name}-{n}"
            subprocess.run(["ssh-keygen", "-q", *args, "-N", "", "-f", str(path)], check=True)
            out[f"{name}-{n}"] = path
    return out


def _pub(key: Path) -> PublicKey:
    return parse_key(key.with_name(key.name + ".pub").read_text())


def _sign(key: Path, data: bytes = DATA, namespace: str = NAMESPACE, *opts: str) -> str:
    args = ["ssh-keygen", "-Y", "sign", "-q", "-f", str(key), "-n", namespace, *opts]
    return subprocess.run(args, input=data, capture_output=True, check=True).stdout.decode()


def _keygen(data: bytes, signature: str, lines: list[PublicKey], folder: Path) -> bool:
    """`ssh-keygen -Y verify` as gatekeeper's Verifier runs it (principal `p`)."""
    signers = folder / "allowed_signers"
    signers.write_text("".join(k.allowed_signers_line("p", NAMESPACE) + "\n" for k in lines))
    sig = folder / "x.sig"
    sig.write_text(signature.strip() + "\n", encoding="utf-8")
    args = ["-f", str(signers), "-I", "p", "-n", NAMESPACE, "-s", str(sig)]
    proc = subprocess.run(
        ["ssh-keygen", "-Y", "verify", *args], input=data, capture_output=True, check=False
    )
    return proc.returncode == 0


def _both(data: bytes, signature: str, lines: list[PublicKey], folder: Path) -> bool:
    """The verdict, after asserting in-process (which must decide) equals ssh-keygen."""
    inproc = sshsig.verify(data, signature, NAMESPACE, lines)
    assert inproc == _keygen(data, signature, lines, folder)
    return inproc


@pytest.mark.parametrize("kind", TYPES)
def test_ssh_keygen_signatures_verify_the_same_way(
    kind: str, keys: dict[str, Path], tmp_path: Path
) -> None:
    key, other = keys[f"{kind}-1"], keys[f"{kind}-2"]
    mine = [_pub(key)]
    good = _sign(key)
    assert _both(DATA, good, mine, tmp_path) is True
    for alg in ("sha256", "sha512"):
        assert _both(DATA, _sign(key, DATA, NAMESPACE, "-O", f"hashalg={alg}"), mine, tmp_path)
    assert _both(DATA + b" ", good, mine, tmp_path) is False  # tampered message
    assert _both(DATA, _sign(key, DATA, "git"), mine, tmp_path) is False  # wrong namespace
    assert _both(DATA, good, [_pub(other)], tmp_path) is False  # the key listed is not it
    assert _both(DATA, _sign(other), mine, tmp_path) is False  # another key, same type
    wrong_type = "rsa3072-1" if kind != "rsa3072" else "ed25519-1"
    assert _both(DATA, good, [_pub(keys[wrong_type])], tmp_path) is False
    assert _both(DATA, good, [_pub(keys[wrong_type]), _pub(key)], tmp_path) is True
    lines = good.strip().splitlines()
    for garbled in (
        "\n".join(lines[:-1]),  # no footer
        "\n".join(lines[1:]),  # no header
        "\n".join([*lines[:2], *lines[-1:]]),  # body cut short
        good.replace(lines[1], lines[1][:10] + "*" + lines[1][11:]),  # not base64
        good.replace(lines[1], lines[1][::-1]),  # base64, but not the blob
        good.replace(lines[1], lines[1][:40] + "AB"[lines[1][40] == "A"] + lines[1][41:]),
        good.replace("SSH SIGNATURE", "PGP SIGNATURE"),
        good + "trailing words after the footer",
        lines[0] + "\n" + lines[-1],  # nothing inside
    ):
        assert _both(DATA, garbled, mine, tmp_path) is garbled.startswith(good)


def test_find_principal_matches_find_principals(keys: dict[str, Path], tmp_path: Path) -> None:
    lines = [("alice", _pub(keys["ed25519-1"])), ("bob", _pub(keys["ecdsa256-1"]))]
    lines.append(("carol", _pub(keys["rsa3072-1"])))
    signers = tmp_path / "allowed_signers"
    signers.write_text("".join(k.allowed_signers_line(p, NAMESPACE) + "\n" for p, k in lines))
    for key, expected in (
        ("ed25519-1", "alice"),
        ("ecdsa256-1", "bob"),
        ("rsa3072-1", "carol"),
        ("ed25519-2", None),
        ("ecdsa521-1", None),
    ):
        signature = _sign(keys[key], DATA, "git")  # find-principals ignores the namespace
        (tmp_path / "x.sig").write_text(signature)
        found = subprocess.run(
            [
                "ssh-keygen",
                "-Y",
                "find-principals",
                "-f",
                str(signers),
                "-s",
                str(tmp_path / "x.sig"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        names = found.stdout.split() if found.returncode == 0 else []
        assert sshsig.find_principal(signature, lines) == (names[0] if names else None) == expected
    assert sshsig.find_principal("-----BEGIN SSH SIGNATURE-----\nAAAA\n", lines) is None


# --- signatures built by hand: the corners of OpenSSH's parser ---------------------------------


def _s(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _armour(blob: bytes) -> str:
    text = base64.b64encode(blob).decode()
    body = "\n".join(text[i : i + 70] for i in range(0, len(text), 70))
    return f"-----BEGIN SSH SIGNATURE-----\n{body}\n-----END SSH SIGNATURE-----\n"


def _fields(signature: str) -> list[bytes]:
    """[public key, namespace, reserved, hash algorithm, signature] of an armoured SSHSIG."""
    blob = base64.b64decode("".join(signature.strip().splitlines()[1:-1]))
    assert blob[:10] == b"SSHSIG\0\0\0\1"
    out, at = [], 10
    while at < len(blob):
        n = int.from_bytes(blob[at : at + 4], "big")
        out.append(blob[at + 4 : at + 4 + n])
        at += 4 + n
    return out


def _blob(fields: list[bytes], version: int = 1) -> bytes:
    return b"SSHSIG" + version.to_bytes(4, "big") + b"".join(_s(f) for f in fields)


Signer = Callable[[bytes], bytes]


def _made(
    key: Path, fields: list[bytes], sign: Signer, hashalg: bytes = b"sha512", data: bytes = DATA
) -> str:
    """An SSHSIG over `data` signed by hand, `fields` = [key blob, namespace, reserved]."""
    digest = hashlib.new(hashalg.decode().rstrip("\0"), data).digest()
    signed = b"SSHSIG" + _s(fields[1].rstrip(b"\0")) + _s(b"") + _s(hashalg.rstrip(b"\0"))
    return _armour(_blob([*fields, hashalg, sign(signed + _s(digest))]))


def _private(key: Path) -> object:
    return serialization.load_ssh_private_key(key.read_bytes(), None)


def _ed25519_signer(key: Path) -> Signer:
    private = _private(key)
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    return lambda data: _s(b"ssh-ed25519") + _s(private.sign(data))


def _rsa_signer(key: Path, name: bytes, digest: hashes.HashAlgorithm) -> Signer:
    private = _private(key)
    assert isinstance(private, rsa.RSAPrivateKey)
    return lambda data: _s(name) + _s(private.sign(data, padding.PKCS1v15(), digest))


def test_hand_made_corners_match_ssh_keygen(keys: dict[str, Path], tmp_path: Path) -> None:
    ed, rs = keys["ed25519-1"], keys["rsa3072-1"]
    ed_fields = _fields(_sign(ed))[:3]
    rs_fields = _fields(_sign(rs))[:3]
    sign_ed = _ed25519_signer(ed)
    ed_key, rs_key = [_pub(ed)], [_pub(rs)]

    def check(signature: str, lines: list[PublicKey], expected: bool) -> None:
        assert _both(DATA, signature, lines, tmp_path) is expected, signature

    check(_made(ed, ed_fields, sign_ed), ed_key, True)  # the hand-made baseline is good
    check(_made(ed, ed_fields, sign_ed, b"sha256"), ed_key, True)
    check(_made(ed, ed_fields, sign_ed, b"sha384"), ed_key, False)  # only sha256 and sha512
    check(_made(ed, ed_fields, sign_ed, b"sha1"), ed_key, False)
    check(_made(ed, ed_fields, sign_ed, b"sha512\0"), ed_key, True)  # a C string's own NUL
    check(_made(ed, [*ed_fields[:1], NAMESPACE.encode() + b"\0", b""], sign_ed), ed_key, True)
    check(_made(ed, [*ed_fields[:2], b"future tags"], sign_ed), ed_key, True)  # reserved ignored
    # The key blob is not signed: a short type name OpenSSH resolves, or a leading zero byte.
    pk = ed_fields[0][4 + 11 :]
    for name in (b"ED25519", b"ed25519", b"ssh-ed25519\0"):
        check(_made(ed, [_s(name) + pk, *ed_fields[1:]], sign_ed), ed_key, True)
    check(_made(ed, [_s(b"ssh-ed25519") + pk + b"\0", *ed_fields[1:]], sign_ed), ed_key, False)
    check(_made(ed, [_s(b"ssh-dss") + pk, *ed_fields[1:]], sign_ed), ed_key, False)
    check(
        _made(ed, [_s(b"ssh-ed25519") + _s(b"\0" + pk[4:]), *ed_fields[1:]], sign_ed), ed_key, False
    )
    e_n = rs_fields[0][4 + 7 :]
    e = int.from_bytes(e_n[4 : 4 + int.from_bytes(e_n[:4], "big")], "big")
    padded = _s(b"\0\0" + e.to_bytes((e.bit_length() + 7) // 8, "big"))
    rest = e_n[4 + int.from_bytes(e_n[:4], "big") :]
    sha512 = _rsa_signer(rs, b"rsa-sha2-512", hashes.SHA512())
    for blob in (_s(b"rsa") + padded + rest, _s(b"rsa-sha2-256") + e_n, _s(b"RSA") + e_n):
        check(_made(rs, [blob, *rs_fields[1:]], sha512), rs_key, True)
    check(_made(rs, rs_fields, _rsa_signer(rs, b"rsa-sha2-256", hashes.SHA256())), rs_key, True)
    sha1 = _rsa_signer(rs, b"ssh-rsa", hashes.SHA1())  # noqa: S303 (SSHSIG refuses it)
    check(_made(rs, rs_fields, sha1), rs_key, False)
    for name, ok in ((b"ssh-rsa", False), (b"rsa-sha2-512\0", True)):
        check(_made(rs, rs_fields, _rsa_signer(rs, name, hashes.SHA512())), rs_key, ok)
    check(_made(rs, rs_fields, _rsa_signer(rs, b"rsa-sha2-256", hashes.SHA512())), rs_key, False)
    good = _fields(_sign(ed))
    for version in (0, 2):  # OpenSSH reads versions up to its own
        check(_armour(_blob(good, version)), ed_key, version == 0)
    check(_armour(_blob(good) + b"\0"), ed_key, False)  # trailing data
    check(_armour(_blob([*good[:4], good[4] + b"x"])), ed_key, False)
    text = base64.b64encode(_blob(good)).decode()
    for body, ok in (
        (text, True),
        (" \t".join(text[i : i + 5] for i in range(0, len(text), 5)), True),
        (text.rstrip("=") if text.endswith("=") else text + "=", False),
        (_pad_bits_set(text), False),  # b64_pton refuses non-zero bits before the padding
    ):
        check(f"-----BEGIN SSH SIGNATURE-----\n{body}\n-----END SSH SIGNATURE-----", ed_key, ok)
    for header, ok in (("x-----BEGIN", False), ("-----BEGIN", True)):
        check(f"{header} SSH SIGNATURE-----\n{text}\n-----END SSH SIGNATURE-----", ed_key, ok)
    check(f"-----BEGIN SSH SIGNATURE----- \n{text}\n-----END SSH SIGNATURE-----", ed_key, False)


def test_rsa_signature_lengths(keys: dict[str, Path], tmp_path: Path) -> None:
    """OpenSSH pads a signature shorter than the modulus and refuses a longer one."""
    key = keys["rsa3072-1"]
    fields, lines, private = _fields(_sign(key))[:3], [_pub(key)], _private(key)
    assert isinstance(private, rsa.RSAPrivateKey)
    raw: list[bytes] = []

    def sign(data: bytes) -> bytes:
        raw.append(private.sign(data, padding.PKCS1v15(), hashes.SHA512()))
        return _s(b"rsa-sha2-512") + _s(raw[-1].lstrip(b"\0"))

    for i in range(3000):  # about one signature in 256 starts with a zero byte
        data = b"%d" % i
        signature = _made(key, fields, sign, data=data)
        if raw[-1][0] == 0:
            break
    else:
        pytest.fail("no RSA signature with a leading zero byte")
    assert _both(data, signature, lines, tmp_path) is True
    long = _made(key, fields, lambda d: _s(b"rsa-sha2-512") + _s(b"\0" + raw[-1]), data=data)
    assert _both(data, long, lines, tmp_path) is False


def test_a_crlf_header_is_left_to_the_installed_ssh_keygen(keys: dict[str, Path]) -> None:
    """OpenSSH 9.2 refuses CRLF after the header, 9.5 and later accept it."""
    crlf = _sign(keys["ed25519-1"]).replace("\n", "\r\n")
    with pytest.raises(sshsig.Undecided):
        sshsig.verify(DATA, crlf, NAMESPACE, [_pub(keys["ed25519-1"])])


def _pad_bits_set(text: str) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    at = len(text.rstrip("=")) - 1
    assert at < len(text) - 1, "the blob's base64 needs padding for this case"
    return text[:at] + alphabet[alphabet.index(text[at]) + 1] + text[at + 1 :]


def _ecdsa_signer(key: Path, pad: bytes) -> Signer:
    """ECDSA P-384 signatures whose r and s carry `pad` in front (mpints may)."""
    private = _private(key)
    assert isinstance(private, ec.EllipticCurvePrivateKey)

    def sign(data: bytes) -> bytes:
        r, s = decode_dss_signature(private.sign(data, ec.ECDSA(hashes.SHA384())))
        mpint = [pad + b"\0" + n.to_bytes((n.bit_length() + 7) // 8, "big") for n in (r, s)]
        return _s(b"ecdsa-sha2-nistp384") + _s(b"".join(_s(m) for m in mpint))

    return sign


def test_hand_made_ecdsa_corners(keys: dict[str, Path], tmp_path: Path) -> None:
    key = keys["ecdsa384-1"]
    fields, lines = _fields(_sign(key))[:3], [_pub(key)]
    for pad, ok in ((b"", True), (b"\0\0", True), (b"\x80", False)):
        assert _both(DATA, _made(key, fields, _ecdsa_signer(key, pad)), lines, tmp_path) is ok
    point = fields[0][-97:]  # uncompressed: 04 || x || y
    compressed = bytes([2 + point[-1] % 2]) + point[1:49]
    blob = _s(b"ecdsa-sha2-nistp384") + _s(b"nistp384") + _s(compressed)
    signature = _made(key, [blob, *fields[1:]], _ecdsa_signer(key, b""))
    assert _both(DATA, signature, lines, tmp_path) is False  # OpenSSH reads uncompressed only
    blob = _s(b"ecdsa-sha2-nistp384") + _s(b"nistp256") + _s(point)
    signature = _made(key, [blob, *fields[1:]], _ecdsa_signer(key, b""))
    assert _both(DATA, signature, lines, tmp_path) is False


def test_ed25519_s_plus_l_goes_to_ssh_keygen(keys: dict[str, Path], tmp_path: Path) -> None:
    """OpenSSH reduces an S >= L, OpenSSL refuses it: in-process does not guess."""
    fields = _fields(_sign(keys["ed25519-1"]))
    algo, raw = fields[4][4:15], fields[4][19:]
    s = int.from_bytes(raw[32:], "little") + 2**252 + 27742317777372353535851937790883648493
    if s >= 2**253:
        pytest.skip("S + L does not fit under 2^253 for this signature")
    malleated = _armour(_blob([*fields[:4], _s(algo) + _s(raw[:32] + s.to_bytes(32, "little"))]))
    with pytest.raises(sshsig.Undecided):
        sshsig.verify(DATA, malleated, NAMESPACE, [_pub(keys["ed25519-1"])])
    assert _keygen(DATA, malleated, [_pub(keys["ed25519-1"])], tmp_path) is True


def _sk_signature(private: ed25519.Ed25519PrivateKey) -> tuple[str, PublicKey]:
    """An sk-ssh-ed25519 signature made in software (flags: user present, counter 7)."""
    raw = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    name, app = b"sk-ssh-ed25519@openssh.com", b"ssh:"
    key_blob = _s(name) + _s(raw) + _s(app)
    line = parse_key(f"{name.decode()} {base64.b64encode(key_blob).decode()}")
    signed = b"SSHSIG" + _s(NAMESPACE.encode()) + _s(b"") + _s(b"sha512")
    signed += _s(hashlib.sha512(DATA).digest())
    flags, counter = b"\x01", (7).to_bytes(4, "big")
    message = hashlib.sha256(app).digest() + flags + counter + hashlib.sha256(signed).digest()
    sig = _s(name) + _s(private.sign(message)) + flags + counter
    fields = [key_blob, NAMESPACE.encode(), b"", b"sha512", sig]
    return _armour(_blob(fields)), line


def test_security_keys_are_left_to_ssh_keygen(tmp_path: Path) -> None:
    """ssh-keygen here cannot make sk keys without an authenticator; a software-made sk
    signature shows they go to ssh-keygen, and that ssh-keygen accepts it."""
    signature, line = _sk_signature(ed25519.Ed25519PrivateKey.generate())
    with pytest.raises(sshsig.Undecided):
        sshsig.verify(DATA, signature, NAMESPACE, [line])
    assert _keygen(DATA, signature, [line], tmp_path) is True
    other = parse_key(_pub_line_ed25519())
    assert sshsig.verify(DATA, signature, NAMESPACE, [other]) is False  # no sk key listed
    assert _keygen(DATA, signature, [other], tmp_path) is False


def _pub_line_ed25519() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


@pytest.mark.skip(reason="sk-ssh-ed25519 / sk-ecdsa keys need a FIDO authenticator to make")
def test_sk_keys_made_by_ssh_keygen() -> None:
    """Kept as a marker: sk keys always go to ssh-keygen (see the test above)."""


# --- through the Verifier: the same verdicts and words either way ------------------------------


def _policy(keys: dict[str, Path], bob_options: str = "") -> Policy:
    from gatekeeper.policy.loading import parse_policy

    text = policy_text().replace('signatures = "none"', 'signatures = "ssh"')
    for who, key in (("alice", "ed25519-1"), ("bob", "ecdsa384-1"), ("dave", "rsa3072-1")):
        line = key_line = keys[key].with_name(keys[key].name + ".pub").read_text().strip()
        if who == "bob" and bob_options:
            line = f"{bob_options} {key_line}"
        text = text.replace(
            f'email = "{who}@example.com"\n', f'email = "{who}@example.com"\nkeys = [{line!r}]\n'
        )
    return parse_policy(text.encode(), "policies/release.toml")


def _outcomes(keys: dict[str, Path], policy: Policy) -> list[str | None]:
    from gatekeeper.trust.signing import Verifier

    out: list[str | None] = []
    with Verifier(policy) as verifier:
        for key in ("ed25519-1", "ecdsa384-1", "rsa3072-1", "ed25519-2"):
            signature = _sign(keys[key])
            for person in ("alice", "bob", "dave"):
                out.append(verifier.data_problem(person, DATA, signature))
                out.append(verifier.data_problem(person, DATA + b"!", signature))
            out.append(verifier.signer(DATA, signature))
    return out


def test_verifier_says_the_same_in_process_and_through_ssh_keygen(
    keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = _policy(keys)
    inproc = _outcomes(keys, policy)
    assert inproc[:3] == [
        None,
        "signature does not verify against alice's keys in the trusted policy",
        "signed with alice's key, not bob's",
    ]
    monkeypatch.setenv(sshsig.FORCE_ENV, "ssh-keygen")
    assert _outcomes(keys, policy) == inproc


def test_options_go_to_ssh_keygen_and_the_rest_needs_none(
    keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from gatekeeper.errors import IdentityError
    from gatekeeper.trust.signing import Verifier

    policy = _policy(keys, bob_options='valid-after="29990101"')  # bob's key: not yet valid
    inproc = _outcomes(keys, policy)
    assert inproc[9] == "signature does not verify against bob's keys in the trusted policy"
    assert inproc[13] is None  # find-principals skips a line whose key is not yet valid
    monkeypatch.setenv(sshsig.FORCE_ENV, "ssh-keygen")
    assert _outcomes(keys, policy) == inproc
    monkeypatch.delenv(sshsig.FORCE_ENV)
    alice, bob = _sign(keys["ed25519-1"]), _sign(keys["ecdsa384-1"])
    monkeypatch.setenv("PATH", str(tmp_path))  # no ssh-keygen from here on
    with Verifier(policy) as verifier:
        assert verifier.data_problem("alice", DATA, alice) is None
        with pytest.raises(IdentityError, match="ssh-keygen: not found"):
            verifier.data_problem("bob", DATA, bob)  # a key with options: ssh-keygen decides


def test_a_key_option_quoted_across_a_line_break_is_refused(
    keys: dict[str, Path], tmp_path: Path
) -> None:
    """Found by review: `valid-after="20000101\nbob <mallory's key> #"` before alice's key
    was kept verbatim and written into the allowed-signers file as a second line, so
    ssh-keygen took mallory's signature as bob's. A key line with a line break or another
    control character is no key line; the policy listing one is refused."""
    from gatekeeper.errors import GateError

    mallory = _pub(keys["ed25519-2"]).material
    alice = _pub(keys["ed25519-1"]).material
    for line in (f'valid-after="20000101\nbob {mallory} #" {alice}', f"{alice}\rx", f"{alice}\0"):
        with pytest.raises(ValueError, match="line break or control character"):
            parse_key(line)
    assert parse_key(f"\t{alice} me@host\n").material == alice  # a .pub file's own line
    from gatekeeper.policy.loading import parse_policy

    text = policy_text().replace('signatures = "none"', 'signatures = "ssh"')
    entry = f'valid-after=\\"20000101\\nbob {mallory} #\\" {alice}'  # TOML's escapes
    text = text.replace(
        'email = "alice@example.com"\n', f'email = "alice@example.com"\nkeys = ["{entry}"]\n'
    )
    with pytest.raises(GateError, match="keys"):
        parse_policy(text.encode(), "policies/release.toml")


def test_a_padded_signature_is_refused_before_any_verification(
    keys: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by review: a genuine signature padded past what any SSH signature is (here
    with whitespace in the armour) verified in-process, and through ssh-keygen, which
    reads such a file in quadratic time, ran into its 60 s timeout with a traceback. Over
    64 KiB it counts for nothing, both ways, at once."""
    from gatekeeper.trust.signing import Verifier

    policy = _policy(keys)
    genuine = _sign(keys["ed25519-1"])
    head, _, rest = genuine.partition("\n")
    padded = head + "\n" + " " * 64 * 1024 + rest
    assert sshsig.verify(DATA, padded, NAMESPACE, [_pub(keys["ed25519-1"])])  # as ssh-keygen
    for forced in (False, True):
        if forced:
            monkeypatch.setenv(sshsig.FORCE_ENV, "ssh-keygen")
        with Verifier(policy) as verifier:
            assert verifier.data_problem("alice", DATA, genuine) is None
            said = verifier.data_problem("alice", DATA, padded)
            assert said is not None and "longer than 64 KiB" in said
            assert verifier.signer(DATA, padded) is None

"""`ssh-keygen -Y verify` and `-Y find-principals`, in-process and decided as OpenSSH 9.2's code
decides them (sshsig.c, sshkey.c, ssh-{ed25519,rsa,ecdsa}.c, PROTOCOL.sshsig), for ssh-ed25519,
ssh-rsa (rsa-sha2-256/512 signatures only) and ecdsa-sha2-nistp256/384/521 keys.

It saves one ssh-keygen process per signature. The `sshsig` package was not exact enough (no
ECDSA, any hashlib digest accepted, lax armour and base64, trailing data ignored), so this
follows OpenSSH's code on `cryptography`. What this module cannot be sure ssh-keygen would
decide the same way raises Undecided, and ssh-keygen decides: FIDO (sk-*) keys, allowed-signers
lines with options (valid-after, valid-before, flags), keys `cryptography` refuses, an Ed25519
S in [L, 2^253) (OpenSSH reduces it, OpenSSL refuses it), and everything when
GATE_SSH_VERIFY=ssh-keygen.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

    from gatekeeper.trust.keys import PublicKey

FORCE_ENV = "GATE_SSH_VERIFY"  # "ssh-keygen": every verification runs ssh-keygen
_BEGIN = b"-----BEGIN SSH SIGNATURE-----\n"
_END = b"\n-----END SSH SIGNATURE-----"
_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_SPACE = b" \t\n\v\f\r"  # C isspace(), which b64_pton skips anywhere
_SIZE_MAX = 0x8000000  # SSHBUF_SIZE_MAX
_MAX_BIGNUM = 16384 // 8
_ED_L = 2**252 + 27742317777372353535851937790883648493  # the Ed25519 group order
_ED_P = 2**255 - 19
_CURVES = {"nistp256": (32, "sha256"), "nistp384": (48, "sha384"), "nistp521": (66, "sha512")}
# Each type name (as a line or a key blob spells it) -> the key kind sshkey_equal() compares.
_KINDS = {"ssh-ed25519": "ed25519", "ssh-rsa": "rsa", "rsa-sha2-256": "rsa", "rsa-sha2-512": "rsa"}
_KINDS |= {f"ecdsa-sha2-{curve}": f"ecdsa-{curve}" for curve in _CURVES}
_KINDS |= {
    "sk-ssh-ed25519@openssh.com": "ed25519-sk",
    "sk-ecdsa-sha2-nistp256@openssh.com": "ecdsa-sk",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com": "ecdsa-sk",
}
_SHORT = {"ed25519": "ed25519", "rsa": "rsa", "ed25519-sk": "ed25519-sk", "ecdsa-sk": "ecdsa-sk"}


class Undecided(Exception):
    """Only ssh-keygen can tell for this signature or key."""


class _Invalid(Exception):
    """ssh-keygen refuses this signature."""


@dataclass(frozen=True)
class _Key:
    """A public key as sshkey_equal() compares keys: its kind and its numbers (the Ed25519
    point's 32 bytes as one number, RSA's e and n, an EC point's x and y)."""

    kind: str
    numbers: tuple[int, ...] = ()


class _Reader:
    """sshbuf's getters: a short buffer, a NUL inside a C string, a bad bignum are invalid."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.at:
            raise _Invalid("truncated")
        self.at += n
        return self.data[self.at - n : self.at]

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def string(self) -> bytes:
        n = self.u32()
        if n > _SIZE_MAX - 4:
            raise _Invalid("string too large")
        return self.take(n)

    def cstring(self) -> bytes:
        raw = self.string()
        if b"\0" in raw[:-1]:  # one NUL at the end is allowed, and dropped
            raise _Invalid("NUL inside a string")
        return raw.removesuffix(b"\0")

    def bignum(self) -> int:
        raw = self.string()
        too_large = len(raw) > _MAX_BIGNUM + 1 or (len(raw) == _MAX_BIGNUM + 1 and raw[0] != 0)
        if raw[:1] >= b"\x80" or too_large:
            raise _Invalid("negative or too large bignum")
        return int.from_bytes(raw, "big")  # leading zeros are accepted

    def end(self) -> None:
        if self.at != len(self.data):
            raise _Invalid("trailing data")


def forced_keygen() -> bool:
    """Whether GATE_SSH_VERIFY=ssh-keygen asks for ssh-keygen for every verification."""
    return os.environ.get(FORCE_ENV, "").strip().lower() == "ssh-keygen"


def verify(data: bytes, signature: str, namespace: str, lines: Iterable[PublicKey]) -> bool:
    """`ssh-keygen -Y verify -I P -n NAMESPACE` with P's allowed-signers `lines`."""
    try:
        reader = _Reader(_dearmor(signature))
        _preamble(reader)
        key = _parse_key(reader.string())
        got_namespace = reader.cstring()
        reader.string()  # reserved: ignored here, and signed as empty
        hashalg, sig = reader.cstring().decode("latin-1"), reader.string()
        reader.end()
        if hashalg not in ("sha256", "sha512") or got_namespace != namespace.encode():
            return False
        if not _listed(key, lines):
            return False
        digest = hashlib.new(hashalg, data).digest()
        fields = (namespace.encode(), b"", hashalg.encode(), digest)
        return _check(key, sig, b"SSHSIG" + b"".join(_string(f) for f in fields))
    except _Invalid:
        return False


def find_principal(signature: str, lines: Iterable[tuple[str, PublicKey]]) -> str | None:
    """The first principal `ssh-keygen -Y find-principals` would print, or None."""
    try:
        reader = _Reader(_dearmor(signature))
        _preamble(reader)
        key = _parse_key(reader.string())
    except _Invalid:
        return None
    return next((principal for principal, line in lines if _listed(key, [line])), None)


def _listed(key: _Key, lines: Iterable[PublicKey]) -> bool:
    """Whether the first allowed-signers line holding `key` lets it sign."""
    for line in lines:
        kind = _KINDS.get(line.material.split()[0])
        if kind is None or (kind.endswith("-sk") and kind == key.kind):
            raise Undecided(f"a {line.material.split()[0]} key")
        if kind != key.kind or _policy_key(line.material) != key:
            continue  # sshkey_equal() is false: ssh-keygen reads the next line
        if line.options:
            raise Undecided(f"key options {','.join(line.options)}")
        return True
    return False


@lru_cache(maxsize=256)
def _policy_key(material: str) -> _Key:
    """A policy key, read as sshkey_read() reads it; anything odd goes to ssh-keygen."""
    name, blob = material.split()
    try:
        key = _parse_key(_b64_pton(blob.encode("ascii")))
    except (_Invalid, UnicodeError) as exc:
        raise Undecided(f"policy key: {exc}") from None
    if key.kind != _KINDS[name]:
        raise Undecided("policy key of another type than its line says")
    return key


def _dearmor(signature: str) -> bytes:
    """sshsig_dearmor() of the file the ssh-keygen path writes (`strip()` and a newline)."""
    if forced_keygen():
        raise Undecided(FORCE_ENV)
    try:
        text = (signature.strip() + "\n").encode("utf-8")
    except UnicodeError:
        raise Undecided("not UTF-8") from None
    if text.startswith(_BEGIN[:-1] + b"\r\n"):  # refused by OpenSSH 9.2, read from 9.5 on
        raise Undecided("CRLF after the armour's header")
    end = text.find(_END, len(_BEGIN))
    if not text.startswith(_BEGIN) or end < 0:
        raise _Invalid("missing header or footer")
    body = text[len(_BEGIN) : end]
    if b"\0" in body[:-1]:
        raise _Invalid("NUL in the armour")
    return _b64_pton(body.removesuffix(b"\0"))


def _b64_pton(text: bytes) -> bytes:
    """OpenBSD's b64_pton(): whitespace anywhere, strict padding, zero pad bits."""
    pad = text.find(b"=")
    body = bytes(c for c in (text if pad < 0 else text[:pad]) if c not in _SPACE)
    state = len(body) % 4
    if any(c not in _B64 for c in body) or (state != 0 if pad < 0 else state < 2):
        raise _Invalid("not base64")
    if pad >= 0:
        rest = text[pad + 1 :]
        if state == 2:
            rest = rest.lstrip(_SPACE)
            if not rest.startswith(b"="):
                raise _Invalid("bad base64 padding")
            rest = rest[1:]
        if rest.strip(_SPACE) or _B64.index(body[-1]) & (0x0F if state == 2 else 0x03):
            raise _Invalid("bad base64 padding")
    return base64.b64decode(body + b"=" * (-len(body) % 4))


def _string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _preamble(reader: _Reader) -> None:
    if reader.take(6) != b"SSHSIG" or reader.u32() > 1:
        raise _Invalid("not an SSHSIG blob of a version OpenSSH reads")


def _parse_key(blob: bytes) -> _Key:
    """sshkey_from_blob(): a type name (a plain type also by short name, any case), numbers."""
    reader = _Reader(blob)
    name = reader.cstring().decode("latin-1")
    kind = _KINDS.get(name) or _SHORT.get(name.lower())
    if kind is None:  # certificates, DSA, unknown: never equal to a policy key
        raise _Invalid(f"key type {name!r}")
    if kind.endswith("-sk"):
        return _Key(kind)  # compared by kind only: a same-kind policy line is Undecided
    if kind == "ed25519":
        point = reader.string()
        if len(point) != 32:
            raise _Invalid("bad Ed25519 key")
        key = _Key(kind, (int.from_bytes(point, "big"),))
    elif kind == "rsa":
        key = _Key(kind, (reader.bignum(), reader.bignum()))
        if key.numbers[1].bit_length() < 1024:
            raise _Invalid("RSA key under 1024 bits")
    else:
        curve = kind.removeprefix("ecdsa-")
        if reader.cstring() != curve.encode():
            raise _Invalid("curve differs from the key type")
        key = _Key(kind, _ec_point(curve, reader.string()))
    reader.end()
    return key


def _ec_point(curve: str, point: bytes) -> tuple[int, int]:
    """(x, y) of an uncompressed point that sshkey_ec_validate_public() accepts."""
    size, order = _CURVES[curve][0], _curve(curve).group_order
    if len(point) != 1 + 2 * size or point[0] != 4:
        raise _Invalid("not an uncompressed point")
    try:
        _ec_public(curve, point)  # on the curve, coordinates below the field prime
    except ValueError:
        raise _Invalid("not a point on the curve") from None
    x, y = int.from_bytes(point[1 : 1 + size], "big"), int.from_bytes(point[1 + size :], "big")
    for c in (x, y):
        if c.bit_length() <= order.bit_length() // 2 or c >= order - 1:
            raise _Invalid("weak EC public key")
    return x, y


def _curve(curve: str) -> ec.EllipticCurve:
    from cryptography.hazmat.primitives.asymmetric import ec

    curves: dict[str, ec.EllipticCurve] = {
        "nistp256": ec.SECP256R1(),
        "nistp384": ec.SECP384R1(),
        "nistp521": ec.SECP521R1(),
    }
    return curves[curve]


def _ec_public(curve: str, point: bytes) -> ec.EllipticCurvePublicKey:
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.EllipticCurvePublicKey.from_encoded_point(_curve(curve), point)


def _check(key: _Key, sig: bytes, signed: bytes) -> bool:
    """sshkey_verify() of the key's own signature format over `signed`."""
    from cryptography.exceptions import InvalidSignature

    reader = _Reader(sig)
    sigtype, blob = reader.cstring().decode("latin-1"), reader.string()
    reader.end()
    try:
        if key.kind == "ed25519":
            return _ed25519(key.numbers[0].to_bytes(32, "big"), sigtype, blob, signed)
        if key.kind == "rsa":
            return _rsa(key.numbers[0], key.numbers[1], sigtype, blob, signed)
        return _ecdsa(key, sigtype, blob, signed)
    except InvalidSignature:
        return False
    except ValueError as exc:
        raise Undecided(f"cryptography: {exc}") from None


def _ed25519(pk: bytes, sigtype: str, blob: bytes, signed: bytes) -> bool:
    from cryptography.hazmat.primitives.asymmetric import ed25519

    if sigtype != "ssh-ed25519" or len(blob) != 64 or blob[63] & 0xE0:
        return False
    y = int.from_bytes(pk, "little") & (2**255 - 1)
    if int.from_bytes(blob[32:], "little") >= _ED_L or y >= _ED_P or y in (1, _ED_P - 1):
        raise Undecided("non-canonical Ed25519 S or key")  # ref10 and OpenSSL may differ
    ed25519.Ed25519PublicKey.from_public_bytes(pk).verify(blob, signed)
    return True


def _rsa(e: int, n: int, sigtype: str, blob: bytes, signed: bytes) -> bool:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    size = (n.bit_length() + 7) // 8
    if sigtype not in ("rsa-sha2-256", "rsa-sha2-512") or len(blob) > size:
        return False  # plain ssh-rsa (SHA-1) is refused for SSHSIG
    if e.bit_length() > 64:
        raise Undecided("RSA exponent over 64 bits")
    digest = hashes.SHA256() if sigtype == "rsa-sha2-256" else hashes.SHA512()
    public = rsa.RSAPublicNumbers(e, n).public_key()
    public.verify(blob.rjust(size, b"\0"), signed, padding.PKCS1v15(), digest)
    return True


def _ecdsa(key: _Key, sigtype: str, blob: bytes, signed: bytes) -> bool:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    curve = key.kind.removeprefix("ecdsa-")
    if sigtype != f"ecdsa-sha2-{curve}":
        return False
    reader = _Reader(blob)
    r, s = reader.bignum(), reader.bignum()
    reader.end()
    size, digest_name = _CURVES[curve]
    point = b"\4" + b"".join(c.to_bytes(size, "big") for c in key.numbers)
    digest: hashes.HashAlgorithm = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384()}.get(
        digest_name, hashes.SHA512()
    )
    public = _ec_public(curve, point)
    public.verify(encode_dss_signature(r, s), signed, ec.ECDSA(digest))
    return True

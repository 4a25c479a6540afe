"""OpenSSH's wire format, public keys and signature algorithms, decided as OpenSSH 9.2's
code decides them (sshbuf-getput-basic.c, sshkey.c, ssh-{ed25519,rsa,ecdsa}.c, OpenBSD's
b64_pton), on `cryptography`. The SSHSIG envelope and the allowed-signers decision are
sshsig.py's."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

_B64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_SPACE = b" \t\n\v\f\r"  # C isspace(), which b64_pton skips anywhere
_SIZE_MAX = 0x8000000  # SSHBUF_SIZE_MAX
_MAX_BIGNUM = 16384 // 8
_ED_L = 2**252 + 27742317777372353535851937790883648493  # the Ed25519 group order
_ED_P = 2**255 - 19
_CURVES = {"nistp256": (32, "sha256"), "nistp384": (48, "sha384"), "nistp521": (66, "sha512")}
# Each type name (as a line or a key blob spells it) -> the key kind sshkey_equal() compares.
KINDS = {"ssh-ed25519": "ed25519", "ssh-rsa": "rsa", "rsa-sha2-256": "rsa", "rsa-sha2-512": "rsa"}
KINDS |= {f"ecdsa-sha2-{curve}": f"ecdsa-{curve}" for curve in _CURVES}
KINDS |= {
    "sk-ssh-ed25519@openssh.com": "ed25519-sk",
    "sk-ecdsa-sha2-nistp256@openssh.com": "ecdsa-sk",
    "webauthn-sk-ecdsa-sha2-nistp256@openssh.com": "ecdsa-sk",
}
_SHORT = {"ed25519": "ed25519", "rsa": "rsa", "ed25519-sk": "ed25519-sk", "ecdsa-sk": "ecdsa-sk"}


class Undecided(Exception):
    """Only ssh-keygen can tell for this signature or key."""


class Invalid(Exception):
    """ssh-keygen refuses this signature."""


@dataclass(frozen=True)
class Key:
    """A public key as sshkey_equal() compares keys: its kind and its numbers (the Ed25519
    point's 32 bytes as one number, RSA's e and n, an EC point's x and y)."""

    kind: str
    numbers: tuple[int, ...] = ()


class Reader:
    """sshbuf's getters: a short buffer, a NUL inside a C string, a bad bignum are invalid."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, n: int) -> bytes:
        if n > len(self.data) - self.at:
            raise Invalid("truncated")
        self.at += n
        return self.data[self.at - n : self.at]

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def string(self) -> bytes:
        n = self.u32()
        if n > _SIZE_MAX - 4:
            raise Invalid("string too large")
        return self.take(n)

    def cstring(self) -> bytes:
        raw = self.string()
        if b"\0" in raw[:-1]:  # one NUL at the end is allowed, and dropped
            raise Invalid("NUL inside a string")
        return raw.removesuffix(b"\0")

    def bignum(self) -> int:
        raw = self.string()
        too_large = len(raw) > _MAX_BIGNUM + 1 or (len(raw) == _MAX_BIGNUM + 1 and raw[0] != 0)
        if raw[:1] >= b"\x80" or too_large:
            raise Invalid("negative or too large bignum")
        return int.from_bytes(raw, "big")  # leading zeros are accepted

    def end(self) -> None:
        if self.at != len(self.data):
            raise Invalid("trailing data")


def b64_pton(text: bytes) -> bytes:
    """OpenBSD's b64_pton(): whitespace anywhere, strict padding, zero pad bits."""
    pad = text.find(b"=")
    body = bytes(c for c in (text if pad < 0 else text[:pad]) if c not in _SPACE)
    state = len(body) % 4
    if any(c not in _B64 for c in body) or (state != 0 if pad < 0 else state < 2):
        raise Invalid("not base64")
    if pad >= 0:
        rest = text[pad + 1 :]
        if state == 2:
            rest = rest.lstrip(_SPACE)
            if not rest.startswith(b"="):
                raise Invalid("bad base64 padding")
            rest = rest[1:]
        if rest.strip(_SPACE) or _B64.index(body[-1]) & (0x0F if state == 2 else 0x03):
            raise Invalid("bad base64 padding")
    return base64.b64decode(body + b"=" * (-len(body) % 4))


def ssh_string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def parse_key(blob: bytes) -> Key:
    """sshkey_from_blob(): a type name (a plain type also by short name, any case), numbers."""
    reader = Reader(blob)
    name = reader.cstring().decode("latin-1")
    kind = KINDS.get(name) or _SHORT.get(name.lower())
    if kind is None:  # certificates, DSA, unknown: never equal to a policy key
        raise Invalid(f"key type {name!r}")
    if kind.endswith("-sk"):
        return Key(kind)  # compared by kind only: a same-kind policy line is Undecided
    if kind == "ed25519":
        point = reader.string()
        if len(point) != 32:
            raise Invalid("bad Ed25519 key")
        key = Key(kind, (int.from_bytes(point, "big"),))
    elif kind == "rsa":
        key = Key(kind, (reader.bignum(), reader.bignum()))
        if key.numbers[1].bit_length() < 1024:
            raise Invalid("RSA key under 1024 bits")
    else:
        curve = kind.removeprefix("ecdsa-")
        if reader.cstring() != curve.encode():
            raise Invalid("curve differs from the key type")
        key = Key(kind, _ec_point(curve, reader.string()))
    reader.end()
    return key


def _ec_point(curve: str, point: bytes) -> tuple[int, int]:
    """(x, y) of an uncompressed point that sshkey_ec_validate_public() accepts."""
    size, order = _CURVES[curve][0], _curve(curve).group_order
    if len(point) != 1 + 2 * size or point[0] != 4:
        raise Invalid("not an uncompressed point")
    try:
        _ec_public(curve, point)  # on the curve, coordinates below the field prime
    except ValueError:
        raise Invalid("not a point on the curve") from None
    x, y = int.from_bytes(point[1 : 1 + size], "big"), int.from_bytes(point[1 + size :], "big")
    for c in (x, y):
        if c.bit_length() <= order.bit_length() // 2 or c >= order - 1:
            raise Invalid("weak EC public key")
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


def check_signature(key: Key, sig: bytes, signed: bytes) -> bool:
    """sshkey_verify() of the key's own signature format over `signed`."""
    from cryptography.exceptions import InvalidSignature

    reader = Reader(sig)
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


def _ecdsa(key: Key, sigtype: str, blob: bytes, signed: bytes) -> bool:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    curve = key.kind.removeprefix("ecdsa-")
    if sigtype != f"ecdsa-sha2-{curve}":
        return False
    reader = Reader(blob)
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

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

import hashlib
import os
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

from gatekeeper.trust.sshkey import (
    KINDS,
    Invalid,
    Key,
    Reader,
    Undecided,
    b64_pton,
    check_signature,
    parse_key,
    ssh_string,
)

if TYPE_CHECKING:
    from gatekeeper.trust.keys import PublicKey

__all__ = ["FORCE_ENV", "Undecided", "find_principal", "forced_keygen", "verify"]

FORCE_ENV = "GATE_SSH_VERIFY"  # "ssh-keygen": every verification runs ssh-keygen
_BEGIN = b"-----BEGIN SSH SIGNATURE-----\n"
_END = b"\n-----END SSH SIGNATURE-----"


def forced_keygen() -> bool:
    """Whether GATE_SSH_VERIFY=ssh-keygen asks for ssh-keygen for every verification."""
    return os.environ.get(FORCE_ENV, "").strip().lower() == "ssh-keygen"


def verify(data: bytes, signature: str, namespace: str, lines: Iterable[PublicKey]) -> bool:
    """`ssh-keygen -Y verify -I P -n NAMESPACE` with P's allowed-signers `lines`."""
    try:
        reader = Reader(_dearmor(signature))
        _preamble(reader)
        key = parse_key(reader.string())
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
        return check_signature(key, sig, b"SSHSIG" + b"".join(ssh_string(f) for f in fields))
    except Invalid:
        return False


def find_principal(signature: str, lines: Iterable[tuple[str, PublicKey]]) -> str | None:
    """The first principal `ssh-keygen -Y find-principals` would print, or None."""
    try:
        reader = Reader(_dearmor(signature))
        _preamble(reader)
        key = parse_key(reader.string())
    except Invalid:
        return None
    return next((principal for principal, line in lines if _listed(key, [line])), None)


def _listed(key: Key, lines: Iterable[PublicKey]) -> bool:
    """Whether the first allowed-signers line holding `key` lets it sign."""
    for line in lines:
        kind = KINDS.get(line.material.split()[0])
        if kind is None or (kind.endswith("-sk") and kind == key.kind):
            raise Undecided(f"a {line.material.split()[0]} key")
        if kind != key.kind or _policy_key(line.material) != key:
            continue  # sshkey_equal() is false: ssh-keygen reads the next line
        if line.options:
            raise Undecided(f"key options {','.join(line.options)}")
        return True
    return False


@lru_cache(maxsize=256)
def _policy_key(material: str) -> Key:
    """A policy key, read as sshkey_read() reads it; anything odd goes to ssh-keygen."""
    name, blob = material.split()
    try:
        key = parse_key(b64_pton(blob.encode("ascii")))
    except (Invalid, UnicodeError) as exc:
        raise Undecided(f"policy key: {exc}") from None
    if key.kind != KINDS[name]:
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
        raise Invalid("missing header or footer")
    body = text[len(_BEGIN) : end]
    if b"\0" in body[:-1]:
        raise Invalid("NUL in the armour")
    return b64_pton(body.removesuffix(b"\0"))


def _preamble(reader: Reader) -> None:
    if reader.take(6) != b"SSHSIG" or reader.u32() > 1:
        raise Invalid("not an SSHSIG blob of a version OpenSSH reads")

"""SSH public key lines as a policy lists them: any `allowed_signers` or `authorized_keys`
style line — principals and options before the key, a comment (any script) after it."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
_TOKEN = re.compile(r'(?:[^\s"]+|"[^"]*")+')
_OPTION = re.compile(r'(?:[^,"]+|"[^"]*")+')
# Options ssh-keygen honours in allowed-signers files; `namespaces` is set by gatekeeper
# for each use, and options of authorized_keys (`command=`...) mean nothing here.
_KEPT = ("valid-after=", "valid-before=")
_FLAGS = frozenset({"no-touch-required", "verify-required"})


@dataclass(frozen=True)
class PublicKey:
    """A key's type and base64 blob (what identifies it) and the options kept with it."""

    material: str
    options: tuple[str, ...] = ()

    def allowed_signers_line(self, principal: str, namespace: str) -> str:
        """One line of an allowed-signers file for `principal` in `namespace`."""
        options = ",".join((f'namespaces="{namespace}"', *self.options))
        return f"{principal} {options} {self.material}"


def parse_key(line: str) -> PublicKey:
    """The key in `line`; ValueError saying what was expected."""
    if any((ord(c) < 32 and c != "\t") or ord(c) == 127 for c in line.strip()):
        # An option quoted across a newline would be written into the allowed-signers
        # file as a second line: another principal with another key.
        raise ValueError("a key line holds a line break or control character; expected one line")
    tokens = _TOKEN.findall(line.strip())
    if not tokens or tokens[0].startswith("#"):
        raise ValueError("expected an SSH public key line, e.g. 'ssh-ed25519 AAAA... you@host'")
    for i, token in enumerate(tokens[:-1]):
        if token in _TYPES:
            _check_blob(token, tokens[i + 1])
            return PublicKey(f"{token} {tokens[i + 1]}", _options(tokens[:i]))
    raise ValueError(
        f"no SSH public key found (types: {', '.join(sorted(_TYPES))}); "
        "expected e.g. 'ssh-ed25519 AAAA... you@host'"
    )


def key_material(line: str) -> str:
    """`ssh-ed25519 AAAA...`: what identifies the key in `line` ('' when there is none)."""
    try:
        return parse_key(line).material
    except ValueError:
        return ""


def _check_blob(kind: str, blob: str) -> None:
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"the {kind} key is not valid base64") from None
    named = raw[4 : 4 + int.from_bytes(raw[:4], "big")] if len(raw) > 4 else b""
    if named != kind.encode():
        raise ValueError(f"the key data says {named.decode('ascii', 'replace')!r}, not {kind}")


def _options(before: list[str]) -> tuple[str, ...]:
    """Options among the tokens before the key (principals, without `=`, are skipped)."""
    kept = []
    for token in before:
        for option in _OPTION.findall(token):
            if option == "cert-authority":
                raise ValueError("cert-authority keys are not supported; list the person's key")
            if option.startswith(_KEPT) or option in _FLAGS:
                kept.append(option)
    return tuple(kept)

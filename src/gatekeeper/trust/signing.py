"""Detached SSH signatures over a canonical payload (`ssh-keygen -Y`, our own namespace).

A signature survives squash and rebase merges, which drop commit signatures.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gatekeeper.clock import wall_clock
from gatekeeper.errors import IdentityError
from gatekeeper.trust.keys import PublicKey, key_material, parse_key

if TYPE_CHECKING:
    from gatekeeper.models.base import Strict
    from gatekeeper.models.policy import Policy

MIN_OPENSSH = "8.2"  # ssh-keygen -Y sign / verify / find-principals
NAMESPACE = "gatekeeper-release@v1"  # never "git": a commit signature cannot pose as a sign-off
_HEADER = b"gatekeeper-record-v1\n"


def payload(record: Strict) -> bytes:
    """What is signed: every field of the record except the signature, as canonical JSON."""
    fields = record.model_dump(mode="json", by_alias=True, exclude={"signature"})
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _HEADER + text.encode()


@dataclass(frozen=True)
class SigningKey:
    """A private key file, a public key file whose private half is in ssh-agent, or git's
    literal form `key::ssh-ed25519 AAAA...` (the private half in ssh-agent)."""

    path: Path
    literal: str | None = None

    @classmethod
    def from_setting(cls, value: str) -> SigningKey:
        """`--key`, GATE_SIGNING_KEY or user.signingkey, as git reads user.signingkey."""
        if value.startswith("key::"):
            return cls(Path(), value.removeprefix("key::").strip())
        return cls(Path(value).expanduser())

    @property
    def git_value(self) -> str:
        """The same key as a `user.signingKey` value for git."""
        return f"key::{self.literal}" if self.literal else str(self.path)

    def exists(self) -> bool:
        """Whether the key can be used at all (a literal always can be tried)."""
        return self.literal is not None or self.path.exists()

    def public(self) -> str:
        """The public key, read from `KEY.pub`, the file itself, or derived with `ssh-keygen -y`."""
        if self.literal is not None:
            return key_material(self.literal)
        for candidate in (self.path.with_name(self.path.name + ".pub"), self.path):
            if candidate.suffix == ".pub" and candidate.is_file():
                return key_material(candidate.read_text(encoding="utf-8"))
        proc = _ssh_keygen(["-y", "-f", str(self.path)])
        return key_material(proc.stdout.decode())

    def sign(self, data: bytes) -> str:
        """An armored SSH signature of `data`."""
        if self.literal is None:
            return _sign(self.path, data)
        with tempfile.TemporaryDirectory(prefix="gate-key-") as folder:
            public = Path(folder) / "key.pub"
            public.write_text(self.literal + "\n", encoding="utf-8")
            return _sign(public, data)


def _sign(key: Path, data: bytes) -> str:
    proc = _ssh_keygen(["-Y", "sign", "-q", "-f", str(key), "-n", NAMESPACE], data)
    return proc.stdout.decode().strip()


def _ssh_keygen(args: list[str], data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    proc = _run_keygen(args, data)
    if proc.returncode != 0:
        detail = proc.stderr.decode(errors="replace").strip().splitlines()
        raise IdentityError(
            f"ssh-keygen {args[0]} {args[1] if args[0] == '-Y' else ''}: "
            f"{detail[-1] if detail else 'failed'}",
            hint="check the key path (--key, GATE_SIGNING_KEY or git config user.signingkey)",
        )
    return proc


def _run_keygen(args: list[str], data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """The one way ssh-keygen is run; an OpenSSH too old for `-Y` is said as such."""
    try:
        proc = subprocess.run(
            ["ssh-keygen", *args], input=data, capture_output=True, check=False, timeout=60
        )
    except subprocess.TimeoutExpired:
        raise IdentityError(
            f"ssh-keygen {' '.join(args[:2])}: no answer within 60 s",
            hint="a machine this loaded cannot judge signatures; run the check again",
        ) from None
    except FileNotFoundError:
        raise IdentityError(
            f"ssh-keygen: not found; signatures need OpenSSH {MIN_OPENSSH} or newer",
            hint="install OpenSSH's client (Debian: openssh-client)",
        ) from None
    if proc.returncode != 0 and _too_old(proc.stderr):
        raise IdentityError(
            f"ssh-keygen does not know `-Y` ({openssh_version()} found); "
            f"signatures need OpenSSH {MIN_OPENSSH} or newer",
            hint=f"install OpenSSH {MIN_OPENSSH} or newer (ssh-keygen -Y sign/verify)",
        )
    return proc


def _too_old(stderr: bytes) -> bool:
    """getopt's own complaint, as the first line: ssh-keygen quotes a signature's fields
    (its hash algorithm, up to 100 bytes) in its errors, and a signature saying "unknown
    option -- Y" must stay a signature that does not verify."""
    import re

    first = stderr.decode("utf-8", "replace").split("\n", 1)[0]
    return re.fullmatch(r"(?:ssh-keygen: )?(?:illegal|unknown) option -- Y\r?", first) is not None


def openssh_version() -> str:
    """`OpenSSH_9.2p1`, from `ssh -V`, or `an unknown OpenSSH` without ssh."""
    try:
        proc = subprocess.run(["ssh", "-V"], capture_output=True, check=False, timeout=10)
    except OSError:
        return "an unknown OpenSSH"
    words = (proc.stderr or proc.stdout).decode("utf-8", "replace").split()
    return words[0].rstrip(",") if words else "an unknown OpenSSH"


@contextmanager
def allowed_signers_file(policy: Policy, namespace: str = NAMESPACE) -> Iterator[Path]:
    """An allowed-signers file generated from the policy: principal = person id."""
    with tempfile.TemporaryDirectory(prefix="gate-signers-") as folder:
        path = Path(folder) / "allowed_signers"
        lines = [
            parse_key(key).allowed_signers_line(pid, namespace)
            for pid, person in policy.people.items()
            for key in person.keys
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        yield path


SSH_ARMOR = "-----BEGIN SSH SIGNATURE-----"
NOT_SSH = (
    "signed with a non-SSH (GPG or X.509) signature; only SSH signatures from keys the "
    "trusted policy lists count, never a key from this machine's keyrings"
)
# The longest SSH signature ssh-keygen makes (an RSA-16384 key and signature, armoured) is
# under 8 KiB; a longer one is padded (whitespace, the unsigned `reserved` field), and
# ssh-keygen reads such a file in quadratic time (a 13 MB one took 35 s): not one at all.
MAX_SIGNATURE = 64 * 1024
TOO_LONG = f"the signature is longer than {MAX_SIGNATURE // 1024} KiB: no SSH signature is"


def _unreadable(signature: str) -> str | None:
    """Why `signature` is no SSH signature any key is asked about, or None."""
    if SSH_ARMOR not in signature:
        return NOT_SSH
    return TOO_LONG if len(signature) > MAX_SIGNATURE else None


class Verifier:
    """Verifies signatures against the keys a (trusted) policy lists for each person.

    Only the policy's keys are consulted: an allowed-signers file is generated from it,
    and ssh-keygen is run directly, never through git's or gpg's configuration.
    """

    def __init__(self, policy: Policy, namespace: str = NAMESPACE) -> None:
        self._policy = policy
        self._namespace = namespace
        self._stack = ExitStack()

    def __enter__(self) -> Verifier:
        self._allowed = self._stack.enter_context(
            allowed_signers_file(self._policy, self._namespace)
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def problem(self, person: str, record: Strict, signature: str | None) -> str | None:
        """None when `signature` is `person`'s over `record`; else why it counts for nothing."""
        if not signature:
            return 'not signed (signatures = "ssh" requires a signature)'
        return self.data_problem(person, payload(record), signature)

    def data_problem(self, person: str, data: bytes, signature: str) -> str | None:
        """None when `signature` is `person`'s over `data`; else why it counts for nothing."""
        if (unread := _unreadable(signature)) is not None:
            return unread
        if person not in self._policy.people or not self._policy.people[person].keys:
            return f"the trusted policy lists no key for '{person}'"
        if self._verify(person, data, signature):
            return None
        owner = self.owner(signature)
        if owner and owner != person:
            return f"signed with {owner}'s key, not {person}'s"
        return f"signature does not verify against {person}'s keys in the trusted policy"

    def signer(self, data: bytes, signature: str) -> str | None:
        """The policy person whose key made a good `signature` over `data`, or None."""
        owner = self.owner(signature) if _unreadable(signature) is None else None
        return owner if owner and self._verify(owner, data, signature) else None

    def owner(self, signature: str) -> str | None:
        """The policy person whose key the signature names (not yet checked over data)."""
        from gatekeeper.trust import sshsig

        with suppress(sshsig.Undecided):  # in-process where it is exact, else ssh-keygen
            return sshsig.find_principal(signature, self._lines())
        sig = self._write_sig(signature)
        wall_clock()  # ssh-keygen judges a key's valid-after/valid-before at its own now
        found = _run_keygen(["-Y", "find-principals", "-f", str(self._allowed), "-s", str(sig)])
        names = found.stdout.decode("utf-8", "replace").split()
        return names[0] if found.returncode == 0 and names else None

    def _verify(self, person: str, data: bytes, signature: str) -> bool:
        from gatekeeper.trust import sshsig

        lines = [line for pid, line in self._lines() if pid == person]
        with suppress(sshsig.Undecided):  # in-process where it is exact, else ssh-keygen
            return sshsig.verify(data, signature, self._namespace, lines)
        sig = self._write_sig(signature)
        wall_clock()  # as above: the judgement holds at this moment only
        args = ["-Y", "verify", "-f", str(self._allowed), "-I", person, "-n", self._namespace]
        return _run_keygen([*args, "-s", str(sig)], data).returncode == 0

    def _lines(self) -> list[tuple[str, PublicKey]]:
        """(person, key) in the order of the allowed-signers file."""
        return [(p, parse_key(k)) for p, person in self._policy.people.items() for k in person.keys]

    def _write_sig(self, signature: str) -> Path:
        sig = self._allowed.with_name("record.sig")
        sig.write_text(signature.strip() + "\n", encoding="utf-8")
        return sig


def split_signed_tag(raw: bytes) -> tuple[bytes, str | None]:
    """(what a tag's signature covers, the signature) of a raw tag object, as git splits it."""
    for marker in (SSH_ARMOR.encode(), b"-----BEGIN PGP SIGNATURE-----"):
        at = raw.rfind(b"\n" + marker)
        if at >= 0:
            return raw[: at + 1], raw[at + 1 :].decode("utf-8", "replace")
    return raw, None

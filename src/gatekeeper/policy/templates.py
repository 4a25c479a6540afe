"""The shipped policy templates (`policies/*.toml` of this project)."""

from __future__ import annotations

from pathlib import Path

from gatekeeper.errors import InputError

PLACEHOLDER_NAME = 'name = "Your Name"'
PLACEHOLDER_EMAIL = 'email = "you@example.com"'
PLACEHOLDER_KEYS = "keys = []"


def _folder(installed: str = "templates", checkout: str = "policies") -> Path:
    package = Path(__file__).resolve().parents[1]  # gatekeeper/
    packaged = package / installed  # inside a built wheel (pyproject's force-include)
    if packaged.is_dir():
        return packaged
    return package.parents[1] / checkout  # an editable checkout: src/gatekeeper -> the repo


def hook_script(name: str) -> str:
    """The plain git hook script `hooks/NAME` of this project."""
    return (_folder("hookscripts", "hooks") / name).read_text(encoding="utf-8")


def names() -> list[str]:
    """Template names, e.g. minimal, standard, strict."""
    return sorted(p.stem for p in _folder().glob("*.toml"))


def text(name: str) -> str:
    """The template's TOML text."""
    if name not in names():
        raise InputError(
            f"--template: unknown template '{name}'", hint=f"choose one of: {', '.join(names())}"
        )
    return (_folder() / f"{name}.toml").read_text(encoding="utf-8")


def person_id(email: str, name: str) -> str:
    """A policy person id for someone: their email's local part, as a policy name
    (`Alice.Chen@x` -> `alice-chen`: a bare TOML key), else their name, else `me`."""
    import re

    for source in (email.split("@", 1)[0], name):
        pid = re.sub(r"[^a-z0-9_-]+", "-", source.lower()).strip("-_")[:64]
        if pid and pid[0].isalnum() and pid.isascii():
            return pid
    return "me"


def render(name: str, person_name: str, email: str, key: str | None) -> str:
    """The template with its placeholder person replaced by the given identity and key."""
    import json
    import re

    pid = person_id(email, person_name)
    body = re.sub(r"(?<=\[people\.)you(?=\])", pid, text(name))
    body = body.replace('members = ["you"]', f'members = ["{pid}"]')
    return (
        body.replace(PLACEHOLDER_NAME, f"name = {json.dumps(person_name, ensure_ascii=False)}", 1)
        .replace(PLACEHOLDER_EMAIL, f"email = {json.dumps(email)}", 1)
        .replace(PLACEHOLDER_KEYS, f"keys = [{json.dumps(key)}]" if key else PLACEHOLDER_KEYS, 1)
    )

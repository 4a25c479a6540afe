"""What a policy must agree with itself on: the people, roles and gates it names exist,
nothing is listed twice, and what it exempts or waives is something it has."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gatekeeper.models.tomlfile import did_you_mean

if TYPE_CHECKING:
    from gatekeeper.models.policy import Policy


def problems(policy: Policy) -> list[str]:
    """Cross-reference errors as `field: message` (unknown roles, people, duplicates)."""
    out = []
    for rname, role in policy.roles.items():
        for i, member in enumerate(role.members):
            if member not in policy.people:
                out.append(
                    f"roles.{rname}.members[{i}]: unknown person '{member}'"
                    + did_you_mean(member, policy.people)
                )
    seen_ids: set[str] = set()
    for g, gate in enumerate(policy.all_gates()):
        if gate.id in seen_ids:
            out.append(f"gates[{g}].id: duplicate gate id '{gate.id}'")
        seen_ids.add(gate.id)
        for key in ("roles", "by_roles"):
            for i, role in enumerate(getattr(gate, key, [])):
                if role not in policy.roles:
                    out.append(
                        f"gates[{g}].{key}[{i}]: unknown role '{role}'"
                        + did_you_mean(role, policy.roles)
                    )
    out += _undeclared_when(policy)
    out += _binding_problems(policy)
    out += _emergency_problems(policy)
    out += _notify_problems(policy)
    out += _duplicate_identities(policy)
    if policy.signatures != "none" and not any(p.keys for p in policy.people.values()):
        out.append(
            f"signatures: '{policy.signatures}' needs keys, but no person lists any "
            "(people.<id>.keys); without a trust store nothing could be verified"
        )
    return out


def _emergency_problems(policy: Policy) -> list[str]:
    if policy.emergency is None:
        return []
    ids = {g.id for g in policy.all_gates()}
    out = [
        f"emergency.roles[{i}]: unknown role '{r}'" + did_you_mean(r, policy.roles)
        for i, r in enumerate(policy.emergency.roles)
        if r not in policy.roles
    ]
    out += [
        f"emergency.never_waive[{i}]: unknown gate '{g}'" + did_you_mean(g, ids)
        for i, g in enumerate(policy.emergency.never_waive)
        if g not in ids
    ]
    return out


def _notify_problems(policy: Policy) -> list[str]:
    if policy.notify is None:
        return []
    out = [
        f"notify.roles[{i}]: unknown role '{r}'" + did_you_mean(r, policy.roles)
        for i, r in enumerate(policy.notify.roles)
        if r not in policy.roles
    ]
    seen = {"email"}
    for i, hook in enumerate(policy.notify.webhooks):
        if hook.channel in seen:
            out.append(
                f"notify.webhooks[{i}]: channel '{hook.channel}' is used twice; "
                "give each webhook its own `name`"
            )
        seen.add(hook.channel)
    return out


def _binding_problems(policy: Policy) -> list[str]:
    import fnmatch

    guarded = ("policies/release.toml", f"{policy.releases}/v1/request.toml")
    return [
        f"binding.ignore[{i}]: '{glob}' would exempt policies/ or {policy.releases}/; "
        "expected globs for code or docs only (e.g. docs/**)"
        for i, glob in enumerate(policy.binding.ignore)
        if any(fnmatch.fnmatchcase(path, glob) for path in guarded)
    ]


def _undeclared_when(policy: Policy) -> list[str]:
    out = []
    for g, gate in enumerate(policy.all_gates()):
        for key, declared in (("kind", policy.kinds), ("component", policy.components)):
            values = getattr(gate.when, key, None) if gate.when else None
            for i, value in enumerate(values or []):
                if declared is not None and value not in declared:
                    out.append(
                        f"gates[{g}].when.{key}[{i}]: '{value}' is not in `{key}s`"
                        + did_you_mean(value, declared)
                    )
    return out


def _duplicate_identities(policy: Policy) -> list[str]:
    from gatekeeper.trust.keys import key_material

    out = []
    emails: dict[str, str] = {}
    keys: dict[str, str] = {}
    for pid, person in policy.people.items():
        other = emails.setdefault(person.email.lower(), pid)
        if other != pid:
            out.append(f"people.{pid}.email: '{person.email}' is also {other}'s email")
        for i, key in enumerate(person.keys):
            material = key_material(key)
            owner = keys.setdefault(material, pid)
            if owner != pid:
                out.append(f"people.{pid}.keys[{i}]: this key is also listed for {owner}")
    return out

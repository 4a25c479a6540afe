"""git's pre-push input, one line per ref: `<local ref> SP <local sha> SP <remote ref> SP
<remote sha> LF`. Standard library only: the hook's fast path reads it before importing
anything else. The local ref is the push source as typed and may hold spaces
(`HEAD^{/fix the bug}`), so a line is split at its last three spaces; lines end at LF
only (a ref name may hold U+2028 or U+0085, where `splitlines` would cut)."""

from __future__ import annotations

import re

_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


def split_lines(text: str) -> list[tuple[str, str, str, str] | str]:
    """Each non-empty line as its four fields, or, for a line of another shape, the line
    itself (a push the hook cannot read is refused, never passed over)."""
    out: list[tuple[str, str, str, str] | str] = []
    for line in text.split("\n"):
        if not line:
            continue
        parts = line.rsplit(" ", 3)
        if len(parts) == 4 and parts[0] and parts[2] and all(map(_SHA.match, parts[1::2])):
            out.append((parts[0], parts[1], parts[2], parts[3]))
        else:
            out.append(line)
    return out

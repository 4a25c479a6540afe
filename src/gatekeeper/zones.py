"""Time zones from the IANA database gatekeeper ships (the `tzdata` package), never the
checking machine's files: zoneinfo reads the system's first, and two machines with
different releases of the database judge one freeze window differently (America/
Vancouver's rules differ between 2025b and 2026f from November 2026)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo


@functools.cache
def names() -> frozenset[str]:
    """Every zone name of the shipped database."""
    from importlib.resources import files

    return frozenset(files("tzdata").joinpath("zones").read_text(encoding="utf-8").split())


@functools.cache
def zone(name: str) -> ZoneInfo:
    """The shipped zone `name` (one object per name in a process); ValueError when the
    shipped database has no such zone."""
    from importlib.resources import files
    from zoneinfo import ZoneInfo

    if name not in names():
        raise ValueError(f"unknown IANA time zone {name!r}")
    with files("tzdata").joinpath("zoneinfo", *name.split("/")).open("rb") as data:
        return ZoneInfo.from_file(data, key=name)

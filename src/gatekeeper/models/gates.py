"""Gate tables of the policy. Evidence kinds add their own gate models (gatekeeper.evidence)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field, field_validator, model_validator

from gatekeeper.models.base import Count, Name, Risk, Strict


class When(Strict):
    """A gate applies only when every given matcher matches the request."""

    kind: list[Name] | None = None
    risk: list[Risk] | None = None
    component: list[Name] | None = None
    paths: list[str] | None = Field(
        default=None,
        description="globs: the gate applies when the candidate changes a matching path since "
        "the previous release of the same component",
    )


class GateBase(Strict):
    """Keys every gate has."""

    id: Name
    title: str = ""
    when: When | None = None
    stage: Literal["pre-tag", "post-release"] = "pre-tag"
    due_hours: Count | None = Field(
        default=None, description="post-release gates: due this many hours after the tag"
    )

    @model_validator(mode="after")
    def _due_only_post_release(self) -> GateBase:
        if self.due_hours is not None and self.stage != "post-release":
            raise ValueError("due_hours is only for stage = 'post-release'")
        return self


class ApprovalGate(GateBase):
    """Sign-offs from people holding the listed roles."""

    type: Literal["approval"]
    roles: list[Name] = Field(min_length=1)
    min_each: Count | None = Field(default=None, description="approvals needed per role")
    min: Count | None = Field(default=None, description="approvals needed over all roles")

    @model_validator(mode="after")
    def _one_count(self) -> ApprovalGate:
        if self.min_each is not None and self.min is not None:
            raise ValueError("give either min_each or min, not both")
        return self

    def required_each(self) -> int | None:
        """Approvals required per role, or None when `min` counts the union."""
        if self.min is not None:
            return None
        return 1 if self.min_each is None else self.min_each


class EvidenceGate(GateBase):
    """An evidence record of `kind` must exist and satisfy the kind's rules."""

    type: Literal["evidence"]
    kind: Name
    by_roles: list[Name] = Field(
        default=[],
        description="only records by holders of these roles satisfy it (default: anyone's); "
        "anyone's record that fails it still fails it",
    )


class CustomEvidenceGate(EvidenceGate):
    """A kind the policy names itself: the manifest's `details` must hold `fields`."""

    fields: list[Name] = []


class LeadTimeGate(GateBase):
    """上线预知: the request was filed at least `min_days` before the time judged."""

    type: Literal["lead-time"]
    min_days: Count


class FreezeWindow(Strict):
    """One freeze: from `start` to `end`, or recurring by `rrule` for `duration_hours`."""

    title: str = ""
    start: AwareDatetime
    end: AwareDatetime | None = None
    rrule: str | None = Field(default=None, description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=FR")
    duration_hours: float | None = Field(default=None, gt=0, le=24 * 366)

    @model_validator(mode="after")
    def _one_shape(self) -> FreezeWindow:
        from gatekeeper.gates.recurrence import EARLIEST_YEAR, LATEST_YEAR

        if self.rrule is None and (self.end is None or self.end <= self.start):
            raise ValueError("a one-off window needs an `end` after its `start`")
        for moment in (self.start, self.end) if self.rrule is None else ():
            if moment is not None and not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
                raise ValueError(
                    f"{moment.isoformat()}: expected a time from {EARLIEST_YEAR} to "
                    f"{LATEST_YEAR} (any zone must be able to show it)"
                )
        if self.rrule is not None and (self.duration_hours is None or self.end is not None):
            raise ValueError("a recurring window needs `duration_hours` (and no `end`)")
        if self.rrule is not None:
            from gatekeeper.gates.recurrence import check_rule

            check_rule(self.rrule, self.start)
        return self


class FreezeGate(GateBase):
    """封网: no release inside any window, judged at the time `--at` selects."""

    type: Literal["freeze"]
    timezone: str = Field(default="UTC", description="IANA zone for rrule windows and display")
    windows: list[FreezeWindow] = Field(min_length=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """A zone of the IANA database gatekeeper ships (the `tzdata` package's list): a
        folder (`Asia`), `localtime` (this machine's zone) or a file the machine happens to
        have would judge differently on a laptop and in CI."""
        from gatekeeper.zones import zone

        try:
            zone(value)
        except (ValueError, OSError):
            raise ValueError(f"unknown IANA time zone {value!r}, e.g. Asia/Shanghai") from None
        return value

    @model_validator(mode="after")
    def _occurs_in_its_zone(self) -> FreezeGate:
        """Each recurring window occurs as the gate expands it, in its `timezone`."""
        from gatekeeper.gates.recurrence import check_occurs, check_time_of_day
        from gatekeeper.zones import zone

        for n, window in enumerate(self.windows):
            if window.rrule is not None:
                try:
                    check_time_of_day(window.rrule, window.start, zone(self.timezone))
                    check_occurs(window.rrule, window.start, zone(self.timezone))
                except ValueError as exc:
                    raise ValueError(f"windows[{n}]: {exc}") from None
        return self

    @field_validator("windows")
    @classmethod
    def _few_recurring(cls, value: list[FreezeWindow]) -> list[FreezeWindow]:
        from gatekeeper.gates.recurrence import MAX_RECURRING

        if sum(w.rrule is not None for w in value) > MAX_RECURRING:
            raise ValueError(
                f"more than {MAX_RECURRING} recurring windows; expected a few rules (each "
                "check walks every day since each rule's start), one-off windows for dates"
            )
        return value


class ObligationsGate(GateBase):
    """上线后检查 really happens: no earlier release (of this component, or any) has an
    overdue post-release gate."""

    type: Literal["obligations"]
    scope: Literal["component", "all"] = "component"

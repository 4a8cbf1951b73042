"""Deadlines are a local date and time in a named IANA zone ("21 March 2025, 13:00,
Europe/Zurich"), stored as one UTC instant plus the zone for display.

Local times that do not exist (the hour skipped when clocks go forward) are refused;
local times that happen twice (the hour repeated when clocks go back) must be made
explicit by choosing the earlier or the later of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_timedelta

from app.core import dates
from app.core.errors import FieldErrors
from app.core.i18n import babel_locale
from app.core.i18n import gettext as _


class DeadlineError(ValueError):
    """A deadline that cannot be accepted as given; the message says why."""


@dataclass(frozen=True)
class Ambiguous(DeadlineError):
    earlier: datetime
    later: datetime

    def __str__(self) -> str:
        return _(
            "This local time happens twice because the clocks go back. Choose the earlier "
            "(%(earlier)s UTC) or the later (%(later)s UTC)."
        ) % {
            "earlier": self.earlier.strftime("%H:%M"),
            "later": self.later.strftime("%H:%M"),
        }


@cache
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


def zone(name: str) -> ZoneInfo:
    if name not in zone_names():
        raise DeadlineError(_("Unknown time zone “%(zone)s”.") % {"zone": name[:64]})
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DeadlineError(_("Unknown time zone “%(zone)s”.") % {"zone": name[:64]}) from exc


def to_instant(local: datetime, zone_name: str, *, fold: int | None = None) -> datetime:
    """The UTC instant of a wall-clock time in a zone.

    `fold` picks between the two instants of a repeated local time (0: earlier, 1: later);
    without it such a time raises Ambiguous.
    """
    if local.tzinfo is not None:
        raise DeadlineError("expected a local (naive) date and time")
    tz = zone(zone_name)
    first = local.replace(tzinfo=tz, fold=0)
    second = local.replace(tzinfo=tz, fold=1)
    # A skipped local time does not survive the round trip through UTC.
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
        raise DeadlineError(
            _(
                "%(time)s does not exist in %(zone)s on that day: the clocks go forward. "
                "Choose another time."
            )
            % {"time": local.strftime("%H:%M"), "zone": zone_name}
        )
    if first.utcoffset() != second.utcoffset():
        if fold is None:
            raise Ambiguous(first.astimezone(UTC), second.astimezone(UTC))
        return (second if fold else first).astimezone(UTC)
    return first.astimezone(UTC)


FOLDS = {"earlier": 0, "later": 1}


def parse_local(day: str, clock: str, zone_name: str, *, fold: str = "") -> datetime:
    """The UTC instant of a date and a time typed in a zone, as the forms and the API give
    them ("2025-03-21", "13:00"; `fold` is "earlier" or "later" for a repeated time).

    Raises DeadlineError with the message to show beside the field.
    """
    try:
        local = datetime.combine(date.fromisoformat(day.strip()), time.fromisoformat(clock.strip()))
    except ValueError as exc:
        raise DeadlineError(_("Enter the date as YYYY-MM-DD and the time as HH:MM.")) from exc
    return to_instant(local.replace(second=0, microsecond=0), zone_name, fold=FOLDS.get(fold))


def parse_deadline(*, day: str, clock: str, zone_name: str, fold: str = "") -> datetime:
    """`parse_local` for a deadline given on its own: a problem is the `deadline` field's."""
    try:
        return parse_local(day, clock, zone_name, fold=fold)
    except DeadlineError as exc:
        raise FieldErrors({"deadline": str(exc)}) from exc


def to_local(instant: datetime, zone_name: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone_name))


def describe(instant: datetime, zone_name: str) -> str:
    """ "21 March 2025, 13:00 Zurich time (CET)", in the reader's language (app.core.dates)."""
    return dates.format_when(instant, zone_name)


def countdown(instant: datetime, now: datetime) -> str:
    """ "in 3 days" / "2 hours ago", in the reader's language."""
    delta: timedelta = instant - now
    return format_timedelta(delta, add_direction=True, threshold=1.5, locale=babel_locale())

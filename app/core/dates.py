"""Instants and days as a reader reads them: in their language, in a named time zone.

Stored times are UTC. A statement's team sees its times in the statement's deadline zone
(the zone the coalition works in); pages that belong to no statement (accounts, the
outbox) show UTC. The zone is always named, so nobody has to guess. Templates use the
`when` and `day` filters; `<time datetime>` keeps the exact instant for machines.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_skeleton
from markupsafe import Markup, escape

from app.core.i18n import babel_locale

UTC_NAME = "UTC"


def _zone(name: str | None) -> tuple[str, ZoneInfo]:
    try:
        return (name, ZoneInfo(name)) if name else (UTC_NAME, ZoneInfo(UTC_NAME))
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_NAME, ZoneInfo(UTC_NAME)


def format_when(instant: datetime, zone: str | None = None) -> str:
    """ "Nov 24, 2026, 14:26 Europe/Zurich" / "2026년 11월 24일 14:26 Europe/Zurich"."""
    name, tz = _zone(zone)
    if instant.tzinfo is None:  # SQLite hands some back naive; they are UTC
        instant = instant.replace(tzinfo=UTC)
    local = instant.astimezone(tz)
    locale = babel_locale()
    day = format_skeleton("yMMMd", local, tzinfo=tz, locale=locale)
    clock = format_skeleton("Hm", local, tzinfo=tz, locale=locale)
    pattern = locale.datetime_formats["medium"]
    both = str(pattern).replace("{1}", day).replace("{0}", clock)
    return f"{both} {name}"


def format_day(value: date | datetime) -> str:
    """ "Nov 24, 2026" / "2026년 11월 24일"."""
    if isinstance(value, datetime):
        value = value.date()
    return format_skeleton("yMMMd", value, locale=babel_locale())


def when(instant: datetime | None, zone: str | None = None) -> Markup:
    """The `when` filter: a `<time>` element for an instant (empty for None)."""
    if instant is None:
        return Markup("")
    machine = (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).isoformat()
    return Markup('<time datetime="{}">{}</time>').format(
        machine, escape(format_when(instant, zone))
    )

"""Instants and days as a reader reads them: in their language, in a named time zone.

Stored times are UTC. Every page that belongs to a statement (its public page and all
its team pages, the dashboard row included) shows times in the statement's deadline zone
(the zone the coalition works in); pages that belong to no statement (accounts, the
outbox) show UTC. One style per language, the zone named as people say it:

    "21 March 2025, 13:00 Zurich time (CET)"   /   "2025년 3월 21일 13:00 취리히 시간(CET)"

City names come from ICU's exemplar cities (PyICU), in the reader's language. Templates
use the `when` and `day` filters; `<time datetime>` keeps the exact instant for machines,
and `data-local-time` (static/js/local-time.js) adds the reader's own time in the same
style, with the patterns this module hands it (`reader_time_attrs`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icu
from babel.dates import format_date
from markupsafe import Markup, escape

from app.core.i18n import babel_locale, get_locale
from app.core.i18n import gettext as _

UTC_NAME = "UTC"


def _zone(name: str | None) -> tuple[str, ZoneInfo]:
    try:
        return (name, ZoneInfo(name)) if name else (UTC_NAME, ZoneInfo(UTC_NAME))
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_NAME, ZoneInfo(UTC_NAME)


@cache
def _zone_names(language: str) -> icu.TimeZoneNames:
    return icu.TimeZoneNames.createInstance(icu.Locale(language))


def zone_city(zone: str, language: str | None = None) -> str:
    """The city a zone is named after, in `language` ("Zurich", "취리히"); "" for zones
    named after no place (UTC, Etc/GMT+5)."""
    found = _zone_names(language or get_locale()).getExemplarLocationName(zone)
    return str(found) if found else ""


def _offset(local: datetime) -> str:
    """ "UTC+3", "UTC-3:30", "UTC" for an offset without an abbreviation."""
    delta = local.utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    if minutes == 0:
        return UTC_NAME
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def abbreviation(local: datetime) -> str:
    """The abbreviation people use ("CET", "KST", "EST"), or the offset where the zone
    has none ("UTC-3" for São Paulo, whose tz abbreviation is "-03")."""
    name = local.tzname() or ""
    if not name or name[0] in "+-" or name.isdigit():
        return _offset(local)
    return name


def zone_phrase(local: datetime, zone: str) -> str:
    """ "Zurich time (CET)" / "취리히 시간(CET)"; "UTC" for UTC itself."""
    abbr = abbreviation(local)
    city = zone_city(zone)
    if not city:
        return abbr
    return _("%(city)s time (%(abbr)s)") % {"city": city, "abbr": abbr}


def zone_name(zone: str) -> str:
    """ "Zurich time" / "취리히 시간", or the zone's own name where it has no city."""
    city = zone_city(zone)
    return _("%(city)s time") % {"city": city} if city else zone


def _day_pattern() -> str:
    """The day in the reader's language: "21 March 2025" / "2025년 3월 21일"."""
    if get_locale() == "en":
        return "d MMMM y"
    return str(babel_locale().date_formats["long"].pattern)


def _joiner() -> str:
    """How a day and a time are joined: "21 March 2025, 13:00" / "2025년 3월 21일 13:00"."""
    return str(babel_locale().datetime_formats["medium"])


def _day_and_time(local: datetime) -> str:
    day = format_date(local.date(), _day_pattern(), locale=babel_locale())
    return _joiner().replace("{1}", day).replace("{0}", local.strftime("%H:%M"))


def format_when(instant: datetime, zone: str | None = None) -> str:
    """ "21 March 2026, 13:05 Zurich time (CET)" / "2026년 3월 21일 21:05 서울 시간(KST)"."""
    name, tz = _zone(zone)
    if instant.tzinfo is None:  # SQLite hands some back naive; they are UTC
        instant = instant.replace(tzinfo=UTC)
    local = instant.astimezone(tz)
    return f"{_day_and_time(local)} {zone_phrase(local, name)}"


def format_day(value: date | datetime) -> str:
    """ "21 March 2026" / "2026년 3월 21일"."""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, _day_pattern(), locale=babel_locale())


def reader_time_attrs() -> Markup:
    """`data-*` attributes that let local-time.js write the reader's own time in the
    page's style: the label, the day's CLDR pattern and how day and time are joined."""
    return Markup(
        ' data-local-time data-local-label="{}" data-day-pattern="{}" data-joiner="{}"'
    ).format(_("your time:"), _day_pattern(), _joiner())


def when(instant: datetime | None, zone: str | None = None) -> Markup:
    """The `when` filter: a `<time>` element for an instant (empty for None)."""
    if instant is None:
        return Markup("")
    machine = (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).isoformat()
    return Markup('<time datetime="{}">{}</time>').format(
        machine, escape(format_when(instant, zone))
    )


def deadline(instant: datetime, zone: str) -> Markup:
    """The `deadline` filter: `when` plus the reader's own time (added by local-time.js)."""
    machine = (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).isoformat()
    return Markup('<time datetime="{}"{}>{}</time>').format(
        machine, reader_time_attrs(), escape(format_when(instant, zone))
    )

"""Signing over time: signatures per day and by country, for the team's overview (an SVG
drawn here, no script) and for the public (counts only: by day, and by country only for
signers listed by name, as app.signatures.public allows).

Days are counted on the deadline zone's calendar, by when a signature was confirmed.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlmodel import Session, col, select

from app.core.dates import format_day
from app.core.i18n import gettext as _
from app.core.i18n import ngettext
from app.lists import service as lists
from app.signatures import countries
from app.signatures.models import Listing, Signature, SignatureStatus

TOP_COUNTRIES = 5
OTHER = ""  # the key for every other country (and none)
# Colours with a 3:1 contrast against white, told apart without colour by the legend order.
PALETTE = ("#0b5cad", "#b3441b", "#1d7a3a", "#7b3fa0", "#8a6d00", "#5c6670")
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 480, 220, 40, 32, 16
MAX_BAR = 40
_AXIS = 'text-anchor="end" font-size="14" fill="#1f2328"'


@dataclass(frozen=True)
class Series:
    days: list[date]
    countries: list[str]  # codes, most signatures first; OTHER last if present
    counts: dict[date, Counter[str]]

    def total(self, day: date) -> int:
        return sum(self.counts.get(day, Counter()).values())


def _day(instant: datetime, zone: ZoneInfo) -> date:
    return instant.astimezone(zone).date()


def team_series(session: Session, *, statement_id: int, zone_name: str) -> Series:
    """Confirmed and approved signatures per day and country, for the team."""
    zone = ZoneInfo(zone_name or "UTC")
    rows = session.exec(
        select(Signature.confirmed_at, Signature.submitted_at, Signature.country).where(
            col(Signature.statement_id) == statement_id,
            col(Signature.status).in_([SignatureStatus.CONFIRMED, SignatureStatus.APPROVED]),
        )
    ).all()
    per_day: dict[date, Counter[str]] = {}
    totals: Counter[str] = Counter()
    for confirmed, submitted, country in rows:
        day = _day(confirmed or submitted, zone)
        per_day.setdefault(day, Counter())[country] += 1
        totals[country] += 1
    top = [c for c, _n in totals.most_common() if c][:TOP_COUNTRIES]
    folded: dict[date, Counter[str]] = {}
    for day, counter in per_day.items():
        folded[day] = Counter({(c if c in top else OTHER): 0 for c in counter})
        for country, n in counter.items():
            folded[day][country if country in top else OTHER] += n
    keys = top + ([OTHER] if any(c not in top for c in totals) else [])
    days = _every_day(sorted(folded))
    return Series(days=days, countries=keys, counts=folded)


def _every_day(days: list[date]) -> list[date]:
    if not days:
        return []
    span = (days[-1] - days[0]).days
    return [days[0] + timedelta(days=i) for i in range(span + 1)]


def country_label(code: str) -> str:
    return countries.name(code) if code else _("Other or none")


def svg(series: Series) -> Markup:
    """Stacked bars, one per day, one colour per country (the legend is HTML beside it:
    `legend`). The figure is described in its title; the table on the page has the same
    numbers."""
    if not series.days:
        return Markup("")
    peak = max(series.total(d) for d in series.days) or 1
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    step = plot_w / len(series.days)
    bar = min(max(step * 0.7, 1.0), MAX_BAR)
    total = sum(series.total(d) for d in series.days)
    title = ngettext(
        "%(num)d signature over %(days)d days, per day and by country",
        "%(num)d signatures over %(days)d days, per day and by country",
        total,
    ) % {"num": total, "days": len(series.days)}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="chart-title" class="chart">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}" '
        'stroke="#4d5560"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" {_AXIS}>{peak}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" {_AXIS}>0</text>',
    ]
    colours = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(series.countries)}
    for i, day in enumerate(series.days):
        x = LEFT + i * step + (step - bar) / 2
        y = float(TOP + plot_h)
        for country in series.countries:
            n = series.counts.get(day, Counter()).get(country, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colours[country]}"><title>{escape(format_day(day))}: '
                f"{escape(country_label(country))} {n}</title></rect>"
            )
    for day in (series.days[0], series.days[-1]) if len(series.days) > 1 else series.days[:1]:
        i = series.days.index(day)
        anchor = "start" if i == 0 else "end"
        x = LEFT if i == 0 else WIDTH - 8
        parts.append(
            f'<text x="{x}" y="{TOP + plot_h + 18}" text-anchor="{anchor}" font-size="14" '
            f'fill="#1f2328">{escape(format_day(day))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def legend(series: Series) -> list[tuple[str, str]]:
    """(colour, country name) for each series, in the order the bars stack."""
    return [(PALETTE[i % len(PALETTE)], country_label(c)) for i, c in enumerate(series.countries)]


def public_counts(session: Session, *, statement_id: int, zone_name: str) -> dict[str, object]:
    """For the public JSON: approved signatures on the list per day, and per country only
    for those listed by name (an anonymous or counted-only signer's country is not told)."""
    from app.statements.models import Statement

    statement = session.get(Statement, statement_id)
    assert statement is not None
    zone = ZoneInfo(zone_name or "UTC")
    listed = lists.approved(session, statement=statement)
    per_day: Counter[date] = Counter(_day(s.confirmed_at or s.submitted_at, zone) for s in listed)
    per_country: Counter[str] = Counter(
        s.country for s in listed if s.listing == Listing.NAMED and s.country
    )
    return {
        "statement": statement.slug,
        "zone": zone_name,
        "total": len(listed),
        "by_day": [{"date": d.isoformat(), "count": per_day[d]} for d in sorted(per_day)],
        "by_country": [
            {"country": c, "count": n}
            for c, n in sorted(per_country.items(), key=lambda item: (-item[1], item[0]))
        ],
    }

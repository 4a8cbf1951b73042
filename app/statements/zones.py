"""Finding a time zone by what people call it: a city or a country, in English or Korean
("Geneva", "제네바", "Seoul", "서울", "Switzerland", "스위스") or its IANA name.

City names are ICU's exemplar cities and country names CLDR's (PyICU and Babel, in both
languages). ICU names a zone after one city only, so a few cities coalitions work from
that share another city's zone are added by hand (EXTRA_CITIES). The deadline forms use
a text field with a `<datalist>` of these names (searchable in the browser without any
script) and `resolve()` on the server, which also accepts a city or a country typed
without choosing a suggestion.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

import icu
from babel import Locale
from babel.core import get_global

from app.core.dates import zone_city
from app.core.i18n import gettext as _
from app.statements import deadlines

LANGUAGES = ("en", "ko")

# Cities that share the zone of the city ICU names it after: (English, Korean) names.
EXTRA_CITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "Europe/Zurich": (("Geneva", "제네바"), ("Bern", "베른"), ("Lausanne", "로잔")),
    "America/New_York": (("Washington", "워싱턴"),),
    "Europe/Amsterdam": (("The Hague", "헤이그"),),
    "Europe/Paris": (("Strasbourg", "스트라스부르"),),
    "Europe/Berlin": (("Bonn", "본"),),
    "America/Toronto": (("Ottawa", "오타와"), ("Montreal", "몬트리올")),
    "Australia/Sydney": (("Canberra", "캔버라"),),
    "Asia/Seoul": (("Busan", "부산"),),
}

# Other names people type that CLDR does not give: searched, not shown.
ALIASES: dict[str, tuple[str, ...]] = {
    "Europe/Zurich": ("Genève", "Genf", "Ginevra"),
    "Asia/Seoul": ("한국", "남한", "Korea"),
}


@dataclass(frozen=True)
class Zone:
    name: str  # the IANA name, what is stored
    cities: tuple[str, ...]  # in every language, the zone's own city first
    countries: tuple[str, ...]

    def label(self, language: str) -> str:
        """ "Zurich, Switzerland · Geneva, Bern, Lausanne" in `language`, then the other."""
        order = (language, *[lang for lang in LANGUAGES if lang != language])
        parts: list[str] = []
        for lang in order:
            city = zone_city(self.name, lang)
            country = _country(self.name, lang)
            extras = [pair[LANGUAGES.index(lang)] for pair in EXTRA_CITIES.get(self.name, ())]
            text = ", ".join(x for x in (city, country) if x)
            if extras:
                text += " (" + ", ".join(extras) + ")"
            if text and text not in parts:
                parts.append(text)
        return " · ".join(parts)


def _country(zone: str, language: str) -> str:
    try:
        region = str(icu.TimeZone.getRegion(zone) or "")
    except icu.ICUError:  # a zone newer than the ICU data
        return ""
    if len(region) != 2:
        return ""
    return str(Locale.parse(language).territories.get(region, ""))


def _key(text: str) -> str:
    """What is compared: case, accents, spaces, "_" and "-" do not matter ("sao paulo"
    finds "São Paulo" and "America/Sao_Paulo")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    )
    return "".join(c for c in kept if c.isalnum() or c == "/")


@cache
def all_zones() -> tuple[Zone, ...]:
    """The zones offered: one per place (CLDR's canonical names), and UTC."""
    canonical = set(get_global("zone_territories")) | {"UTC"}
    zones = []
    for name in deadlines.zone_names():
        if name not in canonical:
            continue
        cities = [zone_city(name, lang) for lang in LANGUAGES]
        cities += [city for pair in EXTRA_CITIES.get(name, ()) for city in pair]
        countries = [_country(name, lang) for lang in LANGUAGES]
        cities += ALIASES.get(name, ())
        zones.append(
            Zone(
                name=name,
                cities=tuple(dict.fromkeys(c for c in cities if c)),
                countries=tuple(dict.fromkeys(c for c in countries if c)),
            )
        )
    return tuple(zones)


def _ranked(query: str) -> list[tuple[int, str]]:
    """(rank, IANA name) of the zones matching `query`, best first: 0 the exact IANA name,
    1 a city named exactly, 2 a country named exactly, 3 a city and 4 a country that
    starts with what was typed, 5 any name that contains it."""
    wanted = _key(query)
    if not wanted:
        return []
    ranked: list[tuple[int, str]] = []
    for zone in all_zones():
        city_keys = [_key(c) for c in zone.cities] + [_key(zone.name.rsplit("/", 1)[-1])]
        country_keys = [_key(c) for c in zone.countries]
        if wanted == _key(zone.name):
            rank = 0
        elif wanted in city_keys:
            rank = 1
        elif wanted in country_keys:
            rank = 2
        elif any(k.startswith(wanted) for k in city_keys):
            rank = 3
        elif any(k.startswith(wanted) for k in country_keys):
            rank = 4
        elif any(wanted in k for k in (*city_keys, *country_keys, _key(zone.name))):
            rank = 5
        else:
            continue
        ranked.append((rank, zone.name))
    return sorted(ranked)


def search(query: str, *, limit: int = 20) -> list[str]:
    """IANA names matching `query` (a city, a country or an IANA name), best first."""
    return [name for _, name in _ranked(query)[:limit]]


def resolve(text: str) -> str | None:
    """The one zone `text` means, or None when it names none, or several equally well
    ("United States" has many zones; "Geneva", "서울" and "Switzerland" one each)."""
    text = text.strip()
    if text in deadlines.zone_names():
        return text
    ranked = _ranked(text)
    if not ranked:
        return None
    if len(ranked) == 1 or ranked[0][0] < ranked[1][0]:
        return ranked[0][1]
    return None


def options(language: str) -> list[tuple[str, str]]:
    """(IANA name, label) for the `<datalist>`, in the reader's language first."""
    return [(zone.name, zone.label(language)) for zone in all_zones()]


def not_found(text: str) -> str:
    """The message beside the field when `resolve(text)` finds no single zone."""
    shown = text.strip()[:64]
    if not shown:
        return _("Choose the time zone the deadline is announced in.")
    if len(search(shown)) > 1:
        return _(
            "Several time zones match “%(text)s”. Type a city, e.g. Geneva or Seoul, "
            "or choose one from the list."
        ) % {"text": shown}
    return _("No time zone matches “%(text)s”. Type a city or a country, e.g. Geneva.") % {
        "text": shown
    }

"""Countries: the ISO 3166-1 list (pycountry), named in the reader's language (Babel)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import pycountry
from babel import Locale

from app.core.i18n import get_locale


@cache
def codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


@cache
def _territories(locale: str) -> Mapping[str, str]:
    return Locale.parse(locale).territories


def name(code: str, locale: str | None = None) -> str:
    if not code:
        return ""
    known = _territories(locale or get_locale()).get(code)
    if known:
        return str(known)
    fallback = pycountry.countries.get(alpha_2=code)
    return str(fallback.name if fallback else code)


@cache
def _options(locale: str) -> tuple[tuple[str, str], ...]:
    named = [(code, name(code, locale)) for code in codes()]
    return tuple(sorted(named, key=lambda pair: pair[1].casefold()))


def options() -> tuple[tuple[str, str], ...]:
    """(code, localised name) pairs, alphabetical in the reader's language."""
    return _options(get_locale())

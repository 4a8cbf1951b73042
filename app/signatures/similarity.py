"""Spotting organisations that look alike (same website, same acronym, near-identical
name), so that leads can catch one organisation signing twice through two people."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

from app.signatures.forms import website_domain

_NOISE = re.compile(r"[^\w]+")
_STOP = {"the", "of", "for", "and", "in", "on", "a", "an"}


def _normal_name(name: str) -> str:
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(w for w in _NOISE.sub(" ", folded).split() if w not in _STOP)


def same_organisation(
    name: str, acronym: str, website: str, other_name: str, other_acronym: str, other_website: str
) -> bool:
    site, other_site = website_domain(website), website_domain(other_website)
    if site and site == other_site:
        return True
    if acronym and acronym.casefold() == other_acronym.casefold():
        return True
    a, b = _normal_name(name), _normal_name(other_name)
    return bool(a and b) and (a == b or SequenceMatcher(None, a, b).ratio() >= 0.9)

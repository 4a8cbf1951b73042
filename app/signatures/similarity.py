"""Spotting organisations that look alike (same website, same acronym, near-identical
name), so that leads can catch one organisation signing twice through two people.

Each signature keeps its organisation's comparison keys (`org_key`, `site`), filled in by
column defaults on every insert (form, API, import, added by hand), so a new signature is
compared in one query that returns only plausible candidates, not by re-reading and
re-normalising every organisation on the statement.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process

from app.security.tokens import Keyed, keyed_digest

_NOISE = re.compile(r"[^\w]+")
_STOP = {"the", "of", "for", "and", "in", "on", "a", "an"}
KEY_LENGTH = 300
NEAR = 90.0  # names at least this similar (0-100, normalised Indel similarity) look alike


def website_domain(url: str) -> str:
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    return host.lower().removeprefix("www.")


def org_key(name: str) -> str:
    """A name folded for comparison: NFKC, case-folded, punctuation and little words
    dropped ("The Citizens' Alliance" and "citizens alliance" give the same key)."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(w for w in _NOISE.sub(" ", folded).split() if w not in _STOP)[:KEY_LENGTH]


def length_window(length: int) -> tuple[int, int]:
    """Key lengths that can reach `NEAR` against a key this long: a similarity of 0.9
    needs 2 * shorter / (both) >= 0.9, so the other is within 9/11 .. 11/9 of this one."""
    return -(-length * 9 // 11), length * 11 // 9


def near_name(key: str, others: Iterable[str]) -> bool:
    """Whether any of `others` (keys) is the same or a near-identical name."""
    if not key:
        return False
    return process.extractOne(key, others, scorer=fuzz.ratio, score_cutoff=NEAR) is not None


def _is_named_organisation(values: dict[str, Any]) -> bool:
    # an anonymous or counted-only organisation's name stays encrypted: no clear keys
    return values.get("kind") == "organisation" and values.get("listing", "named") == "named"


def stored_keys(values: dict[str, Any]) -> dict[str, str]:
    """`org_key`, `acronym_key` and `site` for a signature's column values (empty for an
    individual, and for an organisation that is not listed by name)."""
    if not _is_named_organisation(values):
        return {"org_key": "", "acronym_key": "", "site": ""}
    return {
        "org_key": org_key(values.get("organisation") or ""),
        "acronym_key": (values.get("acronym") or "").lower()[:KEY_LENGTH],
        "site": website_domain(values.get("website") or "")[:KEY_LENGTH],
    }


def key_default(context: Any) -> str:
    """Column default for `Signature.org_key` (SQLAlchemy passes the insert's context)."""
    return stored_keys(context.get_current_parameters())["org_key"]


def acronym_default(context: Any) -> str:
    """Column default for `Signature.acronym_key`: the acronym in lower case."""
    return stored_keys(context.get_current_parameters())["acronym_key"]


def site_default(context: Any) -> str:
    """Column default for `Signature.site`."""
    return stored_keys(context.get_current_parameters())["site"]


def party_key(kind: str, organisation: str) -> str:
    """The blind index of the organisation a signature is given for (`org_party_key`):
    one address signs once per organisation, and may sign for several. A keyed digest of
    the folded name ("The Citizens' Alliance" and "citizens alliance" are one
    organisation), kept for every organisation however it is listed, since it reveals
    nothing without the key; "" for an individual."""
    if kind != "organisation":
        return ""
    folded = org_key(organisation) or " ".join(
        unicodedata.normalize("NFKC", organisation).casefold().split()
    )
    return keyed_digest(folded, purpose=Keyed.ORGANISATION)


def party_default(context: Any) -> str:
    """Column default for `Signature.org_party_key` (Core inserts that do not give it)."""
    values = context.get_current_parameters()
    return party_key(str(values.get("kind") or ""), values.get("organisation") or "")

"""Normalising what people type: one place that decides what a clean name or email is."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from app.core.errors import BadRequest
from app.core.i18n import gettext as _

# Bidirectional overrides/isolates and zero-width characters can disguise a name
# ("evil\u202egnp.exe"); line breaks in a name could inject email headers.
# Zero-width joiners (U+200C, U+200D) are kept: emoji sequences and Persian or Indic
# names need them.
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SPACES = re.compile(r"\s+")


def clean_line(value: str, *, max_length: int) -> str:
    """A single line of text: NFC, no control or invisible characters, spaces collapsed."""
    value = unicodedata.normalize("NFC", value)
    value = _INVISIBLE.sub("", value)
    value = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in value)
    value = _SPACES.sub(" ", value).strip()
    if len(value) > max_length:
        raise BadRequest(_("Please keep this under %(n)d characters.") % {"n": max_length})
    return value


def normalise_email(value: str) -> str:
    """A deliverable-looking address, lower-cased. Raises BadRequest with a clear message."""
    value = value.strip()
    if not value or len(value) > 254:
        raise BadRequest(_("Please enter a valid email address."))
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise BadRequest(_("Please enter a valid email address.")) from exc
    return result.normalized.lower()

"""Normalising what people type: one place that decides what a clean name, email or
website is."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from app.core.errors import BadRequest
from app.core.i18n import gettext as _

# Invisible characters can disguise a name ("evil\u202egnp.exe" shows as "evilexe.png"),
# make two names look the same, or fill a "required" name with nothing visible (the Hangul
# fillers are how people write a blank name in Korean apps). None of them belongs in a
# name; the joiners and tags below are handled apart, where a script or an emoji needs them.
_INVISIBLE = frozenset(
    "\u00ad\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u3164\ufeff\uffa0"
    + "".join(map(chr, range(0x202A, 0x202F)))  # bidi embeddings and overrides
    + "".join(map(chr, range(0x2060, 0x2070)))  # word joiner, invisible operators, isolates
    + "".join(map(chr, range(0xFFF9, 0xFFFC)))  # interlinear annotations
    + "".join(map(chr, range(0x1D173, 0x1D17B)))  # musical formatting
)
# The invisible characters that are letters (Lo), not format characters: printable.
_HANGUL_FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
_ZWNJ, _ZWJ = "\u200c", "\u200d"
# Tag characters spell the flags of Scotland or Wales after a black flag; anywhere else
# they are an invisible copy of ASCII text.
_TAGS = range(0xE0001, 0xE0080)
# Characters that belong to the emoji before them: variation selectors, skin tones.
_EMOJI_PARTS = frozenset("\ufe0e\ufe0f" + "".join(map(chr, range(0x1F3FB, 0x1F400))))
# Scripts whose spelling needs ZWJ or ZWNJ between letters: Persian "می‌خواهم", a
# Devanagari half form "क्‍ष", a Malayalam chillu at the end of a word (Unicode's names).
_JOINING_SCRIPTS = frozenset(
    {"ARABIC", "SYRIAC", "NKO", "MANDAIC", "MONGOLIAN", "DEVANAGARI", "BENGALI", "GURMUKHI",
     "GUJARATI", "ORIYA", "TAMIL", "TELUGU", "KANNADA", "MALAYALAM", "SINHALA"}
)  # fmt: skip
_SPACES = re.compile(r"\s+")


def clean_line(value: str, *, max_length: int) -> str:
    """A single line of text: NFC, no control or invisible characters, spaces collapsed."""
    if not (
        # Almost every line: printable (no control, format or separator character but the
        # space, which rules out every invisible character but the Hangul fillers) and
        # already NFC. Checked in C, without the character-by-character pass below.
        value.isprintable()
        and _HANGUL_FILLERS.isdisjoint(value)
        and unicodedata.is_normalized("NFC", value)
    ):
        value = unicodedata.normalize("NFC", value)
        value = drop_invisible(value)
        value = "".join(
            " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in value
        )
    value = _SPACES.sub(" ", value).strip()
    if len(value) > max_length:
        raise BadRequest(_("Please keep this under %(n)d characters.") % {"n": max_length})
    return value


def drop_invisible(text: str) -> str:
    """The text without invisible characters, except a ZWJ inside an emoji sequence
    (👨‍👩‍👧), a ZWJ or ZWNJ after a letter of a script that spells with them, and the
    tags of a flag."""
    kept: list[str] = []
    for i, ch in enumerate(text):
        following = text[i + 1] if i + 1 < len(text) else ""
        if ch == _ZWJ and _emoji_before(kept) and _is_emoji(following):
            kept.append(ch)
        elif ch in (_ZWJ, _ZWNJ):
            if _joins_script(kept[-1] if kept else "", following):
                kept.append(ch)
        elif ord(ch) in _TAGS:
            if kept and (ord(kept[-1]) in _TAGS or _is_emoji(kept[-1])):
                kept.append(ch)
        elif ch not in _INVISIBLE:
            kept.append(ch)
    return "".join(kept)


def _is_emoji(ch: str) -> bool:
    # Emoji are "other symbols"; the few So that are not emoji gain nothing from a ZWJ,
    # and keeping one next to them hides nothing.
    return bool(ch) and unicodedata.category(ch) == "So"


def _emoji_before(kept: list[str]) -> bool:
    for ch in reversed(kept):
        if ch not in _EMOJI_PARTS:
            return _is_emoji(ch)
    return False


def _script(ch: str) -> str:
    return unicodedata.name(ch, "").split(" ", 1)[0]


def _joins_script(before: str, after: str) -> bool:
    """A joiner after a letter or mark of a joining script, followed by the same script or
    by the end of the word; never in Latin, Hangul or between two scripts."""
    if not before or unicodedata.category(before)[0] not in "LM":
        return False
    script = _script(before)
    if script not in _JOINING_SCRIPTS:
        return False
    return not after or unicodedata.category(after)[0] not in "LM" or _script(after) == script


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


_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.IGNORECASE)
_LABEL = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$")


def check_website(value: str) -> str:
    """An organisation's website as written ("example.org", "https://example.org/en"), or
    BadRequest: http(s) only, a public host name with a dot, no spaces or control
    characters, no "user@" (a "https://bank.example@evil.example" disguise)."""
    message = _("Enter the website as an address, like https://example.org")
    value = value.strip()
    if not value:
        return ""
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in value):
        raise BadRequest(message)
    scheme = _SCHEME.match(value)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        raise BadRequest(message)
    if not scheme and "://" in value:
        raise BadRequest(message)
    try:
        parts = urlsplit(value if scheme else "//" + value.removeprefix("//"))
        _port = parts.port  # raises ValueError for "javascript:alert(1)"
    except ValueError as exc:
        raise BadRequest(message) from exc
    host = (parts.hostname or "").rstrip(".")
    if "@" in parts.netloc or not _public_host(host):
        raise BadRequest(message)
    return value


def _public_host(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_global
    except ValueError:
        pass
    labels = host.split(".")
    return (
        len(labels) > 1
        and host != "localhost"
        and not host.endswith(".localhost")
        and all(_LABEL.match(label) and "_" not in label for label in labels)
        and not labels[-1].isdigit()
    )

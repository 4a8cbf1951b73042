"""The vocabulary of imported spreadsheets: which column is which (English and Korean
Google Forms headers), and what their values mean (kinds, listings, countries)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import TypeVar

import pycountry
from babel import Locale

from app.core.i18n import gettext as _
from app.signatures import countries, details
from app.signatures.models import Listing, SignerKind

IGNORE = "ignore"
FIELDS = details.NAMES
E = TypeVar("E", SignerKind, Listing)


# field: exact headers | words within longer headers. The first rule that matches wins, so
# the specific come first: "Organization website" is a website, not an organisation.
_HEADER_RULES = """
ignore: timestamp, 타임스탬프, submitted at | timestamp, 타임스탬프
consent_privacy: | privacy, consent, 개인정보, 동의
opt_in_updates: | updates, newsletter, 소식
authorised: | authoris, authoriz, on behalf, 권한
email: email address, email, e-mail, 이메일 주소 | email, e-mail, 이메일, 메일
website: website, 웹사이트 | website, web site, homepage, url, 웹사이트, 홈페이지
acronym: acronym, 약칭 | acronym, abbreviation, 약칭, 약어
kind: type, kind, signing as, 유형, 구분 | signing as, sign as, signatory type, 서명 유형, 서명 주체
listing: listing, how to be listed, 공개 여부 | listed, listing, 공개, 표기
country: country, 국가 | country, 국가, 나라
title: title, position, 직책 | job title, position, title, 직책, 직위
organisation: organisation, organization, 단체명, 기관 | organisation, organization, 단체, 기관
note: note, affiliation, 소속 | affiliation, note, 소속
name: name, full name, 이름, 성명 | name, 이름, 성명, 성함
"""


def _words(text: str) -> list[str]:
    return [word.strip() for word in text.split(",") if word.strip()]


_RULES = [
    (name, set(_words(exact)), _words(within))
    for name, exact, within in (
        re.split("[:|]", line) for line in _HEADER_RULES.split("\n") if line
    )
]


def _normal(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.sub(r"[^\w@-]+", " ", folded).split())


def _has_word(text: str, word: str) -> bool:
    if word.isascii():  # an English word must start a word: "type" is not in "prototype"
        return re.search(rf"(?<![a-z]){re.escape(word)}", text) is not None
    return word in text


def suggest_mapping(headers: Sequence[str]) -> dict[str, str]:
    """A guess at what each column holds, from Google Forms-style headers in English or
    Korean. Each field is suggested for one column at most; the rest are ignored."""
    suggested: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        text = _normal(header)
        guess = next((f for f, exact, _w in _RULES if text in exact), None)
        if guess is None:
            within = (f for f, _e, ws in _RULES if any(_has_word(text, w) for w in ws))
            guess = next(within, IGNORE)
        suggested.setdefault(header, IGNORE if guess in taken else guess)
        taken.add(guess)
    return suggested


_KINDS = (
    (SignerKind.INDIVIDUAL, ("individ", "person", "개인")),
    (SignerKind.ORGANISATION, ("org", "group", "단체", "기관")),
)
_LISTINGS = (
    (Listing.COUNTED, ("count", "집계", "숫자")),
    (Listing.ANONYMOUS, ("anonym", "익명", "비공개", "without name", "no name")),
    (Listing.NAMED, ("name", "public", "공개", "실명")),
)


def _meaning(value: str, choices: Sequence[tuple[E, Sequence[str]]]) -> E | None:
    """The choice whose value is written, or whose word appears first in this order."""
    v = _normal(value)
    exact = [choice for choice, _words in choices if choice.value == v]
    within = [choice for choice, words in choices if any(_has_word(v, w) for w in words)]
    return (exact + within + [None])[0]


def normal_kind(value: str) -> SignerKind | None:
    return _meaning(value, _KINDS)


def normal_listing(value: str) -> Listing | None:
    return _meaning(value, _LISTINGS)


_COUNTRY_ALIASES = """uk=GB great_britain=GB england=GB america=US united_states_of_america=US
korea=KR republic_of_korea=KR 한국=KR 남한=KR north_korea=KP 북한=KP turkey=TR"""


@cache
def _country_names() -> dict[str, str]:
    names = {
        _normal(name): code
        for locale in ("en", "ko")
        for code, name in Locale(locale).territories.items()
        if code in countries.codes()
    }
    aliases = (pair.replace("_", " ").split("=") for pair in _COUNTRY_ALIASES.split())
    return names | {name: code for name, code in aliases}


def normal_country(value: str) -> str | None:
    """ISO alpha-2 from a code (KR, KOR) or a name in English or Korean; None if unknown."""
    v = " ".join(value.split())
    if not v:
        return ""
    try:
        return str(pycountry.countries.lookup(v).alpha_2)
    except LookupError:
        return _country_names().get(_normal(v).removeprefix("the "))


def yes_value(value: str) -> str:
    return "" if _normal(value) in {"", "no", "n", "false", "0", "아니오", "아니요"} else "yes"


def field_labels() -> dict[str, str]:
    return {IGNORE: _("Do not import")} | {d.name: _(d.column) for d in details.all_details()}

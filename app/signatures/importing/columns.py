"""The vocabulary of imported spreadsheets: which column is which (English and Korean
Google Forms headers), and what their values mean (kinds, listings, countries, yes/no).

A Google Forms question such as "Would you like to be listed anonymously?" holds Yes/No
answers, not a way to be listed: its column is imported with a reading that says what
"Yes" means (ANONYMOUS_IF_YES, NAMED_IF_YES), or not at all when the header cannot tell."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from itertools import islice
from typing import TypeVar

import pycountry
from babel import Locale

from app.core.i18n import gettext as _
from app.signatures import countries, details
from app.signatures.models import EcosocStatus, Listing, SignerKind

IGNORE = "ignore"
GROUP = "group"  # the signatory group (tier), by its name: not a signer's detail
FIELDS = details.NAMES
# The listing column read as answers to a yes/no question.
ANONYMOUS_IF_YES = "listing_anonymous_if_yes"
NAMED_IF_YES = "listing_named_if_yes"
_YES_MEANS = {ANONYMOUS_IF_YES: Listing.ANONYMOUS, NAMED_IF_YES: Listing.NAMED}
CHOICES = (
    IGNORE,
    *(c for f in FIELDS for c in ((f, *_YES_MEANS) if f == "listing" else (f,))),
    GROUP,
)
_YES_NO_FIELDS = ("consent_privacy", "authorised", "opt_in_updates")
E = TypeVar("E", SignerKind, Listing, EcosocStatus)


# field: exact headers | words within longer headers. The first rule that matches wins, so
# the specific come first: "Organization website" is a website, not an organisation.
_HEADER_RULES = """
ignore: timestamp, 타임스탬프, submitted at | timestamp, 타임스탬프
ecosoc_status: ecosoc, ecosoc status, consultative status | ecosoc, consultative, 협의 지위
group: group, tier, signatory group, 그룹, 서명 그룹 | signatory group, tier, 서명 그룹
consent_privacy: | privacy, consent, 개인정보, 동의
opt_in_updates: | updates, news, newsletter, keep me informed, 소식, 뉴스
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


def field_of(choice: str) -> str:
    """The field a mapping choice fills: a reading of the listing column fills `listing`."""
    return "listing" if choice in _YES_MEANS else choice


def suggest_mapping(
    headers: Sequence[str], *, rows: Sequence[Sequence[str]] = ()
) -> dict[str, str]:
    """A guess at what each column holds, from Google Forms-style headers in English or
    Korean and, for questions answered Yes/No, from the answers in `rows`. Each field is
    suggested for one column at most; the rest are ignored."""
    suggested: dict[str, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers):
        text = _normal(header)
        guess = next((f for f, exact, _w in _RULES if text in exact), None)
        if guess is None:
            within = (f for f, _e, ws in _RULES if any(_has_word(text, w) for w in ws))
            guess = next(within, IGNORE)
        if is_yes_no_column(row[index] for row in rows if index < len(row)):
            guess = _yes_no_question(text, guess)
        suggested.setdefault(header, IGNORE if field_of(guess) in taken else guess)
        taken.add(field_of(guess))
    return suggested


# What a yes/no question is about: "Yes" to one of these words means anonymous, to the
# other means by name. A question that denies ("Would you prefer not to be named?") or
# names neither is left for the team to decide.
_ANONYMITY = ("anonym", "hide", "hidden", "withh", "private", "confidential", "익명", "비공개")
_NAMING = ("named", "by name", "with your name", "public", "publish", "공개", "실명", "게재")
_NEGATION = re.compile(r"(?<![a-z])(not|never|don t|doesn t|no)(?![a-z])|않|말|없")


def _yes_no_question(text: str, guess: str) -> str:
    """The choice for a column of Yes/No answers whose header read as `guess`."""
    if guess in ("opt_in_updates", "authorised") or any(
        _has_word(text, w) for w in ("privacy", "개인정보")
    ):
        return guess
    if not _NEGATION.search(text):
        if any(_has_word(text, w) for w in _ANONYMITY):
            return ANONYMOUS_IF_YES
        if any(_has_word(text, w) for w in _NAMING):
            return NAMED_IF_YES
    return guess if guess in _YES_NO_FIELDS else IGNORE


_YES = {"yes", "y", "true", "1", "예", "네", "응", "yes please"}
_NO = {"no", "n", "false", "0", "아니요", "아니오", "아니", "아뇨", "no thanks", "no thank you"}


def yes_no(value: str) -> bool | None:
    """True for yes, False for no (in English or Korean, "No, thanks" included), None for
    an answer that is neither."""
    text = _normal(value)
    first = text.split(" ", 1)[0]
    if text in _YES or first in _YES:
        return True
    if text in _NO or first in _NO:
        return False
    return None


def is_yes_no_column(values: Iterable[str]) -> bool:
    """Whether most of a column's answers (the first hundred tell) are a plain yes or no:
    "No Chain" (an organisation) or "No Hye-won" (a Korean name) is not an answer."""
    answers = list(islice((_normal(v) for v in values if v.strip()), 100))
    return bool(answers) and sum(a in _YES or a in _NO for a in answers) * 2 > len(answers)


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


_ECOSOC = (
    (EcosocStatus.GENERAL, ("general", "일반")),
    (EcosocStatus.SPECIAL, ("special", "특별")),
    (EcosocStatus.ROSTER, ("roster", "명부")),
    (EcosocStatus.NONE, ("none", "no", "not", "n a", "없", "아니", "무")),
)


def normal_ecosoc(value: str) -> EcosocStatus | None:
    """ "General consultative status", "특별 협의 지위", "No" → the status; None if unclear."""
    return _meaning(value, _ECOSOC)


def normal_kind(value: str) -> SignerKind | None:
    return _meaning(value, _KINDS)


def normal_listing(value: str) -> Listing | None:
    return _meaning(value, _LISTINGS)


def listing_reader(choice: str) -> Callable[[str], Listing | None]:
    """How the column chosen as `choice` says how to be listed: a way to be listed, or, for
    a yes/no question, Yes and No read by what the question asks."""
    if choice not in _YES_MEANS:
        return normal_listing
    yes = _YES_MEANS[choice]
    no = Listing.NAMED if yes == Listing.ANONYMOUS else Listing.ANONYMOUS

    def read(value: str) -> Listing | None:
        answer = yes_no(value)
        return normal_listing(value) if answer is None else (yes if answer else no)

    return read


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


def group_key(name: str) -> str:
    """A group's name as an import matches it: case, width and spacing do not count."""
    return _normal(name)


def yes_value(value: str) -> str:
    """A checkbox's answer as the form sends it. Anything but an empty cell or a no counts:
    a ticked Google Forms checkbox exports its own label ("I agree")."""
    return "" if not value.strip() or yes_no(value) is False else "yes"


def field_labels() -> dict[str, str]:
    return (
        {IGNORE: _("Do not import")}
        | {d.name: _(d.column) for d in details.all_details()}
        | {GROUP: _("Signatory group (by its name)")}
    )


def choice_labels() -> dict[str, str]:
    """The mapping's options, the fields and the readings of yes/no listing questions."""
    return field_labels() | {
        ANONYMOUS_IF_YES: _("How to be listed: “Yes” means anonymously"),
        NAMED_IF_YES: _("How to be listed: “Yes” means by name"),
    }


def describe_readings(headers: Sequence[str], mapping: Mapping[int, str]) -> list[str]:
    """What the import makes of each yes/no column, for the team to check in the preview:
    “Would you like to be listed anonymously?”: Yes → anonymous, No → by name."""
    readings = {
        ANONYMOUS_IF_YES: _("“%(column)s”: Yes → anonymous, No → by name"),
        NAMED_IF_YES: _("“%(column)s”: Yes → by name, No → anonymous"),
        "opt_in_updates": _("“%(column)s”: Yes → wants updates, No or empty → no updates"),
        "consent_privacy": _(
            "“%(column)s”: any answer but No or empty → agreed to the privacy notice"
        ),
        "authorised": _(
            "“%(column)s”: any answer but No or empty → authorised to sign for the organisation"
        ),
    }
    return [
        readings[choice] % {"column": headers[index]}
        for index, choice in sorted(mapping.items())
        if choice in readings and index < len(headers)
    ]

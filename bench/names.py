"""Deterministic signatories for the benchmarks: Hangul and Latin names, organisations
with acronyms, notes, a few anonymous and counted-only signers, mostly from South Korea.

The same seed gives the same people, so runs are comparable.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

FAMILY_HANGUL = (
    "김이박최정강조윤장임한오서신권황안송류홍전고문양손배백허남심노하곽성차주우구민유"
    "나진지엄채원천방공현함변염여추도소석선설마길연위표명기반라왕금옥육인맹제모탁국"
)
GIVEN_HANGUL = (
    "민서지현준수영은하윤도예진성우혜경재유선정희상태동미나연주원아린율호승빈건시규석철광순옥숙자"
)
FAMILY_LATIN = [
    "Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Lim", "Han", "Oh",
    "Seo", "Shin", "Kwon", "Hwang", "Ahn", "Song", "Ryu", "Hong",
]  # fmt: skip
GIVEN_LATIN = [
    "Min-jun", "Seo-yeon", "Ji-hoon", "Ha-eun", "Do-yoon", "Su-bin", "Ye-jin", "Jeong-sam",
    "Young-hwan", "Eun-ji", "Sang-woo", "Hye-won", "Jae-sung", "Mi-ra", "Tae-yang", "Na-rae",
]  # fmt: skip
WESTERN = [
    ("Anna", "Schmidt"), ("John", "Smith"), ("Marie", "Dubois"), ("Lucía", "García"),
    ("Ingrid", "Johansson"), ("Tomás", "Novák"), ("Aoife", "O'Brien"), ("Hiroshi", "Tanaka"),
    ("Olusegun", "Adeyemi"), ("Priya", "Raman"), ("Jean-Luc", "Moreau"), ("Zofia", "Kowalska"),
]  # fmt: skip
NOTES = [
    "elder sister of a detainee", "납북자 가족", "former detainee", "researcher",
    "북한이탈주민", "lawyer", "son of an abductee", "국군포로 가족", "journalist",
]  # fmt: skip
ORG_HANGUL_A = [
    "북한", "통일", "인권", "평화", "정의", "자유", "시민", "청년", "여성", "난민", "전환기",
]  # fmt: skip
ORG_HANGUL_B = ["연대", "모임", "센터", "네트워크", "연합", "협회", "재단", "포럼", "정의워킹그룹"]
ORG_LATIN_A = [
    "Transitional Justice", "Human Rights", "Citizens'", "Justice", "Peace", "Freedom",
    "Refugee", "Women's", "Youth", "Legal Aid", "Truth", "Memory",
]  # fmt: skip
ORG_LATIN_B = [
    "Working Group", "Network", "Alliance", "Centre", "Foundation", "Initiative", "Forum",
    "Watch", "Coalition", "Association",
]  # fmt: skip
CITIES = ["Seoul", "Busan", "Geneva", "Tokyo", "London", "Berlin", "Washington", "Incheon"]
COUNTRIES = ["KR"] * 12 + ["JP", "US", "GB", "DE", "FR", "CH", "CA", "AU", "NL", "SE"]


@dataclass(frozen=True)
class Signer:
    kind: str  # "organisation" | "individual"
    name: str
    note: str
    organisation: str
    acronym: str
    country: str
    listing: str  # "named" | "anonymous" | "counted"


def _person(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.5:
        return rng.choice(FAMILY_HANGUL) + rng.choice(GIVEN_HANGUL) + rng.choice(GIVEN_HANGUL)
    if roll < 0.85:
        return f"{rng.choice(FAMILY_LATIN)} {rng.choice(GIVEN_LATIN)}"
    first, last = rng.choice(WESTERN)
    return f"{first} {last}"


def _organisation(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.5:
        name = rng.choice(ORG_HANGUL_A) + rng.choice(ORG_HANGUL_A) + rng.choice(ORG_HANGUL_B)
        acronym = "".join(rng.choice("ABCDEFGHKLMNPRSTW") for _ in range(rng.randint(3, 5)))
        return name, acronym if rng.random() < 0.6 else ""
    words = [rng.choice(ORG_LATIN_A), rng.choice(ORG_LATIN_B)]
    if rng.random() < 0.4:
        words += ["for North Korea"]
    if rng.random() < 0.3:
        words.insert(0, rng.choice(CITIES))
    name = " ".join(words)
    acronym = "".join(w[0] for w in " ".join(words).split() if w[0].isupper())
    return name, acronym if rng.random() < 0.7 else ""


def signers(count: int, *, seed: int = 58, org_share: float = 0.3) -> Iterator[Signer]:
    rng = random.Random(seed)  # noqa: S311 (made-up people, reproducible)
    for _ in range(count):
        roll = rng.random()
        listing = "named" if roll < 0.9 else "anonymous" if roll < 0.97 else "counted"
        country = rng.choice(COUNTRIES)
        if rng.random() < org_share:
            organisation, acronym = _organisation(rng)
            yield Signer("organisation", _person(rng), "", organisation, acronym, country, listing)
        else:
            note = rng.choice(NOTES) if rng.random() < 0.2 else ""
            yield Signer("individual", _person(rng), note, "", "", country, listing)

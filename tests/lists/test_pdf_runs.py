"""A long (untagged) list sets the names that cannot wrap in runs, one paragraph each, to
save memory: the pages must come out exactly as with a block per name, pixel for pixel."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import pytest

from app.lists.data import Counts, Entry, Group, SignatoryList
from app.lists.renderers import pdf
from tests.lists import samples

NAMES = (  # short and long, Latin, hangul (with and without hanja), kana, Arabic, emoji
    "Ahn Do-yoon",
    "Kim Ji-woo",
    "김정삼",
    "이영희",
    "김정은 (金正恩)",
    "横田めぐみ",
    "منظمة حقوق الإنسان",
    "Peace Doves 🕊",
    "WWWWWWWWWWWWWWWWWW",  # at the length limit, as wide as Latin letters get
    "Washington Memory Working Group (WMWG)",  # wraps in a column, not "long"
    "International Coalition to Stop Crimes against Humanity in North Korea",
    "O'Brien — Ó Súilleabháin",
    "⸻ three-em dash",
)
NOTES = ("", "", "researcher", "국군포로 가족", "elder sister of a detainee", "")


def _long_list(per_group: int) -> SignatoryList:
    def entries(kind: str) -> tuple[Entry, ...]:
        combos = itertools.cycle(itertools.product(NAMES, NOTES, (False, True)))
        made = []
        for name, note, verified in itertools.islice(combos, per_group):
            if kind == "organisation":
                made.append(Entry(kind=kind, name=name, acronym=note[:4], verified=verified))
            else:
                made.append(Entry(kind=kind, name=name, note=note))
        return tuple(made)

    individuals, organisations = entries("individual"), entries("organisation")
    return samples.hrc58_list(
        groups=(
            Group(kind="individual", heading="Individuals", entries=individuals),
            Group(kind="organisation", heading="Organisations", entries=organisations),
        ),
        counts=Counts(organisations=per_group, individuals=per_group, countries=1),
    )


def _pages(data: bytes, folder: Path) -> list[bytes]:
    folder.mkdir()
    (folder / "document.pdf").write_bytes(data)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-gray", str(folder / "document.pdf"), str(folder / "page")],
        check=True,
        timeout=120,
    )
    return [page.read_bytes() for page in sorted(folder.glob("page-*.pgm"))]


def test_runs_set_the_pages_exactly_as_a_block_per_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    model = _long_list(per_group=500)
    runs = pdf._document_data(model, "a4", runs=True)["sections"][0]["groups"][0]["entries"]
    assert any(isinstance(item, str) and item.count("\n") > 3 for item in runs)
    assert any(isinstance(item, dict) for item in runs)  # and some names kept apart

    monkeypatch.setattr(pdf, "TAGGED_MAX_ENTRIES", 10_000)
    blocks = _pages(pdf.render_pdf(model), tmp_path / "blocks")
    monkeypatch.setattr(pdf, "TAGGED_MAX_ENTRIES", 0)
    in_runs = _pages(pdf.render_pdf(model), tmp_path / "runs")

    assert len(blocks) > 5
    assert len(in_runs) == len(blocks)
    pairs = enumerate(zip(blocks, in_runs, strict=True), 1)
    differing = [number for number, (a, b) in pairs if a != b]
    assert differing == []


@pytest.mark.parametrize(
    ("line", "fits"),
    [
        ("Ahn Do-yoon", True),
        ("이영희 (국군포로 가족)", True),
        ("WWWWWWWWWWWWWWWWWW", True),
        ("WWWWWWWWWWWWWWWWWWW", False),  # one letter too many to be sure
        ("Peace Doves 🕊", False),  # past the BMP
        ("A ⸻ B", False),  # a three-em dash
        ("\ufdfd", False),  # an Arabic ligature several ems wide
        ("Mark ✓", False),  # a symbol: the verified mark's line stays apart
    ],
)
def test_only_lines_that_cannot_wrap_join_a_run(line: str, fits: bool) -> None:
    assert pdf._fits_one_line(line) is fits

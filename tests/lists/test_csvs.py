"""CSV exports: BOM, CRLF, RFC 4180 quoting, formula neutralising, streaming."""

from __future__ import annotations

import csv
import io
import itertools
import tracemalloc
from collections.abc import Iterator

import pytest

from app.core.i18n import set_locale
from app.lists.data import TeamRow
from app.lists.renderers import csvs
from tests.lists import samples

BOM = b"\xef\xbb\xbf"


@pytest.fixture(autouse=True)
def _english_interface() -> Iterator[None]:
    set_locale("en")
    yield
    set_locale("en")


def _read(chunks: Iterator[bytes]) -> tuple[bytes, list[list[str]]]:
    data = b"".join(chunks)
    return data, list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("\x00=1", "'=1"),  # what is left after cleaning is what counts
        ("a\r\nb\rc", "a\nb\nc"),
        ("Con\x00tr\x07ol\x1b \x7fchars\x85", "Control chars"),
        ("evil\u202egnp.exe", "evilgnp.exe"),
        ("lone\ud800", "lone"),
        ("منظمة 🌱 👩‍👩‍👧", "منظمة 🌱 👩‍👩‍👧"),
        ("Mulmangcho", "Mulmangcho"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_safe_cell(value: str, expected: str) -> None:
    assert csvs.safe_cell(value) == expected


def test_public_csv_is_utf8_with_bom_crlf_and_reads_back() -> None:
    data, rows = _read(csvs.iter_public_csv(samples.hrc58_list()))
    assert data.startswith(BOM)
    assert data.count(b"\r\n") == 11 and b"\n" not in data.replace(b"\r\n", b"")
    assert rows[0] == ["Kind", "Name", "Acronym", "Note", "Country", "Group"]
    assert rows[1] == [
        "Individual",
        "Kim Kyu Li and Kim Hyuk",
        "",
        samples.HRC58_INDIVIDUALS[0].note,
        "South Korea",
        "",
    ]
    assert rows[3] == [
        "Organisation",
        "Citizens’ Alliance for North Korean Human Rights",
        "NKHR",
        "",
        "South Korea",
        "",
    ]
    assert [row[1] for row in rows[1:]] == [
        entry.name for entry in (*samples.HRC58_INDIVIDUALS, *samples.HRC58_ORGANISATIONS)
    ]


def test_public_csv_round_trips_korean() -> None:
    data, rows = _read(csvs.iter_public_csv(samples.korean_list()))
    assert "북한인권시민연합".encode() in data
    assert [row[1] for row in rows[1:]] == [
        "북한인권시민연합",
        "물망초",
        "전환기정의워킹그룹",
        "김정삼",
    ]
    assert rows[4][3] == "김정욱 선교사의 형"
    assert rows[1][4] == "대한민국"


def test_public_csv_keeps_bad_input_inert_and_in_one_cell() -> None:
    _data, rows = _read(csvs.iter_public_csv(samples.hostile_list()))
    names = [row[1] for row in rows[1:-1]]
    assert all(len(row) == 6 for row in rows)
    expected = dict(samples.CLEAN_NAMES)
    for key in ("hyperlink", "plus", "minus", "at", "tab"):
        expected[key] = "'" + expected[key]
    assert names == list(expected.values())
    assert 'Line one\nLine two, "quoted"' in names  # newline, comma and quotes: one cell
    assert samples.LONG_NAME in names and len(samples.LONG_NAME) == 300
    assert rows[-1][3] == "'" + samples.HOSTILE_NOTE
    assert not any(name.startswith(("=", "+", "-", "@", "\t")) for row in rows for name in row)


def test_team_csv_has_contacts_times_in_utc_and_consent() -> None:
    rows = [
        samples.team_row(1),
        samples.team_row(
            2,
            email="=1+1@evil.example",
            name="-2",
            consent_privacy=False,
            version_confirmed=None,
            confirmed_at=None,
            verification="mailbox disputed",
        ),
    ]
    data, read = _read(samples.team_csv(rows))
    assert data.startswith(BOM)
    header = read[0]
    assert header[:3] == ["ID", "Kind", "Status"] and len(header) == 24
    assert header[header.index("Website") + 1] == "ECOSOC status"
    first = dict(zip(header, read[1], strict=True))
    assert header[-1] == "Verification" and read[2][-1] == "Mailbox on the domain · disputed"
    assert first["Email"] == "person1@example.org"
    assert first["Title"] == "Director" and first["ECOSOC status"] == "special"
    assert first["Privacy consent"] == "yes" and first["Updates opt-in"] == "no"
    assert first["Version confirmed"] == "3"
    assert first["Submitted (UTC)"] == "2025-03-10 09:30:15"  # 18:30:15+09:00, to the second
    assert first["Confirmed (UTC)"] == "2025-03-10 10:00:00"
    assert first["Decided (UTC)"] == ""
    second = dict(zip(header, read[2], strict=True))
    assert second["Email"] == "'=1+1@evil.example"
    assert second["Name"] == "'-2"
    assert second["Privacy consent"] == "no" and second["Version confirmed"] == ""


def test_team_csv_streams_from_a_generator_bom_first() -> None:
    consumed = 0

    def rows() -> Iterator[TeamRow]:
        nonlocal consumed
        for row in samples.team_rows(5000):
            consumed += 1
            yield row

    chunks = samples.team_csv(rows())
    assert next(chunks) == BOM
    assert consumed == 0
    first = next(chunks)
    assert 0 < consumed < 5000 and len(first) < 200_000
    assert sum(1 for _ in chunks) > 1


def test_team_csv_of_100000_rows_runs_in_flat_memory() -> None:
    # Distinct rows made before measuring, cycled: the writer's own memory is what counts.
    pool = list(samples.team_rows(1000))
    rows = itertools.islice(itertools.cycle(pool), 100_000)
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in samples.team_csv(rows))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > 15_000_000  # holding the file, or its text, would exceed the limit below
    assert peak < 10_000_000, f"peak {peak / 1e6:.1f} MB"

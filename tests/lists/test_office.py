"""DOCX and XLSX: read back with python-docx and openpyxl; inert bad input; same bytes twice."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from lxml import etree
from openpyxl import Workbook, load_workbook

from app.core.i18n import set_locale
from app.lists.data import Entry, Group, SignatoryList
from app.lists.renderers import office, spreadsheet
from tests.lists import samples


@pytest.fixture(autouse=True)
def _english_interface() -> Iterator[None]:
    set_locale("en")
    yield
    set_locale("en")


def _docx(data: bytes) -> Document:
    return docx.Document(io.BytesIO(data))


def _xlsx(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


def _styled(document: Document, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style is not None and p.style.name == style]


# --- DOCX --------------------------------------------------------------------------------


def test_docx_has_title_text_heading_summary_and_entries_in_order() -> None:
    document = _docx(office.render_docx(samples.hrc58_list()))
    assert _styled(document, "Title") == [samples.HRC58_TITLE]
    assert _styled(document, "Heading 2") == ["Notes", samples.HRC58_HEADING]
    assert _styled(document, "List") == samples.HRC58_BLOCK.split("\n\n")[1:]
    texts = [p.text for p in document.paragraphs]
    heading = texts.index(samples.HRC58_HEADING)
    assert texts[heading + 1] == samples.HRC58_SUMMARY
    assert texts[1] == "To: Member States of the UN Human Rights Council"
    assert texts[2].startswith("We call upon South Korea")


def test_docx_keeps_the_statements_formatting_as_runs_and_styles() -> None:
    document = _docx(office.render_docx(samples.hrc58_list()))
    runs = [run for p in document.paragraphs for run in p.runs]
    assert "as a result of their forced separation" in [r.text for r in runs if r.bold]
    assert "Stressing again with grave concern" in [r.text for r in runs if r.italic]
    assert [r.text for r in runs if r.font.superscript] == ["th", "th", "1", "1"]
    assert _styled(document, "Heading 4") == [
        "9. North Korea's forced abortions and infanticide (OP6)"
    ]
    assert _styled(document, "Quote") == ["Thank you."]
    assert _styled(document, "List Bullet")[0].startswith("PP19 Stressing again")
    assert _styled(document, "List Bullet 2") == ["see PP23 of GA resolution 79/181"]
    links = [link for p in document.paragraphs for link in p.hyperlinks]
    assert [(link.text, link.url) for link in links] == [
        ("see PP23 of GA resolution 79/181", "https://undocs.org/A/RES/79/181"),
        ("https://hrcmeetings.ohchr.org/", "https://hrcmeetings.ohchr.org/"),
    ]
    # The footnote becomes a numbered note after the text, before the signatories.
    texts = [p.text for p in document.paragraphs]
    note = texts.index(
        "1 Human Rights Council Extranet, 58th session, https://hrcmeetings.ohchr.org/"
    )
    assert texts.index("Notes") < note < texts.index(samples.HRC58_HEADING)


def test_docx_numbered_lists_keep_their_markdown_numbers() -> None:
    document = _docx(office.render_docx(samples.hrc58_list()))
    numbering = document.part.numbering_part.element
    starts = []
    for paragraph in document.paragraphs:
        if paragraph.style is not None and paragraph.style.name == "List Number":
            (num_id,) = paragraph._p.xpath("./w:pPr/w:numPr/w:numId/@w:val")
            num = numbering.num_having_numId(int(num_id))
            (start,) = num.xpath(".//w:startOverride/@w:val")
            starts.append(int(start))
    assert starts == [1, 10]  # "10." restarts at 10 after the heading, not at 2


def test_docx_is_a4_in_the_lists_language_with_fixed_properties() -> None:
    document = _docx(office.render_docx(samples.korean_list()))
    section = document.sections[0]
    assert section.page_width is not None and round(section.page_width.mm) == 210
    assert section.page_height is not None and round(section.page_height.mm) == 297
    lang = document.styles.element.find(f".//{qn('w:docDefaults')}//{qn('w:lang')}")
    assert lang is not None and lang.get(qn("w:val")) == "ko"
    props = document.core_properties
    assert props.created == props.modified == datetime(2025, 3, 14, tzinfo=UTC)
    assert props.author == "" and props.language == "ko"
    assert "물망초" in _styled(document, "List")


def test_docx_keeps_bad_input_inert() -> None:
    document = _docx(office.render_docx(samples.hostile_list()))
    names = _styled(document, "List")
    assert names == [
        *[" ".join(n.split()) for n in samples.CLEAN_NAMES.values()],
        f"Jane Doe ({samples.HOSTILE_NOTE})",
    ]
    assert _styled(document, "Heading 3") == ["Organisations", "Individuals"]
    assert _styled(document, "Title") == ["=Title *with* <b>markup</b>"]


def test_docx_of_a_hostile_statement_text_still_opens() -> None:
    body = "Bad\x00 *x* <script>alert(1)</script> [j](javascript:alert(1)) </sup>a<sub>b\n\n<sup>"
    document = _docx(office.render_docx(samples.hrc58_list(body_markdown=body)))
    texts = [p.text for p in document.paragraphs]
    # (CommonMark reads NUL as U+FFFD; the raw tags and the javascript: link are dropped.)
    assert "Bad\ufffd x alert(1) j ab" in texts
    assert not [link for p in document.paragraphs for link in p.hyperlinks]


# --- XLSX --------------------------------------------------------------------------------


def test_xlsx_public_list_and_about_sheet() -> None:
    workbook = _xlsx(spreadsheet.render_xlsx(samples.hrc58_list()))
    assert workbook.sheetnames == ["Signatories", "About"]
    sheet = workbook["Signatories"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Kind", "Name", "Acronym", "Note", "Country", "Group"]
    assert rows[1] == [
        "Individual",
        "Kim Kyu Li and Kim Hyuk",
        None,
        samples.HRC58_INDIVIDUALS[0].note,
        "South Korea",
        None,
    ]
    assert [row[1] for row in rows[1:]] == [e.name for e in samples.hrc58_list().entries]
    assert rows[3][2] == "NKHR"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:F11"
    assert all(sheet.column_dimensions[c].width for c in "ABCDEF")
    assert rows[0][0] is not None and sheet["A1"].font.b
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True)}
    assert about["Title"] == samples.HRC58_TITLE
    assert about["As of"] == "as of March 14, 2025"
    assert about["Summary"] == samples.HRC58_SUMMARY
    assert about["Organisations"] == 8 and about["Countries"] == 1


def _no_formulas(workbook: Workbook) -> list[str]:
    values = []
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                if isinstance(cell.value, str):
                    values.append(cell.value)
    return values


def test_xlsx_neutralises_formulas_and_keeps_names_intact() -> None:
    workbook = _xlsx(spreadsheet.render_xlsx(samples.hostile_list()))
    values = _no_formulas(workbook)
    for key in ("hyperlink", "plus", "minus", "at", "tab"):
        assert "'" + samples.HOSTILE_NAMES[key] in values, key
    assert "'" + samples.HOSTILE_NOTE in values
    for key in (
        "script",
        "error",
        "markdown",
        "long",
        "rtl",
        "hebrew",
        "emoji",
        "korean",
        "multiline",
    ):
        assert samples.CLEAN_NAMES[key] in values, key
    assert "Control chars" in values and "evilgnp.exe" in values
    error = next(c for row in workbook["Signatories"].iter_rows() for c in row if c.value == "#N/A")
    assert error.data_type == "s"
    assert "'=Title *with* <b>markup</b>" in values


def test_team_xlsx_has_contacts_and_utc_times() -> None:
    rows = [
        samples.team_row(1),
        samples.team_row(
            2, email="@evil", note="=1+1", withdrawn_at=samples.SUBMITTED, verification="mailbox"
        ),
    ]
    workbook = _xlsx(spreadsheet.render_team_xlsx(iter(rows), title="hrc58"))
    sheet = workbook.active
    assert sheet is not None and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:X3"
    table = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = table[0]
    first = dict(zip(header, table[1], strict=True))
    assert first["ID"] == 1 and first["Email"] == "person1@example.org"
    assert first["Submitted (UTC)"] == datetime(2025, 3, 10, 9, 30, 15)
    assert first["Privacy consent"] == "yes" and first["Version confirmed"] == 3
    assert header[-1] == "Verification" and table[2][-1] == "Mailbox on the domain"
    second = dict(zip(header, table[2], strict=True))
    assert second["Email"] == "'@evil" and second["Note"] == "'=1+1"
    assert second["Withdrawn (UTC)"] == datetime(2025, 3, 10, 9, 30, 15)
    _no_formulas(workbook)
    assert workbook.properties.title == "hrc58"


# --- Reproducible bytes ------------------------------------------------------------------


def test_same_model_gives_the_same_bytes() -> None:
    assert office.render_docx(samples.hrc58_list()) == office.render_docx(samples.hrc58_list())
    hrc58 = samples.hrc58_list()
    assert spreadsheet.render_xlsx(hrc58) == spreadsheet.render_xlsx(hrc58)
    korean = samples.korean_list()
    assert office.render_docx(korean) == office.render_docx(korean)
    assert spreadsheet.render_xlsx(korean) != spreadsheet.render_xlsx(samples.hrc58_list())


@pytest.mark.parametrize("render", [office.render_docx, spreadsheet.render_xlsx])
def test_archives_carry_no_clock_time(render: Callable[[SignatoryList], bytes]) -> None:
    data = render(samples.hrc58_list())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        assert infos[0].filename == "[Content_Types].xml"
        assert [i.filename for i in infos[1:]] == sorted(i.filename for i in infos[1:])
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert core.count("2025-03-14T00:00:00Z") == 2
    later = samples.hrc58_list(generated_at=datetime(2025, 3, 20, 8, 0, tzinfo=UTC))
    assert (
        "2025-03-20T08:00:00Z"
        in zipfile.ZipFile(io.BytesIO(render(later))).read("docProps/core.xml").decode()
    )


def test_normalise_zip_is_idempotent() -> None:
    data = office.render_docx(
        samples.hrc58_list(groups=(Group(kind="all", heading="", entries=()),))
    )
    assert office._normalise_zip(data) == data


def test_docx_list_is_written_as_python_docx_writes_its_paragraphs() -> None:
    names = ["A & B <Coalition>", 'Say "no" > yes', "김정삼 (국군포로 가족)", "Doves 🕊"]
    people = tuple(Entry(kind="individual", name=name) for name in names)
    model = samples.hrc58_list(groups=(Group(kind="individual", heading="", entries=people),))
    written = zipfile.ZipFile(io.BytesIO(office.render_docx(model))).read("word/document.xml")
    assert b"undersigned-list-" not in written
    expected = docx.Document()
    office._add_list_paragraphs(expected, names)
    body = expected.element.body
    for paragraph in body.iterchildren(qn("w:p")):
        assert etree.tostring(paragraph, encoding="unicode").split(">", 1)[1].encode() in written
    assert _styled(_docx(office.render_docx(model)), "List") == names

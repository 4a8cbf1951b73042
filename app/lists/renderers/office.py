"""Word: the statement with its signatories as DOCX (the XLSX: renderers/spreadsheet.py).

The DOCX uses the template's own styles (Title, Heading n, List Bullet/Number, Quote, List)
so a coalition can restyle it in Word; bold, italics and superscripts are the only run-level
formatting. DOCX and XLSX are zip files full of timestamps: `_normalise_zip` and fixed
document properties make the same model give the same bytes, so a final statement's export
is reproducible.
"""

from __future__ import annotations

import io
import secrets
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, time
from typing import Any, Final
from xml.sax.saxutils import escape

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, RGBColor
from docx.text.paragraph import Paragraph
from markdown_it.token import Token

from app.core.i18n import gettext as _
from app.lists.data import Entry, SignatoryList
from app.lists.renderers import csvs
from app.lists.renderers.text import clean_text, in_language, one_line
from app.statements.text import markdown as statement_markdown

_ZIP_EPOCH: Final = (1980, 1, 1, 0, 0, 0)
_CJK: Final = frozenset({"ko", "ja", "zh"})
_LINES_PER_CHUNK: Final = 2000


def _normalise_zip(
    data: bytes, *, rewrite: dict[str, Callable[[bytes], Iterable[bytes]]] | None = None
) -> bytes:
    """The same archive with fixed timestamps and attributes and its members sorted
    ([Content_Types].xml first), so equal contents give equal bytes. A member named in
    `rewrite` is written, compressed as it comes, from the chunks its function makes of it."""
    rewrite = rewrite or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in sorted(source.namelist(), key=lambda n: (n != "[Content_Types].xml", n)):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = info.external_attr = 0  # not the platform's defaults
            if name in rewrite:
                with target.open(info, "w") as member:
                    for chunk in rewrite[name](source.read(name)):
                        member.write(chunk)
            else:
                target.writestr(info, source.read(name))
    return out.getvalue()


def _document_time(model: SignatoryList) -> datetime:
    """Naive UTC, derived from the model alone (never "now")."""
    moment = csvs.utc_naive(model.generated_at)
    return moment or datetime.combine(model.as_of, time())


# --- DOCX --------------------------------------------------------------------------------


class _DocxWriter:
    """Walks the statement's Markdown tokens (parsed under the same safety policy as the
    web page) and adds paragraphs to a python-docx document."""

    def __init__(self, document: Document) -> None:
        self.doc = document
        self.lists: list[tuple[bool, int | None]] = []  # (ordered, numbering id)
        self.fresh_item = False  # the next paragraph starts a list item
        self.quotes = 0
        self.heading = 0
        self.note_number = 0  # the footnote whose first paragraph comes next
        self.table: list[list[list[Token]]] | None = None

    def body(self, source: str) -> None:
        tokens, _env = statement_markdown.parse_markdown(source)
        for token in tokens:
            self.block(token)

    def block(self, token: Token) -> None:
        kind = token.type
        if kind in ("heading_open", "heading_close"):
            self.heading = int(token.tag[1:]) if kind == "heading_open" else 0
        elif kind in ("bullet_list_open", "ordered_list_open"):
            self.open_list(kind == "ordered_list_open", int(token.attrGet("start") or 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
        elif kind == "list_item_open":
            self.fresh_item = True
        elif kind in ("blockquote_open", "blockquote_close"):
            self.quotes += 1 if kind == "blockquote_open" else -1
        elif kind == "table_open":
            self.table = []
        elif kind == "tr_open" and self.table is not None:
            self.table.append([])
        elif kind == "table_close":
            self.add_table()
        elif kind == "footnote_block_open":
            self.doc.add_paragraph(_("Notes"), style="Heading 2")
        elif kind == "footnote_open":
            self.note_number = token.meta["id"] + 1
        elif kind in ("code_block", "fence"):
            self.doc.add_paragraph(style="macro").add_run(clean_text(token.content.rstrip("\n")))
        elif kind == "inline":
            if self.table is not None and self.table:
                self.table[-1].append(token.children or [])
            else:
                self.inline(self.doc.add_paragraph(style=self.style()), token.children or [])

    def open_list(self, ordered: bool, start: int) -> None:
        num_id = None
        if ordered:  # each Markdown list restarts its numbering (Word would continue it)
            numbering = self.doc.part.numbering_part.element
            style = self.doc.styles[self.list_style(ordered, len(self.lists) + 1)]
            base = style.element.pPr.numPr.numId.val
            num = numbering.add_num(numbering.num_having_numId(base).abstractNumId.val)
            num.add_lvlOverride(ilvl=0).add_startOverride(start)
            num_id = num.numId
        self.lists.append((ordered, num_id))

    @staticmethod
    def list_style(ordered: bool, depth: int) -> str:
        name = "List Number" if ordered else "List Bullet"
        return name if depth == 1 else f"{name} {min(depth, 3)}"

    def style(self) -> str:
        if self.heading:
            return f"Heading {self.heading}"
        if self.lists:
            depth = len(self.lists)
            if not self.fresh_item:
                return "List Continue" if depth == 1 else f"List Continue {min(depth, 3)}"
            return self.list_style(self.lists[-1][0], depth)
        return "Quote" if self.quotes else "Normal"

    def inline(self, paragraph: Paragraph, children: Sequence[Token]) -> None:
        if self.fresh_item and self.lists:
            self.fresh_item = False
            num_id = self.lists[-1][1]
            if num_id is not None:
                num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
                num_pr.get_or_add_ilvl().val = 0
                num_pr.get_or_add_numId().val = num_id
        if self.note_number:
            paragraph.add_run(str(self.note_number)).font.superscript = True
            paragraph.add_run(" ")
            self.note_number = 0
        add_inline(paragraph, children)

    def add_table(self) -> None:
        rows, self.table = self.table or [], None
        width = max((len(row) for row in rows), default=0)
        if not width:
            return
        table = self.doc.add_table(rows=len(rows), cols=width, style="Table Grid")
        for row, cells in zip(table.rows, rows, strict=True):
            for cell, children in zip(row.cells, cells, strict=False):
                add_inline(cell.paragraphs[0], children)


def add_inline(paragraph: Paragraph, children: Sequence[Token]) -> None:
    """Runs for Markdown inline tokens: bold, italic, strikethrough, super/subscript,
    line breaks, links (as Word hyperlinks) and footnote references."""
    marks: dict[str, int] = {"strong": 0, "em": 0, "s": 0, "sup": 0, "sub": 0}
    link: Any = None
    for token in children:
        kind, text = token.type, ""
        if kind in ("text", "code_inline"):
            text = token.content
        elif kind == "softbreak":
            text = " "
        elif kind == "hardbreak" or (kind == "html_inline" and token.content == "<br>"):
            text = "\n"
        elif kind == "footnote_ref":
            marks["sup"] += 1
            text = str(token.meta["id"] + 1)
        elif kind.endswith(("_open", "_close")) and kind.rsplit("_", 1)[0] in marks:
            _mark(marks, kind.rsplit("_", 1)[0], opening=kind.endswith("_open"))
        elif kind == "html_inline" and token.content in ("<sup>", "</sup>", "<sub>", "</sub>"):
            _mark(marks, token.content.strip("</>"), opening=token.content[1] != "/")
        elif kind == "link_open":
            link = _hyperlink(paragraph, str(token.attrGet("href") or ""))
        elif kind == "link_close":
            link = None
        if not text:
            continue
        run = paragraph.add_run(clean_text(text))
        run.bold = marks["strong"] > 0 or None
        run.italic = marks["em"] > 0 or None
        run.font.strike = marks["s"] > 0 or None
        if marks["sup"]:  # one w:vertAlign for both: setting either to None clears it
            run.font.superscript = True
        elif marks["sub"]:
            run.font.subscript = True
        if kind == "footnote_ref":
            marks["sup"] -= 1
        if link is not None:
            run.style = "Hyperlink"
            link.append(run._r)


def _mark(marks: dict[str, int], name: str, *, opening: bool) -> None:
    # Raw <sup>/<sub> tags need not be balanced; a stray closing tag must not count.
    marks[name] = marks[name] + 1 if opening else max(marks[name] - 1, 0)


def _hyperlink(paragraph: Paragraph, url: str) -> Any:
    """A w:hyperlink to hold the link's runs; None (plain text) for an in-page link."""
    if not url or url.startswith("#"):
        return None
    r_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    element = OxmlElement("w:hyperlink")
    element.set(qn("r:id"), r_id)
    paragraph._p.append(element)
    return element


def _prepare(document: Document, model: SignatoryList) -> None:
    """A4, the list's language for spelling and fonts, a Hyperlink style, fixed metadata."""
    for section in document.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Mm(25))
    for lang in document.styles.element.iterfind(f".//{qn('w:docDefaults')}//{qn('w:lang')}"):
        if model.language:
            lang.set(qn("w:val"), model.language)
        if model.language.split("-")[0] in _CJK:
            lang.set(qn("w:eastAsia"), model.language)
    hyperlink = document.styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
    hyperlink.font.underline = True
    hyperlink.font.color.rgb = RGBColor(0x05, 0x63, 0xC1)
    props = document.core_properties
    props.title = one_line(model.title)
    props.language = model.language
    props.author = props.last_modified_by = props.comments = props.keywords = ""
    props.revision = 1
    props.created = props.modified = _document_time(model)


def _add_list_paragraphs(document: Document, lines: Sequence[str]) -> None:
    """One "List" paragraph per line, in linear time. `Document.add_paragraph` would look
    the style up by name and search the body for its closing section properties on every
    call, which makes 50,000 names take minutes; both are looked up once here."""
    style_id = document.styles["List"].style_id
    end = document.element.body.sectPr  # paragraphs go before the body's last sectPr
    for line in lines:
        paragraph = OxmlElement("w:p")
        paragraph.get_or_add_pPr().style = style_id
        paragraph.add_r().text = line
        if end is not None:
            end.addprevious(paragraph)
        else:
            document.element.body.append(paragraph)


def render_docx(model: SignatoryList) -> bytes:
    """The statement text followed by its signatories, in the list's language."""
    return in_language(model.language, _render_docx, model)


def _render_docx(model: SignatoryList) -> bytes:
    lists: dict[str, Sequence[Entry]] = {}
    document = docx.Document()
    _prepare(document, model)
    document.add_paragraph(one_line(model.title), style="Title")
    if model.addressed_to.strip():
        to = document.add_paragraph()
        to.add_run(_("To:")).bold = True
        to.add_run(" " + one_line(model.addressed_to))
    _DocxWriter(document).body(model.body_markdown)
    coordinators = [one_line(c) for c in model.coordinators if c.strip()]
    if coordinators:
        document.add_paragraph(
            one_line(model.coordinators_heading or _("Coordinated by")), style="Heading 2"
        )
        _add_list_paragraphs(document, coordinators)
    document.add_paragraph(one_line(model.heading), style="Heading 2")
    if model.summary.strip():
        document.add_paragraph(one_line(model.summary))
    for section in model.sections:
        tiered = bool(section.tier.heading.strip())
        if tiered:
            document.add_paragraph(one_line(section.tier.heading), style="Heading 3")
            document.add_paragraph(one_line(section.tier.summary))
        for group in section.groups:
            if group.entries and group.heading.strip():
                style = "Heading 4" if tiered else "Heading 3"
                document.add_paragraph(one_line(group.heading), style=style)
            # A marker paragraph, replaced by the names as the archive is written.
            marker = f"undersigned-list-{secrets.token_hex(16)}"
            _add_list_paragraphs(document, [marker])
            lists[marker] = group.entries
    out = io.BytesIO()
    document.save(out)
    return _normalise_zip(
        out.getvalue(), rewrite={"word/document.xml": lambda xml: _with_lists(xml, lists)}
    )


def _with_lists(xml: bytes, lists: dict[str, Sequence[Entry]]) -> Iterator[bytes]:
    """document.xml with each marker paragraph replaced by one "List" paragraph per entry,
    written as python-docx writes the marker's (its XML around the text, the text escaped):
    at 50,000 names, a tree of 250,000 elements and its serialised copy are never made."""
    rest = xml
    for marker, entries in lists.items():
        at = rest.index(marker.encode())
        start = rest.rindex(b"<w:p>", 0, at)
        end = rest.index(b"</w:p>", at) + len(b"</w:p>")
        before, after = rest[start:at], rest[at + len(marker) : end]
        yield rest[:start]
        for first in range(0, len(entries), _LINES_PER_CHUNK):
            yield b"".join(
                before + escape(one_line(entry.line)).encode() + after
                for entry in entries[first : first + _LINES_PER_CHUNK]
            )
        rest = rest[end:]
    yield rest

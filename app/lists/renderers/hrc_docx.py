"""The HRC written-statement layout as DOCX (python-docx), in the template's own styles
like the other Word export (app/lists/renderers/office.py): the title marked with an
asterisk, the co-sponsors under their consultative status, the text, and the asterisk's
note naming the organisations without status. Reproducible bytes, as every export."""

from __future__ import annotations

import io

import docx

from app.core.i18n import gettext as _
from app.lists.data import SignatoryList
from app.lists.hrc.service import HrcLayout, layout
from app.lists.renderers import office
from app.lists.renderers.text import in_language, one_line


def render_hrc_docx(model: SignatoryList) -> bytes:
    return in_language(model.language, _render, model, layout(model))


def _render(model: SignatoryList, hrc: HrcLayout) -> bytes:
    document = docx.Document()
    office._prepare(document, model)  # the page set-up every DOCX shares
    marker = "*" if hrc.footnote else ""
    document.add_paragraph(one_line(hrc.title) + marker, style="Title")
    if hrc.addressed_to.strip():
        to = document.add_paragraph()
        to.add_run(_("To:")).bold = True
        to.add_run(" " + one_line(hrc.addressed_to))
    if hrc.groups:
        document.add_paragraph(_("Submitted by"), style="Heading 2")
    for group in hrc.groups:
        document.add_paragraph(one_line(group.heading), style="Heading 3")
        office._add_list_paragraphs(document, list(group.names))
    office._DocxWriter(document).body(hrc.body_markdown)
    if hrc.footnote:
        note = document.add_paragraph(style="Normal")
        note.add_run("* " + one_line(hrc.footnote)).italic = True
    out = io.BytesIO()
    document.save(out)
    return office._normalise_zip(out.getvalue())

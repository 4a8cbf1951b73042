"""Excel: the public list and the team's export as XLSX (openpyxl, write-only mode). The
same model gives the same bytes (fixed document properties, app/lists/renderers/office.py's
`_normalise_zip`), except the team export, a live one."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.writer.excel import ExcelWriter

from app.core.i18n import gettext as _
from app.lists.data import SignatoryList, TeamRow
from app.lists.renderers import csvs, office
from app.lists.renderers.text import in_language, one_line

_XLSX_MAX_CELL: Final = 32_767
_BOLD: Final = Font(bold=True)
_WRAP: Final = Alignment(wrap_text=True, vertical="top")


def _cell(
    sheet: WriteOnlyWorksheet, value: csvs.TeamValue, *, bold: bool = False, wrap: bool = False
) -> Any:
    """A value for `append`. Text goes through `safe_cell`; text that openpyxl would read as
    a formula or an error code (or that `safe_cell` neutralised) becomes an explicit string
    cell. Plain values stay plain: write-only mode is fastest without cell objects."""
    if isinstance(value, str):
        value = csvs.safe_cell(value)[:_XLSX_MAX_CELL] or None  # no cell for no text
    literal = isinstance(value, str) and (value[:1] == "'" or value in ERROR_CODES)
    if not (bold or wrap or literal):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if bold:
        cell.font = _BOLD
    if wrap:
        cell.alignment = _WRAP
    return cell


def _header(sheet: WriteOnlyWorksheet, labels: Sequence[str], widths: Sequence[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, label, bold=True) for label in labels])


def _save(workbook: Workbook, *, title: str, when: datetime | None) -> bytes:
    """The workbook's bytes; reproducible ones when `when` fixes its timestamps."""
    workbook.properties.title = one_line(title)
    workbook.properties.creator = ""
    if when is not None:
        workbook.properties.created = workbook.properties.modified = when
    out = io.BytesIO()
    # ExcelWriter directly: Workbook.save would stamp "modified" with the current time.
    ExcelWriter(workbook, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED)).save()
    return out.getvalue() if when is None else office._normalise_zip(out.getvalue())


def render_xlsx(model: SignatoryList) -> bytes:
    """The public list (Kind, Name, Acronym, Note, Country) and an "About" sheet."""
    return in_language(model.language, _render_xlsx, model)


def _render_xlsx(model: SignatoryList) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(one_line(_("Signatories"))[:31])
    header = csvs.public_header()
    kinds = {kind: csvs.kind_label(kind) for kind in ("organisation", "individual")}
    records = list(csvs.public_records(model, kinds))
    widths = [
        min(max([len(header[col]), *(len(record[col]) for record in records)]) + 2, 60)
        for col in range(len(header))
    ]
    _header(sheet, header, widths)
    for record in records:
        sheet.append([_cell(sheet, value) for value in record])
    sheet.auto_filter = AutoFilter(ref=f"A1:{get_column_letter(len(header))}{len(records) + 1}")

    about = workbook.create_sheet(_("About")[:31])
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 80
    rows: list[tuple[str, csvs.TeamValue]] = [
        (_("Title"), model.title),
        (_("Addressed to"), model.addressed_to),
        (_("Version"), model.version_number),
        (_("As of"), model.as_of_text),
        (_("Summary"), model.summary),
        *((one_line(s.tier.heading), s.tier.summary) for s in model.sections if s.tier.heading),
        (model.coordinators_heading or _("Coordinated by"), "\n".join(model.coordinators)),
        (_("Organisations"), model.counts.organisations),
        (_("Individuals"), model.counts.individuals),
        (_("Countries"), model.counts.countries),
    ]
    for label, value in rows:
        about.append([_cell(about, label, bold=True), _cell(about, value, wrap=True)])
    return _save(workbook, title=model.title, when=office._document_time(model))


def render_team_xlsx(rows: Iterable[TeamRow], *, title: str) -> bytes:
    """Every signature with its contact details, written row by row (write-only mode, so
    rows go to a temporary file, not memory). A live export: its timestamps are "now"."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Signatures")[:31])
    header = csvs.team_header()
    _header(sheet, header, [8, 14, 12, 12, 40, 28, 20, 30, 30, 12, 30, 9, 30] + [14] * 9 + [24])
    yes, no = _("yes"), _("no")
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, value) for value in csvs.team_record(row, yes, no)])
        count += 1
    sheet.auto_filter = AutoFilter(ref=f"A1:{get_column_letter(len(header))}{count + 1}")
    return _save(workbook, title=title, when=None)

"""Importing signatures through the API: upload a CSV → a preview (every row, its
problems, the duplicates) and a `preview_id` → commit that preview, all or nothing.

The same service functions as the pages (app/signatures/importing/service.py). The
`preview_id` is the uploaded file and the column choices, compressed and signed (the pages
carry the file the same way): nothing is stored between the two calls, and a changed
choice is a new preview. Both calls need the contact-data scope: a preview says which
addresses of the file have signed already."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from app.api import schemas as api_schemas
from app.api.deps import ApiContactUser
from app.core.config import get_settings
from app.core.db import SessionDep
from app.core.errors import BadRequest
from app.core.i18n import gettext as _
from app.signatures.importing import columns as import_columns
from app.signatures.importing import service as importing
from app.signatures.importing.routes import ENCODING_CHOICES, pack, unpack
from app.signatures.models import Listing
from app.statements.deps import ApiStatementEditor
from app.statements.models import Statement

router = APIRouter(
    prefix="/api/v1/statements",
    tags=["import"],
    responses=api_schemas.error_responses(401, 403, 404, 409, 422),
)
Choice = Annotated[str, Form(max_length=40)]


class ImportRow(BaseModel):
    number: int = Field(description="The spreadsheet's row number; the header is row 1.")
    state: Literal["ready", "error", "duplicate"]
    errors: dict[str, str] = Field(description="Problem by field, for rows in error.")
    duplicate_of: str | None = Field(
        description="`signed` (this signer has signed already) or `row N` (an earlier row)."
    )
    kind: str | None
    name: str | None
    organisation: str | None
    email: str | None
    country: str | None
    listing: str | None
    ecosoc_status: str | None
    group: str | None = Field(description="The signatory group the row goes to.")


class ImportPreview(BaseModel):
    preview_id: str = Field(description="Send it to …/import/commit to import this preview.")
    filename: str
    encoding: str
    columns: dict[str, str] = Field(description="Each header and what it is imported as.")
    ready: int
    errors: int
    duplicates: int
    rows: list[ImportRow]

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "preview_id": "eJy…",
                "filename": "responses.csv",
                "encoding": "utf-8-sig",
                "columns": {"Email Address": "email", "Name": "name", "Group": "group"},
                "ready": 1,
                "errors": 1,
                "duplicates": 0,
                "rows": [
                    {
                        "number": 2,
                        "state": "ready",
                        "errors": {},
                        "duplicate_of": None,
                        "kind": "organisation",
                        "name": "Kim",
                        "organisation": "One Org",
                        "email": "a@one.example",
                        "country": "KR",
                        "listing": "named",
                        "ecosoc_status": "special",
                        "group": "Coordinating partners",
                    },
                    {
                        "number": 3,
                        "state": "error",
                        "errors": {"group": "“Partnrs” is not one of this statement's groups."},
                        "duplicate_of": None,
                        "kind": None,
                        "name": None,
                        "organisation": None,
                        "email": None,
                        "country": None,
                        "listing": None,
                        "ecosoc_status": None,
                        "group": None,
                    },
                ],
            }
        }
    )


class ImportCommit(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"preview_id": "eJy…", "skip_duplicates": True}},
    )
    preview_id: str = Field(max_length=40_000_000)
    skip_duplicates: bool = Field(
        default=True, description="False: a duplicate refuses the whole file, like a bad row."
    )


class Imported(BaseModel):
    imported: int


def _mapping(headers: list[str], written: str) -> importing.Mapping:
    """The column choices as sent (a JSON object: header → choice), over the guesses."""
    guessed = import_columns.suggest_mapping(headers)
    chosen: dict[str, Any] = {}
    if written.strip():
        try:
            chosen = json.loads(written)
        except ValueError as exc:
            raise BadRequest(_("`columns` must be a JSON object: header → choice.")) from exc
        if not isinstance(chosen, dict) or not all(isinstance(v, str) for v in chosen.values()):
            raise BadRequest(_("`columns` must be a JSON object: header → choice."))
        unknown = set(chosen) - set(headers)
        if unknown:
            raise BadRequest(
                _("No such column in the file: %(names)s") % {"names": ", ".join(sorted(unknown))}
            )
    return {i: str(chosen.get(h, guessed[h]))[:40] for i, h in enumerate(headers)}


def _preview(
    session: SessionDep, statement: Statement, upload_id: str, mapping: importing.Mapping,
    defaults: importing.Defaults, headers: list[str], rows: list[list[str]],
    filename: str, encoding: str,
) -> ImportPreview:  # fmt: skip
    result = importing.preview(
        session, statement=statement, rows=rows, mapping=mapping, defaults=defaults
    )
    shown = []
    for row in result.rows:
        clean = row.clean
        state: Literal["ready", "error", "duplicate"] = (
            "error" if row.errors else "duplicate" if row.duplicate else "ready"
        )
        shown.append(
            ImportRow(
                number=row.number,
                state=state,
                errors=row.errors,
                duplicate_of="signed" if row.existing else (
                    f"row {row.same_as_row}" if row.same_as_row else None
                ),
                kind=clean.kind.value if clean else None,
                name=clean.name if clean else None,
                organisation=clean.organisation if clean else None,
                email=clean.email if clean else None,
                country=clean.country if clean else None,
                listing=clean.listing.value if clean else None,
                ecosoc_status=clean.ecosoc_status.value if clean else None,
                group=result.group_names.get(row.group_id) if clean else None,
            )
        )  # fmt: skip
    return ImportPreview(
        preview_id=upload_id,
        filename=filename,
        encoding=encoding,
        columns={headers[i]: choice for i, choice in mapping.items()},
        ready=len(result.good),
        errors=len(result.bad),
        duplicates=len(result.duplicates),
        rows=shown,
    )


@router.post("/{slug}/import/preview")
def preview_import(
    acc: ApiStatementEditor,
    session: SessionDep,
    _contact: ApiContactUser,
    file: Annotated[UploadFile, File(description="The CSV, such as a Google Forms export.")],
    columns: Annotated[
        str,
        Form(
            max_length=20_000,
            description='JSON: header → choice, e.g. {"Group": "group", "Timestamp": '
            '"ignore"}. Columns not named keep the guess from their header. Choices: '
            + ", ".join(import_columns.CHOICES),
        ),
    ] = "",
    default_kind: Choice = "",
    default_listing: Choice = Listing.NAMED.value,
    encoding: Annotated[str, Form(max_length=40, description="auto, utf-8-sig, cp949, cp1252")] = (
        "auto"
    ),
) -> ImportPreview:
    """Every row cleaned as the sign form would, or refused with its problems; duplicates
    (signed already, or twice in the file). Imports nothing."""
    statement = acc.statement
    data = file.file.read(get_settings().import_file_max_bytes + 1)
    text, used = importing.decode(
        data, encoding=encoding if encoding in ENCODING_CHOICES else "auto"
    )
    table = importing.parse(text, encoding=used)
    mapping = _mapping(table.headers, columns)
    defaults = importing.Defaults(kind=default_kind, listing=default_listing)
    filename = (file.filename or "upload.csv").replace("\\", "/").rsplit("/", 1)[-1][:200]
    extra = {"m": [mapping[i] for i in range(len(table.headers))], "k": defaults.kind,
             "l": defaults.listing}  # fmt: skip
    upload_id = "".join(pack(statement, filename, data, used, extra))
    return _preview(
        session, statement, upload_id, mapping, defaults, table.headers, table.rows, filename, used
    )


@router.post("/{slug}/import/commit")
def commit_import(
    acc: ApiStatementEditor, session: SessionDep, user: ApiContactUser, body: ImportCommit
) -> Imported:
    """Import every ready row of the preview, or nothing: one row in error (or, unless
    skipped, one duplicate) refuses the whole file with 422 and each row's problem."""
    statement = acc.statement
    upload = unpack(statement, [body.preview_id])
    try:
        choices = [str(c)[:40] for c in upload.extra["m"]]
        defaults = importing.Defaults(kind=str(upload.extra["k"]), listing=str(upload.extra["l"]))
    except (KeyError, TypeError) as exc:
        raise BadRequest(_("This is not a preview id: preview the file again.")) from exc
    imported = importing.commit_import(
        session,
        statement=statement,
        actor=user,
        rows=upload.table.rows,
        mapping=dict(enumerate(choices[: len(upload.table.headers)])),
        defaults=defaults,
        skip_duplicates=body.skip_duplicates,
        filename=upload.filename,
    )
    return Imported(imported=imported)

"""What the team's signature pages share: their form fields, the notices after a change,
what every page shows of the statement and its words, and one signature's page (shown
again with an error by the routes of moderation and its sub-domains)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from app.core import templating
from app.core.db import SessionDep
from app.core.errors import AppError
from app.signatures import countries, public
from app.signatures.blocklists import service as blocklists
from app.signatures.editing import service as editing
from app.signatures.models import Signature
from app.signatures.moderation import service as moderation
from app.signatures.moderation.corrections.service import NO_COUNTRY
from app.signatures.verification import models as verification_models
from app.signatures.verification import service as verification
from app.statements.groups import service as groups
from app.statements.models import StatementStatus
from app.statements.team import service as team

ShortText = Annotated[str, Form(max_length=2000)]
LongText = Annotated[str, Form(max_length=20_000)]

# Until app.core.flash has keys of its own for these, every change says "Changes saved."
NOTICES = {
    "approved": "signature-approved",
    "rejected": "signature-rejected",
    "corrected": "signature-corrected",
    "note-added": "signature-note-added",
    "added": "signature-added",
    "retried": "mail-retried",
}


def whole_number(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


def common(acc: team.Access) -> dict[str, object]:
    return {
        "access": acc,
        "statement": acc.statement,
        "editable": acc.can_edit and acc.statement.status != StatementStatus.FINAL,
        "labels": moderation.labels(),
        "public_name": public.public_name,
        "country_name": countries.name,
        "can_decide": moderation.can_decide,
        "level_labels": verification_models.LEVEL_LABELS,
    }


def signature_page(
    request: Request,
    session: SessionDep,
    acc: team.Access,
    signature: Signature,
    *,
    values: dict[str, str] | None = None,
    problem: AppError | None = None,
) -> Response:
    """One signature in full: its details, notes, held reasons, undelivered emails,
    verification and changes, with the team's correction and note forms."""
    found = groups.groups_for(session, statement=acc.statement)
    return templating.form_page(
        request,
        "signatures/signature.html",
        {
            **common(acc),
            "signature": signature,
            "notes": moderation.notes_for(session, signature),
            "held": blocklists.hits_for(session, signature_ids=[signature.id or 0]).get(
                signature.id or 0, []
            ),
            "deliveries": moderation.troubled_deliveries(session, signature=signature),
            "verification": verification.levels(session, signature_ids=[signature.id or 0]).get(
                signature.id or 0
            ),
            "signatory_groups": found,
            "signature_group": groups.group_of(signature, found),
            "changes": editing.history(session, signature=signature),
            "countries": countries.options(),
            "no_country": NO_COUNTRY,
        },
        values=values or _shown_values(signature),
        problem=problem,
    )


def _shown_values(signature: Signature) -> dict[str, str]:
    """The correction form as the signer is shown now."""
    return {
        "display_name": signature.display_name or "",
        "display_acronym": signature.display_acronym or "",
        "hide_acronym": "true" if signature.display_acronym == "" else "",
        "display_title": signature.display_title or "",
        "display_note": signature.display_note or "",
        "hide_note": "true" if signature.display_note == "" else "",
        "display_country": (
            NO_COUNTRY if signature.display_country == "" else signature.display_country or ""
        ),
    }

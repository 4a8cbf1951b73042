"""The signatures API: signing in public, and the team's view and decisions.

Public signing goes through the sign form's own path (`several.check`, then
`service.record_all`: one or several organisations, or an individual), so it keeps every
protection of the form: the answer never says whether an address signed before, abuse
checks hold a signature for a lead instead of refusing it, and only an open statement
takes signatures. Confirming and withdrawing stay links in emails, for people.

Team routes take their access as a typed dependency from app.statements.deps (404
outside the team, 403 for a viewer's write) and decide through `lifecycle`, like the
moderation pages.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from app.api import schemas
from app.api.deps import ApiContactUser, ApiUser
from app.core.config import Settings
from app.core.db import SessionDep
from app.lists import service as lists
from app.security import headers
from app.security.ratelimit import client_ip
from app.signatures import lifecycle, public
from app.signatures import schemas as sig
from app.signatures.models import Signature, SignatureStatus, SignerKind, Source
from app.signatures.moderation import service as moderation
from app.signatures.signing import service, several
from app.signatures.verification import service as verification
from app.signatures.verification.models import OrgVerification
from app.signatures.verification.schemas import Verification
from app.statements import service as statements
from app.statements.deps import ApiStatementEditor, ApiStatementViewer, PublicStatement
from app.statements.models import Statement, StatementStatus
from app.statements.team import service as team

router = APIRouter(
    prefix="/api/v1/statements",
    tags=["signatures"],
    responses=schemas.error_responses(401, 404, 422),
)
public_router = APIRouter(
    prefix="/api/v1/public", tags=["public"], responses=schemas.error_responses(404, 422)
)

# Bounded so that no id or offset can overflow a database integer (a 500, not a 404).
SignatureId = Annotated[int, Path(ge=1, le=2_147_483_647)]
MAX_PER_PAGE = 200
SUMMARY_SIGNATORIES = 500  # the whole list is the public signatories.json download
WRITE_ERRORS = schemas.error_responses(403, 409)
# The documentation quotes the default: the running limit is read per request.
_DEFAULT_MAX_BODY_MB = Settings.model_fields["max_body_bytes"].default // 1_000_000
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"description": f"The body is over the size limit ({_DEFAULT_MAX_BODY_MB} MB by default)."}
}


# --- public -----------------------------------------------------------------------------


@public_router.get("/statements/{slug}/sign-token")
def sign_token(statement: PublicStatement) -> sig.SignToken:
    """Fetch when the signer starts filling in your form; send it back as `form_token`.
    A signature sent implausibly soon after is held for a lead, never refused."""
    return sig.SignToken(form_token=service.form_token())


@public_router.post(
    "/statements/{slug}/signatures",
    status_code=202,
    responses={**schemas.error_responses(409), **TOO_LARGE},
)
def sign(
    statement: PublicStatement, body: sig.SignatureCreate, request: Request, session: SessionDep
) -> sig.SignAccepted:
    """Sign a statement. The signer gets an email with a link to confirm; the signature
    counts only once confirmed (and, under manual moderation, approved). One person may
    sign for several organisations at once (`organisations`): one signature and one
    confirmation email each, and nothing is recorded if any of them has an error.

    The answer is the same whether or not the address signed before: its inbox is told
    instead. A closed statement answers 409; a draft does not exist (404)."""
    context = service.Context(
        ip=client_ip(request),
        form_age_seconds=service.form_age(body.form_token) if body.form_token else None,
        source=Source.API,
    )
    cleans = several.check(
        statement=statement,
        person=body.as_sent(),
        organisations=body.organisation_blocks(),
        key=lambda name, index: f"organisations.{index}.{name}",
    )
    service.record_all(session, statement=statement, cleans=cleans, context=context)
    return sig.SignAccepted()


@public_router.get("/statements/{slug}/signatures/summary")
def summary(
    statement: PublicStatement, response: Response, session: SessionDep
) -> sig.SignatureSummary:
    """Approved signatures: the counts, and the list as the public page shows it."""
    # The one public list (a final statement's frozen one), as every other public output.
    model = lists.public_list(session, statement=statement)
    response.headers["Cache-Control"] = headers.PUBLIC_CACHE
    return sig.SignatureSummary(
        counts=sig.PublicCounts(
            organisations=model.counts.organisations,
            individuals=model.counts.individuals,
            total=model.counts.total,
            countries=model.counts.countries,
        ),
        signatories=[
            sig.PublicSignatory(kind=SignerKind(entry.kind), name=entry.line)
            for entry in model.entries[:SUMMARY_SIGNATORIES]
        ],
    )


# --- team -------------------------------------------------------------------------------


def _version_numbers(session: SessionDep, statement: Statement) -> dict[int, int]:
    return {
        v.id: v.number
        for v in statements.list_versions(session, statement=statement)
        if v.id is not None
    }


def _team_signature(
    signature: Signature, versions: dict[int, int], levels: dict[int, OrgVerification]
) -> sig.TeamSignature:
    assert signature.id is not None
    return sig.TeamSignature(
        id=signature.id,
        kind=signature.kind,
        status=signature.status,
        listing=signature.listing,
        public_name=public.public_name(signature),
        name=signature.name,
        title=signature.title,
        note=signature.note,
        email=signature.email,
        country=signature.country,
        organisation=signature.organisation,
        acronym=signature.acronym,
        website=signature.website,
        ecosoc_status=signature.ecosoc_status,
        authorised=signature.authorised,
        display_name=signature.display_name,
        display_acronym=signature.display_acronym,
        display_title=signature.display_title,
        display_note=signature.display_note,
        display_country=signature.display_country,
        consent_privacy=signature.consent_privacy,
        opt_in_updates=signature.opt_in_updates,
        locale=signature.locale,
        flags=sorted(signature.flag_set()),
        source=signature.source,
        source_note=signature.source_note,
        version_confirmed=versions.get(signature.version_id) if signature.version_id else None,
        submitted_at=signature.submitted_at,
        confirmed_at=signature.confirmed_at,
        decided_at=signature.decided_at,
        withdrawn_at=signature.withdrawn_at,
        verification=Verification.of(levels.get(signature.id))
        if signature.kind == SignerKind.ORGANISATION
        else None,
    )


@router.get("/{slug}/signatures")
def list_signatures(
    acc: ApiStatementViewer,
    _contact: ApiContactUser,
    session: SessionDep,
    status: SignatureStatus | None = None,
    kind: SignerKind | None = None,
    flagged: bool = False,
    q: Annotated[str, Query(max_length=moderation.MAX_QUERY)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> sig.SignaturePage:
    """Every signature with its signer's details, newest first. `q` searches names,
    organisations, acronyms, notes and email addresses; `flagged` keeps the held ones."""
    rows, total = moderation.list_signatures(
        session,
        statement=acc.statement,
        status=status,
        kind=kind,
        flagged_only=flagged,
        query=q,
        page=page,
        per_page=per_page,
    )
    versions = _version_numbers(session, acc.statement)
    levels = verification.levels(session, signature_ids=[s.id for s in rows if s.id])
    return sig.SignaturePage(
        items=[_team_signature(s, versions, levels) for s in rows],
        total=total,
        page=page,
        per_page=per_page,
    )


@router.get("/{slug}/signatures/{signature_id}")
def get_signature(
    acc: ApiStatementViewer,
    _contact: ApiContactUser,
    signature_id: SignatureId,
    session: SessionDep,
) -> sig.TeamSignature:
    found = moderation.get_signature(session, statement=acc.statement, signature_id=signature_id)
    levels = verification.levels(session, signature_ids=[signature_id])
    return _team_signature(found, _version_numbers(session, acc.statement), levels)


def _decide(
    session: SessionDep, user: ApiUser, acc: team.Access, signature_id: int, *, approve: bool
) -> sig.TeamSignature:
    found = moderation.get_signature(session, statement=acc.statement, signature_id=signature_id)
    target = SignatureStatus.APPROVED if approve else SignatureStatus.REJECTED
    # Deciding what is already so (a retried request) changes nothing and logs nothing.
    if found.status != target or acc.statement.status == StatementStatus.FINAL:
        transition = lifecycle.approve if approve else lifecycle.reject
        transition(session, statement=acc.statement, signature=found, actor=user)
    levels = verification.levels(session, signature_ids=[signature_id])
    return _team_signature(found, _version_numbers(session, acc.statement), levels)


@router.post("/{slug}/signatures/{signature_id}/approve", responses=WRITE_ERRORS)
def approve(
    acc: ApiStatementEditor, signature_id: SignatureId, session: SessionDep, user: ApiContactUser
) -> sig.TeamSignature:
    """List a confirmed (or rejected) signature publicly. Pending and withdrawn
    signatures, and those of a final statement, cannot be decided (409)."""
    return _decide(session, user, acc, signature_id, approve=True)


@router.post("/{slug}/signatures/{signature_id}/reject", responses=WRITE_ERRORS)
def reject(
    acc: ApiStatementEditor, signature_id: SignatureId, session: SessionDep, user: ApiContactUser
) -> sig.TeamSignature:
    """Keep a signature off the list and out of the counts. Same states as approve."""
    return _decide(session, user, acc, signature_id, approve=False)

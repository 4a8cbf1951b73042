"""The team's signature pages: the list by state, one signature, adding one by hand.

Every team member sees every signer in full (anonymous ones with a clear badge); only
editors and owners change anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import AppError, FieldErrors
from app.core.forms import FormDep
from app.core.i18n import gettext as _
from app.core.i18n import ngettext
from app.signatures import countries, public
from app.signatures.blocklists import service as blocklists
from app.signatures.editing import service as editing
from app.signatures.forms import TRUE, SignInput
from app.signatures.models import Listing, Signature, SignatureStatus, SignerKind
from app.signatures.moderation import service as moderation
from app.signatures.verification import models as verification_models
from app.signatures.verification import service as verification
from app.statements.deps import StatementEditor, StatementViewer
from app.statements.groups import service as groups
from app.statements.models import StatementStatus
from app.statements.team import service as team

router = APIRouter(prefix="/statements")
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


def _int(value: str) -> int | None:
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


@dataclass(frozen=True)
class Filters:
    status: SignatureStatus | None = None
    kind: SignerKind | None = None
    flagged: bool = False
    delivery: bool = False
    q: str = ""
    page: int = 1

    @classmethod
    def parse(
        cls, status: str, kind: str, flagged: str, q: str, page: str, delivery: str = ""
    ) -> Filters:
        return cls(
            status=next((s for s in SignatureStatus if s == status), None),
            kind=next((k for k in SignerKind if k == kind), None),
            flagged=flagged.lower() in TRUE,
            delivery=delivery.lower() in TRUE,
            q=q.strip()[: moderation.MAX_QUERY],
            page=max(_int(page) or 1, 1),
        )

    def query(self, **changes: object) -> str:
        chosen = replace(self, **changes)  # type: ignore[arg-type]
        pairs = {
            "status": chosen.status.value if chosen.status else "",
            "kind": chosen.kind.value if chosen.kind else "",
            "flagged": "1" if chosen.flagged else "",
            "delivery": "1" if chosen.delivery else "",
            "q": chosen.q,
            "page": str(chosen.page) if chosen.page > 1 else "",
        }
        return urlencode({k: v for k, v in pairs.items() if v})


def _list_page(
    request: Request,
    session: SessionDep,
    acc: team.Access,
    filters: Filters,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    per_page = 50
    rows, total = moderation.list_signatures(
        session,
        statement=acc.statement,
        status=filters.status,
        kind=filters.kind,
        flagged_only=filters.flagged,
        undelivered_only=filters.delivery,
        query=filters.q,
        page=filters.page,
        per_page=per_page,
    )
    base = f"/statements/{acc.statement.slug}/signatures"
    return templating.page(
        request,
        "signatures/moderation.html",
        {
            **_common(acc),
            "filters": filters,
            "rows": rows,
            "held": blocklists.hits_for(session, signature_ids=[s.id for s in rows if s.id]),
            "verifications": verification.levels(
                session, signature_ids=[s.id for s in rows if s.id]
            ),
            "total": total,
            "pages": max((total + per_page - 1) // per_page, 1),
            "counts": moderation.counts_by_status(session, statement=acc.statement),
            "delivery_flags": moderation.delivery_flags(
                session, statement=acc.statement, signatures=rows
            ),
            "here": f"{base}?{filters.query()}" if filters.query() else base,
            "signatory_groups": groups.groups_for(session, statement=acc.statement),
            "kind_options": list(moderation.labels()["kind"].items()),
            "message": message,
            "error": error,
        },
        status_code=status_code,
    )


def _common(acc: team.Access) -> dict[str, object]:
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


def _problem(exc: AppError | None) -> dict[str, object]:
    """Field errors go next to their fields; any other refusal above the form."""
    if isinstance(exc, FieldErrors):
        return {"errors": exc.errors, "error": None}
    return {"errors": {}, "error": exc.message if exc else None}


def _bulk_message(action: str, changed: int, skipped: int) -> str:
    if action == "approve":
        done = ngettext("%(n)d signature approved.", "%(n)d signatures approved.", changed)
    else:
        done = ngettext("%(n)d signature rejected.", "%(n)d signatures rejected.", changed)
    parts = [done % {"n": changed}]
    if skipped:
        parts.append(
            ngettext(
                "%(n)d skipped: it cannot be decided now (awaiting confirmation, withdrawn, "
                "or already so).",
                "%(n)d skipped: they cannot be decided now (awaiting confirmation, withdrawn, "
                "or already so).",
                skipped,
            )
            % {"n": skipped}
        )
    return " ".join(parts)


@router.get("/{slug}/signatures")
def signatures_page(
    request: Request,
    acc: StatementViewer,
    session: SessionDep,
    status: str = "",
    kind: str = "",
    flagged: str = "",
    delivery: str = "",
    q: str = "",
    page: str = "1",
    done: str = "",
    changed: str = "",
    skipped: str = "",
) -> Response:
    message = None
    if done in ("approve", "reject"):
        message = _bulk_message(done, _int(changed) or 0, _int(skipped) or 0)
    filters = Filters.parse(status, kind, flagged, q, page, delivery)
    return _list_page(request, session, acc, filters, message=message)


@router.post("/{slug}/signatures/bulk")
def bulk(
    request: Request, acc: StatementEditor, session: SessionDep, user: CurrentUser, form: FormDep
) -> Response:

    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    filters = Filters.parse(
        text("status"), text("kind"), text("flagged"), text("q"), text("page"), text("delivery")
    )
    action = text("decision")
    raw_ids = [v for v in form.getlist("ids") if isinstance(v, str)][:1000]
    ids = [i for i in (_int(v) for v in raw_ids) if i is not None]
    if action not in ("approve", "reject"):
        error = _("Choose whether to approve or reject the selected signatures.")
    elif not ids:
        error = _("Select at least one signature first, with the boxes in the list.")
    else:
        with db.attempt(session, AppError) as outcome:
            changed = moderation.bulk_decide(
                session, statement=acc.statement, actor=user, ids=ids, approve=action == "approve"
            )
        if outcome.error is not None:
            return _list_page(
                request,
                session,
                acc,
                filters,
                error=outcome.error.message,
                status_code=outcome.error.status_code,
            )
        done = urlencode(
            {"done": action, "changed": changed, "skipped": len(set(raw_ids)) - changed}
        )
        query = filters.query()
        return templating.redirect(
            f"/statements/{acc.statement.slug}/signatures?{query + '&' if query else ''}{done}"
        )
    return _list_page(request, session, acc, filters, error=error, status_code=400)


def _add_page(
    request: Request,
    acc: team.Access,
    *,
    values: dict[str, str],
    problem: AppError | None = None,
) -> Response:
    return templating.page(
        request,
        "signatures/add.html",
        {**_common(acc), **_problem(problem), "values": values, "countries": countries.options()},
        status_code=problem.status_code if problem else 200,
    )


@router.get("/{slug}/signatures/new")
def add_form(request: Request, acc: StatementEditor) -> Response:
    values = {"listing": Listing.NAMED.value, "approve": "true", "authorised": ""}
    if acc.statement.signer_kinds.value != "both":
        values["kind"] = acc.statement.signer_kinds.value.removesuffix("s")
    return _add_page(request, acc, values=values)


@router.post("/{slug}/signatures/new")
def add_submit(
    request: Request, acc: StatementEditor, session: SessionDep, user: CurrentUser, form: FormDep
) -> Response:
    values = {k: v[:5000] for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    with db.attempt(session, AppError) as outcome:
        signature = moderation.add_by_hand(
            session,
            statement=acc.statement,
            actor=user,
            data=SignInput.model_validate(values),
            source_note=values.get("source_note", ""),
            confirmed=values.get("approve", "").lower() in TRUE,
        )
    if outcome.error is not None:
        return _add_page(request, acc, values=values, problem=outcome.error)
    return templating.redirect(
        f"/statements/{acc.statement.slug}/signatures/{signature.id}", notice=NOTICES["added"]
    )


def _back(slug: str, back: str, fallback: str) -> str:
    """Only somewhere on this statement's signature pages: never an open redirect."""
    base = f"/statements/{slug}/signatures"
    ok = (back == base or back.startswith((base + "?", base + "/"))) and "\\" not in back
    return back if ok else fallback


def _decide(
    acc: team.Access,
    number: int,
    back: str,
    session: SessionDep,
    user: CurrentUser,
    *,
    approve: bool,
) -> Response:
    slug = acc.statement.slug
    moderation.decide(
        session, statement=acc.statement, actor=user, signature_id=number, approve=approve
    )
    target = _back(slug, back, f"/statements/{slug}/signatures/{number}")
    return templating.redirect(target, notice=NOTICES["approved" if approve else "rejected"])


@router.post("/{slug}/signatures/{signature_id:int}/approve")
def approve(
    acc: StatementEditor,
    signature_id: int,
    session: SessionDep,
    user: CurrentUser,
    back: ShortText = "",
) -> Response:
    return _decide(acc, signature_id, back, session, user, approve=True)


@router.post("/{slug}/signatures/{signature_id:int}/reject")
def reject(
    acc: StatementEditor,
    signature_id: int,
    session: SessionDep,
    user: CurrentUser,
    back: ShortText = "",
) -> Response:
    return _decide(acc, signature_id, back, session, user, approve=False)


def _detail_page(
    request: Request,
    session: SessionDep,
    acc: team.Access,
    signature: Signature,
    *,
    values: dict[str, str] | None = None,
    problem: AppError | None = None,
) -> Response:
    found = groups.groups_for(session, statement=acc.statement)
    return templating.page(
        request,
        "signatures/signature.html",
        {
            **_common(acc),
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
            "values": values
            or {
                "display_name": signature.display_name or "",
                "display_acronym": signature.display_acronym or "",
                "hide_acronym": "true" if signature.display_acronym == "" else "",
                "display_title": signature.display_title or "",
                "display_note": signature.display_note or "",
                "hide_note": "true" if signature.display_note == "" else "",
                "display_country": (
                    moderation.NO_COUNTRY
                    if signature.display_country == ""
                    else signature.display_country or ""
                ),
            },
            "changes": editing.history(session, signature=signature),
            "countries": countries.options(),
            "no_country": moderation.NO_COUNTRY,
            **_problem(problem),
        },
        status_code=problem.status_code if problem else 200,
    )


@router.get("/{slug}/signatures/{signature_id:int}")
def signature_page(
    request: Request, acc: StatementViewer, signature_id: int, session: SessionDep
) -> Response:
    signature = moderation.get_signature(
        session, statement=acc.statement, signature_id=signature_id
    )
    return _detail_page(request, session, acc, signature)


@router.post("/{slug}/signatures/{signature_id:int}")
def signature_submit(
    request: Request,
    acc: StatementEditor,
    signature_id: int,
    session: SessionDep,
    user: CurrentUser,
    form_name: ShortText = "",
    display_name: ShortText = "",
    display_acronym: ShortText = "",
    hide_acronym: ShortText = "",
    position: ShortText = "",
    display_title: ShortText = "",
    display_note: ShortText = "",
    hide_note: ShortText = "",
    display_country: ShortText = "",
    body: LongText = "",
) -> Response:
    signature = moderation.get_signature(
        session, statement=acc.statement, signature_id=signature_id
    )
    values = {
        "display_name": display_name,
        "display_acronym": display_acronym,
        "hide_acronym": hide_acronym,
        "position": position,
        "display_title": display_title,
        "display_note": display_note,
        "hide_note": hide_note,
        "display_country": display_country,
        "body": body,
    }
    with db.attempt(session, AppError) as outcome:
        if form_name == "note":
            moderation.add_note(session, signature=signature, actor=user, body=body)
            notice = NOTICES["note-added"]
        else:
            moderation.correct_display(
                session,
                statement=acc.statement,
                actor=user,
                signature_id=signature_id,
                display_name=display_name,
                display_acronym=display_acronym,
                hide_acronym=hide_acronym.lower() in TRUE,
                position=position,
                display_title=display_title,
                display_note=display_note,
                hide_note=hide_note.lower() in TRUE,
                display_country=display_country,
            )
            notice = NOTICES["corrected"]
    if outcome.error is not None:
        return _detail_page(request, session, acc, signature, values=values, problem=outcome.error)
    return templating.redirect(
        f"/statements/{acc.statement.slug}/signatures/{signature_id}", notice=notice
    )


@router.post("/{slug}/signatures/{signature_id:int}/retry-delivery")
def retry_delivery(
    request: Request,
    acc: StatementEditor,
    signature_id: int,
    session: SessionDep,
    user: CurrentUser,
) -> Response:
    with db.attempt(session, AppError) as outcome:
        moderation.retry_deliveries(
            session, statement=acc.statement, actor=user, signature_id=signature_id
        )
    if outcome.error is not None:
        signature = moderation.get_signature(
            session, statement=acc.statement, signature_id=signature_id
        )
        return _detail_page(request, session, acc, signature, problem=outcome.error)
    return templating.redirect(
        f"/statements/{acc.statement.slug}/signatures/{signature_id}", notice=NOTICES["retried"]
    )

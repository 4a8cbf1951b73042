"""The team's signature pages: the list by state, deciding (one or many at once), one
signature's page and sending its failed emails again. Adding a signature by hand is in
manual/, the signature page's forms (a correction, a note) in corrections/: their pages
reach the app through this router.

Every team member sees every signer in full (anonymous ones with a clear badge); only
editors and owners change anything.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.deps import CurrentUser
from app.core import db, templating
from app.core.db import SessionDep
from app.core.errors import AppError
from app.core.forms import FormDep
from app.core.i18n import gettext as _
from app.core.i18n import ngettext
from app.signatures.blocklists import service as blocklists
from app.signatures.forms import TRUE
from app.signatures.models import SignatureStatus, SignerKind
from app.signatures.moderation import pages
from app.signatures.moderation import service as moderation
from app.signatures.moderation.corrections import routes as correction_routes
from app.signatures.moderation.manual import routes as manual_routes
from app.signatures.verification import service as verification
from app.statements.deps import StatementEditor, StatementViewer
from app.statements.groups import service as groups
from app.statements.team import service as team

router = APIRouter()


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
            page=max(pages.whole_number(page) or 1, 1),
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
            **pages.common(acc),
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


@router.get("/statements/{slug}/signatures")
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
        message = _bulk_message(
            done, pages.whole_number(changed) or 0, pages.whole_number(skipped) or 0
        )
    filters = Filters.parse(status, kind, flagged, q, page, delivery)
    return _list_page(request, session, acc, filters, message=message)


@router.post("/statements/{slug}/signatures/bulk")
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
    ids = [i for i in (pages.whole_number(v) for v in raw_ids) if i is not None]
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
    return templating.redirect(target, notice=pages.NOTICES["approved" if approve else "rejected"])


@router.post("/statements/{slug}/signatures/{signature_id:int}/approve")
def approve(
    acc: StatementEditor,
    signature_id: int,
    session: SessionDep,
    user: CurrentUser,
    back: pages.ShortText = "",
) -> Response:
    return _decide(acc, signature_id, back, session, user, approve=True)


@router.post("/statements/{slug}/signatures/{signature_id:int}/reject")
def reject(
    acc: StatementEditor,
    signature_id: int,
    session: SessionDep,
    user: CurrentUser,
    back: pages.ShortText = "",
) -> Response:
    return _decide(acc, signature_id, back, session, user, approve=False)


@router.get("/statements/{slug}/signatures/{signature_id:int}")
def signature_page(
    request: Request, acc: StatementViewer, signature_id: int, session: SessionDep
) -> Response:
    signature = moderation.get_signature(
        session, statement=acc.statement, signature_id=signature_id
    )
    return pages.signature_page(request, session, acc, signature)


@router.post("/statements/{slug}/signatures/{signature_id:int}/retry-delivery")
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
        return pages.signature_page(request, session, acc, signature, problem=outcome.error)
    return templating.redirect(
        f"/statements/{acc.statement.slug}/signatures/{signature_id}",
        notice=pages.NOTICES["retried"],
    )


for _sub in (manual_routes, correction_routes):
    router.include_router(_sub.router)

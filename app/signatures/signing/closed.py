"""What a late (or early) signer is shown instead of the sign form: the statement itself,
when signatures closed (or open) in the statement's zone — the reader's own time is added
by local-time.js — and how to reach the coordinators."""

from __future__ import annotations

from datetime import datetime

from app.statements import deadlines
from app.statements.models import Statement, StatementStatus, StatementVersion
from app.statements.text import markdown


def closed_at(statement: Statement, now: datetime) -> datetime | None:
    """When signatures stopped: the deadline, or the earlier moment a lead closed or
    finalised the statement; None when they have not started yet."""
    if statement.status == StatementStatus.OPEN:
        # Past the deadline, or not started yet (its opening time has not come).
        return statement.deadline_at if now >= statement.deadline_at else None
    # Closed or finalised by a lead, perhaps before the deadline (a reopened statement's
    # earlier closing is replaced when it closes again).
    ended = [t for t in (statement.closed_at, statement.finalised_at) if t is not None]
    return min([statement.deadline_at, *ended])


def context(statement: Statement, version: StatementVersion, now: datetime) -> dict[str, object]:
    ended = closed_at(statement, now)
    opens = statement.opens_at if ended is None else None
    shown = ended or opens or statement.deadline_at
    return {
        "closed_at": ended,
        "opens_at": opens,
        "closed_instant": shown,
        "closed_text": deadlines.describe(shown, statement.deadline_zone),
        "body_html": markdown.render_markdown(version.body),
        "coordinators": [c for c in statement.coordinators.splitlines() if c],
    }

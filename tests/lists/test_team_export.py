"""The team CSV as `team.team_csv` streams it (batches read column by column, times
formatted by the database, lines joined without the csv module) is byte for byte the file
`csv.writer` makes from `csvs.team_record` row by row — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import inspect
import io
import threading
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, col, select

from app.core.db import closes_with, get_stream_session, new_session
from app.lists.exports import team
from app.lists.renderers import csvs
from app.signatures.models import Signature
from app.signatures.verification.models import Level, OrgVerification
from app.statements.models import Statement
from tests.factories import approve_signers, individual, make_user, open_statement, organisation
from tests.helpers import signature_with_email

SEOUL = timezone(timedelta(hours=9))
FORMULA = '=HYPERLINK("http://evil.example","click")'


def _row_by_row(db: Session, statement: Statement) -> bytes:
    """The reference: each `TeamRow` (times as datetimes) through `team_record` with
    `utc_text`, written by `csv.writer`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csvs.safe_cell(label) for label in csvs.team_header()])
    for row in team.team_rows(db, statement=statement):
        writer.writerow(csvs.team_record(row, "yes", "no", stamp=csvs.utc_text))
    return csvs.BOM + buffer.getvalue().encode()


def test_team_csv_is_the_row_by_row_file_byte_for_byte(db: Session) -> None:
    statement = open_statement(db, owner=make_user(db), slug="team-bytes")
    approve_signers(
        db,
        statement,
        [
            organisation(),
            organisation(
                organisation="북한인권시민연합", acronym="NKHR", email="nk@example.org",
                website="https://nkhr.example", name="이영환",
            ),
            organisation(organisation="Hidden Group", email="h@example.org", listing="anonymous"),
            individual(email="counted@example.org", listing="counted"),
            individual(name="김정삼", email="kim@example.org", note="", country=""),
            individual(name="Lee Young-hee", email="yh@example.org"),
            individual(name="Park", email="park@example.org", note="sister, \"detained\""),
        ],
    )  # fmt: skip
    # Values the sign form would clean or refuse, written as a correction or an import
    # could: formulas, a line break, quotes and commas, control characters.
    hostile = signature_with_email(db, "park@example.org")
    hostile.name = FORMULA
    hostile.title = "+1, -2"
    hostile.email = "@evil\r\nexample.org"
    hostile.submitted_at = datetime(2025, 3, 10, 18, 30, 59, 999999, tzinfo=SEOUL)
    hostile.confirmed_at = datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    hostile.withdrawn_at = datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC)
    corrected = signature_with_email(db, "yh@example.org")
    corrected.display_name = "Lee Younghee"
    corrected.display_note = "-"
    renamed = signature_with_email(db, "nk@example.org")
    renamed.display_acronym = ""
    renamed.note = "\ttabbed\x07"
    db.add_all([hostile, corrected, renamed])
    assert renamed.id is not None and statement.id is not None
    db.add(
        OrgVerification(
            signature_id=renamed.id,
            statement_id=statement.id,
            level=Level.MAILBOX,
            code="x",
            disputed_at=datetime(2025, 3, 11, tzinfo=UTC),
        )
    )
    db.flush()
    # A value from before encryption (plaintext) beside sealed ones in its column.
    db.execute(
        text("UPDATE signature SET website = 'https://plain.example' WHERE id = :id"),
        {"id": renamed.id},
    )
    ids = db.exec(select(Signature.id).where(col(Signature.statement_id) == statement.id)).all()
    assert len(ids) == 7

    streamed = b"".join(team.team_csv(db, statement=statement))
    assert streamed == _row_by_row(db, statement)
    assert "북한인권시민연합 (NKHR)" not in streamed.decode()  # display_acronym "" is kept
    assert "An organisation" in streamed.decode()
    read = list(csv.reader(io.StringIO(streamed.decode("utf-8-sig"))))
    header, *rows = read
    park = dict(zip(header, rows[-1], strict=True))
    assert park["Name"] == "'" + FORMULA
    assert park["Title"] == "'+1, -2"
    assert park["Email"].startswith("'@evil")
    assert park["Submitted (UTC)"] == "2025-03-10 09:30:59"  # cut to the second, in UTC
    assert park["Confirmed (UTC)"] == "2025-12-31 23:59:59"
    assert park["Withdrawn (UTC)"] == "2026-01-01 00:00:00"
    assert park["Public line"] == f'\'{FORMULA} (sister, "detained")'
    nkhr = dict(zip(header, rows[1], strict=True))
    assert nkhr["Website"] == "https://plain.example"
    assert nkhr["Verification"] == "Mailbox on the domain · disputed"
    assert dict(zip(header, rows[5], strict=True))["Public line"] == "Lee Younghee (-)"


def _numbered_signers(db: Session, slug: str, count: int) -> Statement:
    """A statement with `count` approved individuals, the first four without a note."""
    statement = open_statement(db, owner=make_user(db), slug=slug)
    approve_signers(
        db,
        statement,
        [
            individual(
                name=f"Signer {i}", email=f"{slug}-{i}@example.org", note="n" if i > 3 else ""
            )
            for i in range(count)
        ],
    )
    return statement


def test_team_csv_of_several_batches_is_the_row_by_row_file(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of 3 rows (2,000 in use): a partial last batch, a batch with no note.
    monkeypatch.setattr(team, "BATCH", 3)
    statement = _numbered_signers(db, "team-batches", 8)
    streamed = b"".join(team.team_csv(db, statement=statement))
    assert streamed == _row_by_row(db, statement)
    assert streamed.count(b"\r\n") == 9


def test_a_team_csv_left_early_leaves_the_session_usable(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A download the client abandons: the stream is closed after its first batch (on
    # PostgreSQL the query still running is cancelled), and the request's session goes on.
    monkeypatch.setattr(team, "BATCH", 2)
    statement = _numbered_signers(db, "team-left", 7)
    batches = team.team_batches(db, statement=statement)
    assert len(next(batches)[0]) == 2  # two rows read, five still to come
    batches.close()
    ids = db.exec(select(Signature.id).where(col(Signature.statement_id) == statement.id)).all()
    assert len(ids) == 7
    assert b"".join(team.team_csv(db, statement=statement)) == _row_by_row(db, statement)


def test_a_team_csv_abandoned_mid_stream_does_not_hold_its_session(
    committed: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client goes away after the first batch: the response's iterator is left
    # suspended in the middle of its query. The stream session (the real dependency)
    # closes that stream before itself; closing a session under a PostgreSQL stream
    # would wait for ever, and each abandoned download would hold a thread.
    monkeypatch.setattr(team, "BATCH", 2)
    with new_session(committed) as writer:
        statement_id = _numbered_signers(writer, "team-gone", 7).id
        writer.commit()
    request: Any = SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(engine=committed)))
    dependency = get_stream_session(request)
    reader = next(dependency)
    statement = reader.get(Statement, statement_id)
    assert statement is not None
    stream = closes_with(reader, team.team_batches(reader, statement=statement))
    assert len(next(stream)[0]) == 2
    ended = threading.Event()

    def end_of_request() -> None:
        dependency.close()  # FastAPI's teardown of the dependency
        ended.set()

    # A thread, so that a regression fails here instead of hanging the suite.
    threading.Thread(target=end_of_request, daemon=True).start()
    assert ended.wait(timeout=120), "the session waited on the abandoned stream"
    assert inspect.getgeneratorstate(stream) == inspect.GEN_CLOSED  # not left to the collector
    with new_session(committed, write=False) as session:
        assert len(session.exec(select(Signature.id)).all()) == 7

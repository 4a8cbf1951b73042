"""Seeding the benchmark databases: statements made through the services, signatures in
bulk. Run with the benchmark's environment (its SECRET_KEY signs the tokens it writes):

    python -m bench.seed load --out DIR      the 10,000-signatory statement, CSRF pairs,
                                             pending signatures and their confirm links
    python -m bench.seed team --sizes 1000,100000
    python -m bench.seed documents --sizes 20000,50000
                                             one closed statement per size, every
                                             signature approved (the public exports)
    python -m bench.seed outbox --count 2000

Each prints one JSON object on standard output.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import insert, make_url, text
from sqlmodel import Session, col, select

from app.accounts import service as accounts
from app.accounts.models import User
from app.core import schema
from app.core.config import get_settings
from app.core.db import make_engine, new_session, utcnow
from app.demo import hrc58
from app.mail import service as mail
from app.security import tokens
from app.signatures.models import Signature
from app.signatures.signing import service as signatures
from app.statements import deadlines
from app.statements import service as statements
from app.statements.models import Statement
from app.statements.service import StatementInput
from bench import names

LEAD_EMAIL = "bench-lead@example.org"
CHUNK = 5000


# --- databases ----------------------------------------------------------------------


def _admin_dsn(url: str) -> str:
    return (
        make_url(url)
        .set(drivername="postgresql", database="postgres")
        .render_as_string(hide_password=False)
    )


def recreate_database(url: str) -> None:
    """An empty database at `url` (a SQLite file, or a database on the PostgreSQL server)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    with psycopg.connect(_admin_dsn(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{parsed.database}"')


def drop_database(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        recreate_database(url)
        return
    with psycopg.connect(_admin_dsn(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


# --- statements and signatures --------------------------------------------------------


def _lead(session: Session) -> User:
    user = session.exec(select(User).where(col(User.email) == LEAD_EMAIL)).first()
    if user is None:
        user = accounts.create_admin(
            session, name="Bench lead", email=LEAD_EMAIL, password=secrets.token_urlsafe(16)
        )
    return user


def open_statement(
    session: Session, *, slug: str, moderation: str = "auto_individuals"
) -> Statement:
    """The HRC58 text (22 KB of Markdown), open for 30 more days."""
    title, body = hrc58.title_and_body()
    soon = utcnow() + timedelta(days=30)
    lead = _lead(session)
    statement = statements.create_statement(
        session,
        actor=lead,
        data=StatementInput(
            title=title,
            slug=slug,
            summary="Civil society asks like-minded States to carry resolution 79/181 forward.",
            addressed_to="South Korea and other like-minded governments",
            body=body,
            coordinators="Transitional Justice Working Group (TJWG)\nNo Chain",
            contact_email="coord@example.org",
            language="en",
            moderation=moderation,
            list_order="individuals_first",
            deadline_date=soon.date().isoformat(),
            deadline_time="12:00",
            deadline_zone="Asia/Seoul",
        ),
    )
    statements.open_statement(session, statement=statement, actor=lead)
    return statement


def signature_rows(
    statement_id: int,
    version_id: int,
    people: Iterable[names.Signer],
    *,
    email_prefix: str,
    status: str,
    now: datetime,
) -> Iterator[dict[str, object]]:
    decided = status in ("approved", "rejected")
    for i, person in enumerate(people):
        email = f"{email_prefix}{i}@example.org"
        is_org = person.kind == "organisation"
        yield {
            "statement_id": statement_id,
            "kind": person.kind,
            "status": status,
            "listing": person.listing,
            "name": person.name,
            "title": "Director" if is_org else "",
            "note": person.note,
            "email": email,
            "email_key": email,
            "country": person.country,
            "organisation": person.organisation,
            "acronym": person.acronym,
            "website": f"https://org{i}.example.org" if is_org else "",
            "authorised": is_org,
            "consent_privacy": True,
            "opt_in_updates": i % 3 == 0,
            "locale": "en",
            "flags": "",
            "source": "form",
            "source_note": "",
            "nonce": secrets.token_urlsafe(12),
            "version_id": version_id if status != "pending" else None,
            "submitted_at": now,
            "confirmed_at": now if status != "pending" else None,
            "decided_at": now if decided else None,
            "ip_hash": "",
        }


def bulk_insert(session: Session, rows: Iterable[dict[str, object]]) -> int:
    batch: list[dict[str, object]] = []
    total = 0
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            session.execute(insert(Signature), batch)
            total += len(batch)
            batch = []
    if batch:
        session.execute(insert(Signature), batch)
        total += len(batch)
    return total


def _current_version_id(session: Session, statement: Statement) -> int:
    version = statements.current_version(session, statement=statement)
    assert version.id is not None
    return version.id


# --- commands -------------------------------------------------------------------------


def seed_load(url: str, *, slug: str, approved: int, pending: int, pairs: int, out: Path) -> dict:
    """The statement the load tests use, and the files the wrk scripts read."""
    started = time.perf_counter()
    schema.upgrade(url)
    engine = make_engine(url)
    now = utcnow()
    with new_session(engine) as session:
        statement = open_statement(session, slug=slug)
        version_id = _current_version_id(session, statement)
        assert statement.id is not None
        bulk_insert(
            session,
            signature_rows(
                statement.id,
                version_id,
                names.signers(approved),
                email_prefix="approved-",
                status="approved",
                now=now,
            ),
        )
        # Individuals, unflagged: confirming one approves it at once (auto_individuals).
        bulk_insert(
            session,
            signature_rows(
                statement.id,
                version_id,
                names.signers(pending, seed=7, org_share=0.0),
                email_prefix="pending-",
                status="pending",
                now=now,
            ),
        )
        session.commit()
        _analyze(session)
        links = session.exec(
            select(Signature.id, Signature.nonce)
            .where(
                col(Signature.statement_id) == statement.id,
                col(Signature.status) == "pending",
            )
            .order_by(col(Signature.id))
        ).all()
    engine.dispose()
    out.mkdir(parents=True, exist_ok=True)
    # Every request carries its own valid pair: the cookie's random value and that value
    # signed with the server's key, as the sign form would have given a browser.
    with (out / "csrf.tsv").open("w") as fh:
        for _ in range(pairs):
            raw, token = _csrf_pair()
            fh.write(f"{raw}\t{token}\t{signatures.form_token()}\n")
    with (out / "confirm.tsv").open("w") as fh:
        for signature_id, nonce in links:
            link = tokens.make_token(tokens.Purpose.CONFIRM, {"s": signature_id, "n": nonce})
            raw, token = _csrf_pair()
            fh.write(f"{link}\t{raw}\t{token}\t{signature_id}\n")
    return {
        "slug": slug,
        "statement_id": statement.id,
        "approved": approved,
        "pending": len(links),
        "csrf_pairs": pairs,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _analyze(session: Session) -> None:
    """Planner statistics, as a database that grew slowly would have them."""
    session.execute(text("ANALYZE"))
    session.commit()


def _csrf_pair() -> tuple[str, str]:
    raw = tokens.random_token()
    return raw, tokens.make_token(tokens.Purpose.CSRF, raw)


def seed_team(url: str, *, sizes: list[int]) -> dict:
    """One statement per size, its signatures in every status (for the team exports)."""
    started = time.perf_counter()
    schema.upgrade(url)
    engine = make_engine(url)
    now = utcnow()
    result: dict[str, Any] = {"statements": {}}
    statuses = ["approved"] * 6 + ["confirmed", "pending", "rejected", "withdrawn"]
    with new_session(engine) as session:
        for size in sizes:
            statement = open_statement(session, slug=f"bench-team-{size}", moderation="manual")
            assert statement.id is not None
            version_id = _current_version_id(session, statement)
            people = list(names.signers(size, seed=size))
            for index, status in enumerate(statuses):
                part = people[index :: len(statuses)]
                bulk_insert(
                    session,
                    signature_rows(
                        statement.id,
                        version_id,
                        part,
                        email_prefix=f"team{size}-{index}{status[0]}-",
                        status=status,
                        now=now,
                    ),
                )
            session.commit()
            result["statements"][str(size)] = statement.slug
        _analyze(session)
    engine.dispose()
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def seed_documents(url: str, *, sizes: list[int]) -> dict:
    """One statement per size whose signatures are all approved (Hangul and Latin names,
    a few anonymous and counted-only), written encrypted as the app writes them: the
    public exports and the final PDF are built from them by the app's own code."""
    started = time.perf_counter()
    schema.upgrade(url)
    engine = make_engine(url)
    now = utcnow()
    result: dict[str, Any] = {"statements": {}}
    with new_session(engine) as session:
        for size in sizes:
            statement = open_statement(session, slug=f"bench-doc-{size}")
            assert statement.id is not None
            version_id = _current_version_id(session, statement)
            bulk_insert(
                session,
                signature_rows(
                    statement.id,
                    version_id,
                    names.signers(size),
                    email_prefix=f"doc{size}-",
                    status="approved",
                    now=now,
                ),
            )
            session.commit()
            result["statements"][str(size)] = statement.slug
        _analyze(session)
    engine.dispose()
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def seed_outbox(url: str, *, count: int) -> dict:
    """`count` confirmation emails queued as a signature would queue them."""
    started = time.perf_counter()
    schema.upgrade(url)
    engine = make_engine(url)
    settings = get_settings()
    deadline = utcnow() + timedelta(days=14)
    with new_session(engine) as session:
        for i in range(count):
            person = f"Signer {i}"
            mail.queue_email(
                session,
                kind="signature_confirm",
                to_address=f"outbox-{i}@example.org",
                to_name=person,
                subject="Please confirm your signature: Joint statement",
                template="signature_confirm",
                context={
                    "name": person,
                    "title": "Joint statement",
                    "organisation": "",
                    "link": f"{settings.base_url}/confirm/{secrets.token_urlsafe(48)}",
                    "days": settings.signature_confirm_days,
                    "again": False,
                    "confirm_until": deadline,
                    "deadline": deadline,
                    "zone": "Europe/Zurich",
                    "describe_instant": deadlines.describe,
                },
            )
        session.commit()
    engine.dispose()
    return {"queued": count, "seconds": round(time.perf_counter() - started, 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.seed")
    sub = parser.add_subparsers(dest="command", required=True)
    load = sub.add_parser("load")
    load.add_argument("--slug", default="bench-statement")
    load.add_argument("--approved", type=int, default=10_000)
    load.add_argument("--pending", type=int, default=20_000)
    load.add_argument("--pairs", type=int, default=20_000)
    load.add_argument("--out", type=Path, required=True)
    team = sub.add_parser("team")
    team.add_argument("--sizes", default="1000,10000,100000")
    documents = sub.add_parser("documents")
    documents.add_argument("--sizes", default="100,1000,10000,20000,50000")
    outbox = sub.add_parser("outbox")
    outbox.add_argument("--count", type=int, default=2000)
    sub.add_parser("recreate")
    args = parser.parse_args(argv)
    url = get_settings().database_url
    if args.command == "recreate":
        recreate_database(url)
        result: dict = {"database": make_url(url).render_as_string()}
    elif args.command == "load":
        result = seed_load(
            url,
            slug=args.slug,
            approved=args.approved,
            pending=args.pending,
            pairs=args.pairs,
            out=args.out,
        )
    elif args.command == "team":
        result = seed_team(url, sizes=[int(s) for s in args.sizes.split(",")])
    elif args.command == "documents":
        result = seed_documents(url, sizes=[int(s) for s in args.sizes.split(",")])
    else:
        result = seed_outbox(url, count=args.count)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""Outreach at scale (issue #17): `count` invitations queued as outbox rows, in one
request's worth of work, timed in a process of its own:

    python -m bench.outreach --count 5000

A fresh migrated DATABASE_URL gets a statement and a roster of `count` organisations
(half of them writing in Korean); then `service.send_invitations` writes every
invitation and its personal email, each rendered in the invitee's language, and the
transaction commits. Prints one JSON object: the seconds to queue (target < 5 s) and
the rows written. Sending them is the outbox phase's rate (bench/scaling.py).
"""

from __future__ import annotations

import argparse
import json
import time

from sqlalchemy import func, insert
from sqlmodel import col, select

from app.core import schema
from app.core.config import get_settings
from app.core.db import make_engine, new_session
from app.mail.models import OutboxMessage
from app.outreach import service
from app.outreach.models import RosterContact, RosterSource
from bench.seed import _lead, open_statement, recreate_database

TARGET_SECONDS = 5.0


def run(url: str, *, count: int) -> dict[str, object]:
    recreate_database(url)
    schema.upgrade(url)
    engine = make_engine(url)
    with new_session(engine) as session:
        statement = open_statement(session, slug="bench-outreach")
        session.execute(
            insert(RosterContact),
            [
                {
                    "statement_id": statement.id,
                    "organisation": f"Partner organisation {i}",
                    "acronym": "",
                    "website": "",
                    "country": "KR" if i % 2 else "US",
                    "group_name": "",
                    "name": f"Contact {i}",
                    "email": f"partner-{i}@example.org",
                    "language": "ko" if i % 2 else "en",
                    "org_key": f"partner organisation {i}",
                    "site": "",
                    "source": RosterSource.CSV.value,
                }
                for i in range(count)
            ],
        )
        session.commit()
        ids = list(session.exec(select(RosterContact.id)).all())
        lead = _lead(session)
        started, cpu = time.perf_counter(), time.process_time()
        invitees = service.invitees_from_roster(
            session, statement=statement, contact_ids=[i for i in ids if i is not None]
        )
        queued = service.send_invitations(
            session, statement=statement, actor=lead, invitees=invitees
        )
        session.commit()
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu
        rows = session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(col(OutboxMessage.kind) == service.INVITE_KIND)
        ).one()
    engine.dispose()
    return {
        "invitations": queued,
        "outbox_rows": rows,
        "seconds": round(seconds, 2),
        # This process's CPU (the database's, on PostgreSQL, is apart): on a busy machine
        # the wall time says more about the neighbours than about the code.
        "cpu_seconds": round(cpu_seconds, 2),
        "per_s": round(queued / seconds),
        "target_seconds": TARGET_SECONDS,
        "met": seconds < TARGET_SECONDS and rows == count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.outreach")
    parser.add_argument("--count", type=int, default=5000)
    args = parser.parse_args()
    print(json.dumps(run(get_settings().database_url, count=args.count)))


if __name__ == "__main__":
    main()

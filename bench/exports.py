"""One export, measured in a process of its own (bench/scaling.py starts one per figure and
watches the whole process tree's memory, Typst's child included):

    python -m bench.exports model --size 20000 --out FILE
        the list model of `size` approved signatories (Hangul and Latin names, built in
        memory by the same `lists.assemble` the app uses), pickled to FILE
    python -m bench.exports public --format pdf --model FILE
        that model rendered to one public format
    python -m bench.exports team --slug bench-team-100000
        the team CSV of a seeded statement, streamed from DATABASE_URL to /dev/null

Prints one JSON object: seconds for the model or the render, bytes written, and
this process's and its children's peak RSS (getrusage).
"""

from __future__ import annotations

import argparse
import json
import pickle
import resource
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

from app.core.config import get_settings
from app.core.db import make_engine, new_session
from app.demo import hrc58
from app.lists import service as lists
from app.lists.data import SignatoryList, TeamRow
from app.lists.renderers import csvs
from app.lists.renderers import formats as exports
from app.signatures.models import Listing, Signature, SignatureStatus, SignerKind, Source
from app.statements import service as statements
from app.statements.models import ListOrder, Statement, StatementVersion
from bench import names

NOW = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def model_of(size: int) -> SignatoryList:
    title, body = hrc58.title_and_body()
    statement = Statement(
        id=1,
        slug="bench",
        language="en",
        coordinators="Transitional Justice Working Group (TJWG)\nNo Chain",
        list_order=ListOrder.INDIVIDUALS_FIRST,
        deadline_at=NOW + timedelta(days=7),
        deadline_zone="Asia/Seoul",
    )
    version = StatementVersion(
        id=1,
        statement_id=1,
        number=1,
        title=title,
        addressed_to="South Korea and other like-minded governments",
        body=body,
    )
    signatures = [
        Signature(
            id=i + 1,
            statement_id=1,
            kind=SignerKind(person.kind),
            status=SignatureStatus.APPROVED,
            listing=Listing(person.listing),
            name=person.name,
            note=person.note,
            organisation=person.organisation,
            acronym=person.acronym,
            country=person.country,
            email=f"approved-{i}@example.org",
            email_key=f"approved-{i}@example.org",
            nonce="n",
            source=Source.FORM,
            submitted_at=NOW,
        )
        for i, person in enumerate(names.signers(size))
    ]
    return lists.assemble(statement, version, signatures, as_of=NOW.date(), generated_at=NOW)


def save_model(size: int, path: Path) -> dict[str, object]:
    started = time.perf_counter()
    model = model_of(size)
    seconds = time.perf_counter() - started
    path.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    return {"model_seconds": round(seconds, 4), "entries": len(model.entries)}


def public(fmt: str, model_path: Path) -> dict[str, object]:
    model = pickle.loads(model_path.read_bytes())  # noqa: S301 (our own file)
    rss_before = _rss_kib()
    started = time.perf_counter()
    written = 0
    with open("/dev/null", "wb") as out:
        for chunk in exports.render(model, cast(exports.PublicFormat, fmt)).chunks:
            written += len(chunk)
            out.write(chunk)
    return {
        "seconds": round(time.perf_counter() - started, 4),
        "bytes": written,
        "entries": len(model.entries),
        "rss_before_kib": rss_before,
    }


def team(slug: str, database_url: str) -> dict[str, object]:
    engine = make_engine(database_url)
    rss_before = _rss_kib()
    started = time.perf_counter()
    written = rows = 0
    with new_session(engine, write=False) as session:
        statement = statements.get_by_slug(session, slug=slug)
        assert statement is not None

        def counted() -> Iterator[TeamRow]:
            nonlocal rows
            for row in lists.team_rows(session, statement=statement):
                rows += 1
                yield row

        with open("/dev/null", "wb") as out:
            for chunk in csvs.iter_team_csv(counted()):
                written += len(chunk)
                out.write(chunk)
    engine.dispose()
    return {
        "seconds": round(time.perf_counter() - started, 4),
        "bytes": written,
        "rows": rows,
        "rss_before_kib": rss_before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.exports")
    sub = parser.add_subparsers(dest="command", required=True)
    pub = sub.add_parser("public")
    pub.add_argument("--format", required=True, choices=["pdf", "docx", "csv", "xlsx"])
    pub.add_argument("--model", type=Path, required=True)
    mod = sub.add_parser("model")
    mod.add_argument("--size", type=int, required=True)
    mod.add_argument("--out", type=Path, required=True)
    tm = sub.add_parser("team")
    tm.add_argument("--slug", required=True)
    args = parser.parse_args()
    if args.command == "model":
        result = save_model(args.size, args.out)
    elif args.command == "public":
        result = public(args.format, args.model)
    else:
        result = team(args.slug, get_settings().database_url)
    usage_self = resource.getrusage(resource.RUSAGE_SELF)
    usage_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["maxrss_self_kib"] = usage_self.ru_maxrss
    result["maxrss_children_kib"] = usage_children.ru_maxrss
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

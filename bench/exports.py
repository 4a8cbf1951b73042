"""One export, measured in a process of its own (bench/scaling.py starts one per figure and
watches the whole process tree's memory, Typst's child included):

    python -m bench.exports document --slug bench-doc-20000 --format pdf [--final]
        what a lead waits for: the statement's list built from DATABASE_URL by the app's
        own code (`lists.build`, reading the encrypted rows `bench.seed documents`
        wrote), then rendered to one public format; with --final, the list the
        finalisation freezes (`finalise.preview`), its PDF rendered and signed (pyHanko)
    python -m bench.exports team --slug bench-team-100000
        the team CSV of a seeded statement, streamed from DATABASE_URL to /dev/null

Prints one JSON object: seconds for each step and in all, bytes written, and this
process's and its children's peak RSS (getrusage).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from pydantic import SecretStr

from app.core.config import Settings, get_settings
from app.core.db import make_engine, new_session, utcnow
from app.lists import service as lists
from app.lists.exports import team as team_export
from app.lists.final import service as finalise
from app.lists.final import signing
from app.lists.renderers import csvs, pdf, text
from app.lists.renderers import formats as exports
from app.statements import service as statements


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _cpu() -> float:
    """CPU seconds of this process and its finished children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _signing_settings(settings: Settings) -> Settings:
    """The bench runs as production, which signs only with a configured certificate: a
    throwaway one (the development certificate, made once in the bench's data folder)."""
    if settings.signing_p12_path is not None:
        return settings
    p12, passphrase = signing._development_certificate(settings.data_dir)
    path = settings.data_dir / signing.DEV_P12_FILE
    assert path.read_bytes() == p12
    return settings.model_copy(
        update={"signing_p12_path": path, "signing_p12_passphrase": SecretStr(passphrase.decode())}
    )


def document(slug: str, fmt: str, *, final: bool, database_url: str) -> dict[str, object]:
    """The list built from the database, rendered (and, for the final PDF, signed), as the
    public download and finalisation do it, each step timed."""
    settings = get_settings()
    if final:
        settings = _signing_settings(settings)
        # The app imports pyHanko when it first signs or verifies; a server that has
        # finalised or verified once keeps it loaded. Measured as that server: the import
        # is neither in the signing time nor missing from the memory.
        import pyhanko.pdf_utils.incremental_writer
        import pyhanko.sign  # noqa: F401
    engine = make_engine(database_url)
    rss_before = _rss_kib()
    started, cpu_started = time.perf_counter(), _cpu()
    written = 0
    with new_session(engine, write=False) as session:
        statement = statements.get_by_slug(session, slug=slug)
        assert statement is not None
        if final:
            # As finalising does it (app.lists.final.service.finalise), without writing.
            now = max(utcnow(), statement.deadline_at + timedelta(seconds=1))
            model = finalise.preview(session, statement=statement, now=now)
            carried = lists.document_translations(session, statement=statement)
        else:
            # The public download's path (app.lists.routes.statement_document), without
            # the cache: a first request after a change.
            model = text.in_language(statement.language, lists.build, session, statement=statement)
            carried = (
                lists.document_translations(session, statement=statement) if fmt == "pdf" else ()
            )
    built, cpu_built = time.perf_counter(), _cpu()
    rss_model = _rss_kib()
    sign_seconds = sign_cpu = 0.0
    with open("/dev/null", "wb") as out:
        if final:
            rendered = pdf.render_pdf(model, translations=carried)
            rendered_at, cpu_rendered = time.perf_counter(), _cpu()
            signed = signing.sign_pdf(rendered, settings=settings, reason="Bench")
            sign_seconds = time.perf_counter() - rendered_at
            sign_cpu = _cpu() - cpu_rendered
            written = len(signed)
            out.write(signed)
        else:
            chunks = exports.render(
                model, cast(exports.PublicFormat, fmt), translations=carried
            ).chunks
            for chunk in chunks:
                written += len(chunk)
                out.write(chunk)
    finished, cpu_finished = time.perf_counter(), _cpu()
    engine.dispose()
    return {
        "seconds": round(finished - started, 4),
        "build_seconds": round(built - started, 4),
        "render_seconds": round(finished - built - sign_seconds, 4),
        "sign_seconds": round(sign_seconds, 4),
        # CPU time of this process and its children (Typst) per step: on a busy machine
        # these move far less than the seconds above.
        "build_cpu_seconds": round(cpu_built - cpu_started, 4),
        "render_cpu_seconds": round(cpu_finished - cpu_built - sign_cpu, 4),
        "sign_cpu_seconds": round(sign_cpu, 4),
        "bytes": written,
        "entries": len(model.entries),
        "rss_before_kib": rss_before,
        "rss_model_kib": rss_model,
    }


def team(slug: str, database_url: str) -> dict[str, object]:
    engine = make_engine(database_url)
    rss_before = _rss_kib()
    started = time.perf_counter()
    written = rows = 0
    with new_session(engine, write=False) as session:
        statement = statements.get_by_slug(session, slug=slug)
        assert statement is not None

        def counted() -> Iterator[list[Sequence[Any]]]:
            nonlocal rows
            for batch in team_export.team_batches(session, statement=statement):
                rows += len(batch[0])
                yield batch

        with open("/dev/null", "wb") as out:
            for chunk in csvs.iter_team_csv_batches(counted()):
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
    doc = sub.add_parser("document")
    doc.add_argument("--slug", required=True)
    doc.add_argument("--format", required=True, choices=["pdf", "docx", "csv", "xlsx"])
    doc.add_argument("--final", action="store_true", help="the signed final PDF")
    tm = sub.add_parser("team")
    tm.add_argument("--slug", required=True)
    args = parser.parse_args()
    url = get_settings().database_url
    if args.command == "document":
        if args.final and args.format != "pdf":
            parser.error("--final is the signed PDF: use it with --format pdf")
        result = document(args.slug, args.format, final=args.final, database_url=url)
    else:
        result = team(args.slug, url)
    usage_self = resource.getrusage(resource.RUSAGE_SELF)
    usage_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["maxrss_self_kib"] = usage_self.ru_maxrss
    result["maxrss_children_kib"] = usage_children.ru_maxrss
    result["cpu_self_seconds"] = round(usage_self.ru_utime + usage_self.ru_stime, 3)
    result["cpu_children_seconds"] = round(usage_children.ru_utime + usage_children.ru_stime, 3)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

"""The HRC58 joint statement (a real statement, kept as published in
hrc58-joint-statement.md beside this file) as demo data: its text, and its signatory
block parsed back into the signers who signed it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

SOURCE = Path(__file__).with_name("hrc58-joint-statement.md")
BLOCK_HEADING = "Signature organizations and individuals"
AS_OF = date(2025, 3, 14)
# "must be submitted by March 21, 2025 at 1 pm (Geneva time)"
DEADLINE = datetime(2025, 3, 21, 12, 0, tzinfo=UTC)
DEADLINE_ZONE = "Europe/Zurich"


def source() -> str:
    return SOURCE.read_text(encoding="utf-8").strip()


def title_and_body() -> tuple[str, str]:
    """The title (the bold first paragraph, as plain text) and the text before the block."""
    first, rest = source().split("\n\n", 1)
    title = re.sub(r"<[^>]+>", "", first.strip().strip("*").replace("  \n", " "))
    return " ".join(title.split()), rest.split(BLOCK_HEADING)[0].strip()


def block_lines() -> list[str]:
    """The signatory block's lines, in the published order."""
    block = source().split(BLOCK_HEADING, 1)[1]
    return [line.strip() for line in block.splitlines()[1:] if line.strip()]


def signers() -> list[dict[str, str]]:
    """Sign-form values for everyone in the block: individuals carry their note in
    parentheses, organisations their acronym (short, upper-case) or nothing."""
    result = []
    for i, line in enumerate(block_lines()):
        match = re.fullmatch(r"(.+?) \((.+)\)", line)
        inner = match.group(2) if match else ""
        is_acronym = bool(inner) and inner.isupper() and " " not in inner
        if match and not is_acronym:
            result.append(
                {
                    "kind": "individual",
                    "name": match.group(1),
                    "note": inner,
                    "country": "KR",
                    "email": f"person{i}@example.org",
                    "listing": "named",
                    "consent_privacy": "true",
                }
            )
        else:
            name = match.group(1) if match else line
            result.append(
                {
                    "kind": "organisation",
                    "organisation": name,
                    "acronym": inner if is_acronym else "",
                    "name": f"Signer {i}",
                    "title": "Director",
                    "country": "KR",
                    "email": f"org{i}@example.org",
                    "listing": "named",
                    "authorised": "true",
                    "consent_privacy": "true",
                }
            )
    return result

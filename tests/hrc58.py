"""The HRC58 example as test data. The app ships a copy for `undersigned demo`;
tests/fixtures/examples keeps the published original (copied from the coalition's
examples), so a plain clone runs every test."""

from __future__ import annotations

from pathlib import Path

from app.demo.hrc58 import AS_OF, SOURCE, block_lines, signers, source, title_and_body

EXAMPLES = Path(__file__).resolve().parent / "fixtures" / "examples"
EXAMPLE = EXAMPLES / "hrc58-joint-statement.md"

__all__ = [
    "AS_OF",
    "EXAMPLE",
    "EXAMPLES",
    "SOURCE",
    "block_lines",
    "signers",
    "source",
    "title_and_body",
]

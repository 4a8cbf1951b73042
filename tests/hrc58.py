"""The HRC58 example as test data. The app ships a copy for `undersigned demo`; the
examples folder beside the checkout is the published original."""

from __future__ import annotations

from pathlib import Path

from app.demo.hrc58 import AS_OF, SOURCE, block_lines, signers, source, title_and_body

EXAMPLE = Path(__file__).resolve().parents[2] / "shared" / "examples" / "hrc58-joint-statement.md"

__all__ = ["AS_OF", "EXAMPLE", "SOURCE", "block_lines", "signers", "source", "title_and_body"]

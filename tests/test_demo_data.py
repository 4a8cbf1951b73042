"""The demo's copy of the HRC58 statement is the published one, unchanged."""

from __future__ import annotations

from tests import hrc58


def test_shipped_copy_matches_the_published_example() -> None:
    assert hrc58.SOURCE.read_bytes() == hrc58.EXAMPLE.read_bytes()


def test_the_block_parses_into_two_individuals_and_eight_organisations() -> None:
    kinds = [signer["kind"] for signer in hrc58.signers()]
    assert kinds == ["individual"] * 2 + ["organisation"] * 8
    assert hrc58.signers()[-1]["acronym"] == "TJWG"

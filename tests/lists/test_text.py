"""The list as words: inline prose, plain text and Markdown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from babel.lists import format_list
from markdown_it import MarkdownIt

from app.core.i18n import get_locale, set_locale
from app.lists.data import Counts, Entry, Group
from app.lists.renderers import text
from tests.lists import samples


@pytest.fixture(autouse=True)
def _english_interface() -> Iterator[None]:
    set_locale("en")
    yield
    set_locale("en")


def _block_paragraphs() -> list[str]:
    return samples.HRC58_BLOCK.split("\n\n")


def test_plain_text_reproduces_the_hrc58_block() -> None:
    heading, *entries = _block_paragraphs()
    individuals, organisations = entries[:2], entries[2:]
    expected = "\n\n".join(
        [samples.HRC58_TITLE, heading, "\n".join(individuals), "\n".join(organisations)]
    )
    assert text.plain_text(samples.hrc58_list()) == expected + "\n"


def test_plain_text_lines_are_the_published_lines_in_order() -> None:
    lines = [line for line in text.plain_text(samples.hrc58_list()).splitlines() if line]
    assert lines[1:] == _block_paragraphs()


def test_plain_text_puts_a_group_heading_above_its_entries() -> None:
    model = samples.hrc58_list(
        groups=(
            Group(kind="individual", heading="Individuals", entries=samples.HRC58_INDIVIDUALS),
            Group(kind="organisation", heading="Organisations", entries=()),
        )
    )
    out = text.plain_text(model)
    assert f"\n\nIndividuals\n{samples.HRC58_INDIVIDUALS[0].line}\n" in out
    assert "Organisations" not in out  # an empty group is left out


def test_inline_prose_in_english() -> None:
    prose = text.inline_prose(samples.hrc58_list())
    assert prose == (
        "This statement is signed by 8 organisations and 2 individuals from 1 country, "
        "including Kim Kyu Li and Kim Hyuk, Kim Jeong-sam, Citizens’ Alliance for North "
        "Korean Human Rights, Justice For North Korea, Korean War POW Family Association, "
        "Mulmangcho, No Chain, Stepping Stones, THINK, and Transitional Justice Working Group."
    )


def test_inline_prose_joins_in_the_lists_language_not_the_interfaces() -> None:
    set_locale("en")
    model = samples.korean_list()
    prose = text.inline_prose(model)
    names = [entry.name for entry in model.entries]
    assert format_list(names, locale="ko") in prose
    assert "전환기정의워킹그룹 및 김정삼" in prose
    assert model.summary in prose
    assert get_locale() == "en"


def test_rendering_in_the_lists_language_leaves_the_request_locale_alone() -> None:
    set_locale("ko")
    text.inline_prose(samples.hrc58_list())
    assert get_locale() == "ko"
    assert text.in_language("en", get_locale) == "en"
    assert get_locale() == "ko"


def test_inline_prose_counts_anonymous_signatories_without_naming_them() -> None:
    hidden = Entry(kind="individual", name="Anonymous signatory", anonymous=True)
    model = samples.hrc58_list(
        groups=(
            Group(kind="all", heading="", entries=(samples.HRC58_ORGANISATIONS[3], hidden, hidden)),
        )
    )
    prose = text.inline_prose(model)
    assert "Anonymous signatory" not in prose
    assert prose.endswith("including Mulmangcho and 2 signatories who asked not to be named.")
    model = samples.hrc58_list(groups=(Group(kind="all", heading="", entries=(hidden,)),))
    assert text.inline_prose(model).endswith("including 1 signatory who asked not to be named.")


def test_inline_prose_with_nobody_to_name() -> None:
    empty = samples.hrc58_list(groups=(), counts=Counts(0, 0, 0))
    assert text.inline_prose(empty) == "No one has signed this statement yet."
    counted_only = samples.hrc58_list(groups=())
    assert text.inline_prose(counted_only) == (
        f"This statement is signed by {samples.HRC58_SUMMARY}."
    )


def _markdown_items(source: str) -> list[str]:
    """The text of each list item; fails if any item holds markup (emphasis, a link…)."""
    tokens = MarkdownIt("commonmark").parse(source)
    items = []
    for opening, _paragraph, inline in zip(tokens, tokens[1:], tokens[2:], strict=False):
        if opening.type == "list_item_open":
            children = inline.children or []
            assert {child.type for child in children} == {"text"}, inline.content
            items.append("".join(child.content for child in children))
    return items


def test_markdown_has_headings_and_one_item_per_entry() -> None:
    out = text.markdown(samples.hrc58_list())
    assert out.startswith(f"# {samples.HRC58_TITLE}\n\n## {samples.HRC58_HEADING}\n\n- ")
    assert _markdown_items(out) == _block_paragraphs()[1:]
    tokens = MarkdownIt("commonmark").parse(out)
    lists = [token for token in tokens if token.type == "bullet_list_open"]
    assert len(lists) == 2  # one per group, not merged into one loose list
    assert all(token.hidden for token in tokens if token.type == "paragraph_open" and token.level)


def test_markdown_keeps_every_hostile_name_literal() -> None:
    out = text.markdown(samples.hostile_list())
    expected = [" ".join(name.split()) for name in samples.CLEAN_NAMES.values()]
    assert _markdown_items(out) == [*expected, f"Jane Doe ({samples.HOSTILE_NOTE})"]
    html = MarkdownIt("commonmark").render(out)
    assert "<script>" not in html and "<em>" not in html and "<a " not in html
    assert "<ol" not in html and "<b>" not in html


@pytest.mark.parametrize(
    "name", ["*x*", "1. First", "2) Second", "# Hash", "> Quote", "- Dash", "+ Plus", "a\\b"]
)
def test_escape_markdown_round_trips(name: str) -> None:
    tokens = MarkdownIt("commonmark").parse(text.escape_markdown(name))
    assert [token.type for token in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    assert tokens[1].children is not None
    assert "".join(child.content for child in tokens[1].children) == name


def test_plain_text_keeps_bad_input_inert_and_on_one_line() -> None:
    out = text.plain_text(samples.hostile_list())
    lines = out.splitlines()
    assert lines[0] == "=Title *with* <b>markup</b>"
    for key, clean in samples.CLEAN_NAMES.items():
        assert " ".join(clean.split()) in lines, key
    assert samples.LONG_NAME in lines
    assert not any(ch in out for ch in "\x00\x07\x1b\x7f\x85\u202e\ud800\t")
    assert "منظمة حقوق الإنسان" in out and "👩‍👩‍👧" in out

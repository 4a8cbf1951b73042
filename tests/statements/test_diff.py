"""Comparing versions of a statement: paragraphs, then words; escaped, accessible output."""

from __future__ import annotations

from markupsafe import Markup

from app.statements.text.diff import (
    DiffBlock,
    Segment,
    change_summary,
    diff_html,
    diff_markdown,
    diff_text,
)
from tests import hrc58

HRC58 = hrc58.EXAMPLE

OLD = "We call on the\ngovernments.\n\nThe quick brwon fox jumps.\n\nSincerely,"
NEW = "We call on the governments.\n\nThe quick brown fox jumps.\n\nSincerely,"


def kinds(blocks: list[DiffBlock]) -> list[str]:
    return [block.kind for block in blocks]


def test_typo_fix_is_one_word_deleted_and_inserted() -> None:
    blocks = diff_markdown(OLD, NEW)
    assert kinds(blocks) == ["same", "changed", "same"]
    assert blocks[1].segments == (
        Segment("same", "The quick "),
        Segment("delete", "brwon"),
        Segment("insert", "brown"),
        Segment("same", " fox jumps."),
    )
    assert blocks[1].old_text == "The quick brwon fox jumps."
    assert blocks[1].new_text == "The quick brown fox jumps."


def test_added_and_removed_paragraphs() -> None:
    added = diff_markdown("One.\n\nThree.", "One.\n\nTwo, new.\n\nThree.")
    assert kinds(added) == ["same", "added", "same"]
    assert added[1].segments == (Segment("insert", "Two, new."),)

    removed = diff_markdown("One.\n\nTwo, old.\n\nThree.", "One.\n\nThree.")
    assert kinds(removed) == ["same", "removed", "same"]
    assert removed[1].segments == (Segment("delete", "Two, old."),)


def test_identical_texts_are_all_same() -> None:
    blocks = diff_markdown(NEW, NEW)
    assert kinds(blocks) == ["same", "same", "same"]
    assert [b.new_text for b in blocks] == [
        "We call on the governments.",
        "The quick brown fox jumps.",
        "Sincerely,",
    ]
    assert diff_markdown("", "") == []
    assert change_summary(NEW, NEW) == (0, 0)


def test_whitespace_only_changes_are_not_changes() -> None:
    old = "Para  one\nwrapped here.  \n\n\n\n- item\n   - nested"
    new = "  Para one wrapped\r\nhere.\r\n\r\n  \t\r\n- item\n    - nested\n"
    assert kinds(diff_markdown(old, new)) == ["same", "same"]


def test_changes_inside_lists_keep_line_structure() -> None:
    old = "- a\n  - b\n- c"
    new = "- a\n  - b\n- new\n- c"
    (block,) = diff_markdown(old, new)
    assert block.kind == "changed"
    assert block.segments == (
        Segment("same", "- a\n  - b\n"),
        Segment("insert", "- new"),
        Segment("same", "\n- c"),
    )


def test_dissimilar_replacement_is_removed_then_added() -> None:
    blocks = diff_markdown(
        "Intro.\n\nCompletely different words here.\n\nEnd.",
        "Intro.\n\nNothing alike at all, truly.\n\nEnd.",
    )
    assert kinds(blocks) == ["same", "removed", "added", "same"]


def test_similar_paragraphs_pair_up_among_inserted_ones() -> None:
    old = "A.\n\nWe urge all states to act now.\n\nZ."
    new = "A.\n\nA new opening paragraph.\n\nWe urge all states to act today.\n\nZ."
    blocks = diff_markdown(old, new)
    assert kinds(blocks) == ["same", "added", "changed", "same"]
    assert change_summary(old, new) == (5, 1)


def test_wholesale_rewrite_stays_fast() -> None:
    old = "\n\n".join(f"old paragraph number {i} alpha" for i in range(60))
    new = "\n\n".join(f"new text {i} beta gamma" for i in range(60))
    blocks = diff_markdown(old, new)
    assert kinds(blocks) == ["removed"] * 60 + ["added"] * 60


def test_change_summary_counts_words() -> None:
    assert change_summary(OLD, NEW) == (1, 1)
    assert change_summary("One.", "One.\n\nThree more words.") == (3, 0)
    assert change_summary("One.\n\nTwo words.", "One.") == (0, 2)


def test_diff_html_marks_changes_accessibly() -> None:
    html = diff_html(OLD, NEW)
    assert isinstance(html, Markup)
    assert (
        '<div class="diff-block diff-changed">The quick '
        '<del><span class="visually-hidden">removed: </span>brwon</del>'
        '<ins><span class="visually-hidden">added: </span>brown</ins> fox jumps.</div>'
    ) in html
    assert '<div class="diff-block diff-same">Sincerely,</div>' in html
    assert html.startswith('<div class="diff">')


def test_diff_html_escapes_the_source() -> None:
    old = 'Keep <b>this</b> & "that".\n\n<script>alert(1)</script> old'
    new = 'Keep <b>this</b> & "that".\n\n<script>alert(2)</script> <img src=x onerror=alert(1)>'
    html = str(diff_html(old, new))
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "Keep &lt;b&gt;this&lt;/b&gt; &amp; &#34;that&#34;." in html
    assert "&lt;script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_unchanged_long_paragraphs_are_collapsed() -> None:
    long = " ".join(f"w{i}" for i in range(30))
    old, new = f"{long}\n\nThe old end.", f"{long}\n\nThe new end."
    html = diff_html(old, new)
    expected = " ".join(f"w{i}" for i in range(20)) + " …"
    assert f'<div class="diff-block diff-same">{expected}</div>' in html
    assert "w20" not in html
    assert "w29" in diff_html(old, new, collapse_after=None)
    assert diff_text(old, new) == f"{expected}\n\nThe [-old-]{{+new+}} end.\n"


def test_line_breaks_become_br_in_html() -> None:
    html = diff_html("- a\n- b", "- a\n- c")
    assert "- a<br>- <del>" in html


def test_diff_text_for_emails() -> None:
    assert diff_text(OLD, NEW) == (
        "We call on the governments.\n\nThe quick [-brwon-]{+brown+} fox jumps.\n\nSincerely,\n"
    )
    assert diff_text("x y z", "y z w") == "[-x-] y z {+w+}\n"
    assert diff_text("One.", "One.\n\nTwo.") == "One.\n\n{+Two.+}\n"


def test_deterministic() -> None:
    assert diff_markdown(OLD, NEW) == diff_markdown(OLD, NEW)
    assert diff_html(OLD, NEW) == diff_html(OLD, NEW)


def test_real_statement_with_a_date_change() -> None:
    old = HRC58.read_text(encoding="utf-8")
    new = old.replace("March 14, 2025\n", "March 15, 2025\n", 1)
    blocks = diff_markdown(old, new)
    changed = [b for b in blocks if b.kind != "same"]
    assert len(changed) == 1
    assert changed[0].segments == (
        Segment("same", "March "),
        Segment("delete", "14,"),
        Segment("insert", "15,"),
        Segment("same", " 2025"),
    )
    assert change_summary(old, new) == (1, 1)
    assert "<sup>" not in str(diff_html(old, new))


def test_huge_repetitive_paragraph_still_diffs() -> None:
    vocabulary = ["the", "of", "and", "rights", "human", "to", "in", "Korea", "a", "state"]
    old_words = [vocabulary[(i * 7) % 10] for i in range(14_000)]
    new_words = list(old_words)
    new_words[5_000] = "CHANGED"
    # How long it takes is for `make bench`; here, that it finishes and reports the change.
    added, removed = change_summary(" ".join(old_words), " ".join(new_words))
    assert added >= 1 and removed >= 1

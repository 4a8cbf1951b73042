"""Readable differences between two versions of a statement's Markdown source.

Paragraphs (separated by blank lines) are aligned first, then the words of each changed
paragraph. Words are compared without their surrounding whitespace, so re-wrapping lines or
changing spaces is not a change. The source is diffed as text, never rendered: the HTML
rendering escapes everything it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Final, Literal

from markupsafe import Markup, escape

from app.core.i18n import gettext as _

SegmentKind = Literal["same", "insert", "delete"]
BlockKind = Literal["same", "added", "removed", "changed"]

COLLAPSE_AFTER_WORDS: Final = 20
# Below this similarity two paragraphs are shown as one removed and one added, not as edits.
_PAIRING_THRESHOLD: Final = 0.5
# Pairing is quadratic; past this many candidate pairs a rewrite is shown as remove + add.
_MAX_PAIRINGS: Final = 2_500

# Past this many word pairs difflib may take seconds; it then skips very common words
# (its "autojunk"), which is fast and, for a paragraph that long, still readable.
_EXACT_WORD_PAIRS: Final = 4_000_000

_BLANK_LINES = re.compile(r"\n(?:[ \t\f\v]*\n)+")
_WORD = re.compile(r"(\s*)(\S+)")


@dataclass(frozen=True, slots=True)
class Segment:
    kind: SegmentKind
    text: str


@dataclass(frozen=True, slots=True)
class DiffBlock:
    """One paragraph of the comparison; `segments` joined give its text, with changes marked.

    Whitespace is normalised: words are single-spaced, line breaks and indentation kept.
    """

    kind: BlockKind
    segments: tuple[Segment, ...]

    @property
    def old_text(self) -> str:
        return "".join(s.text for s in self.segments if s.kind != "insert")

    @property
    def new_text(self) -> str:
        return "".join(s.text for s in self.segments if s.kind != "delete")


@dataclass(frozen=True, slots=True)
class _Word:
    # What separates it from the previous word: a line break and the line's indentation
    # (so nested lists stay readable), else one space; a paragraph's indentation comes first.
    before: str
    text: str


# --- Alignment -----------------------------------------------------------------------------


def _paragraphs(source: str) -> list[str]:
    """Paragraphs with whitespace made regular: single spaces, indentation kept."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = (_join(_words(p), leading=True) for p in _BLANK_LINES.split(text))
    return [p for p in paragraphs if p]


def _words(paragraph: str) -> list[_Word]:
    words = []
    for index, match in enumerate(_WORD.finditer(paragraph)):
        space, word = match.groups()
        _, newline, indent = space.rpartition("\n")
        if newline and index > 0:
            before = "\n" + indent
        elif index == 0:
            before = indent
        else:
            before = " "
        words.append(_Word(before, word))
    return words


def _key(paragraph: str) -> str:
    return " ".join(paragraph.split())


def _matcher(old: list[str], new: list[str]) -> SequenceMatcher[str]:
    return SequenceMatcher(None, old, new, autojunk=len(old) * len(new) > _EXACT_WORD_PAIRS)


def _similarity(old: str, new: str) -> float:
    matcher = _matcher(old.split(), new.split())
    if matcher.real_quick_ratio() < _PAIRING_THRESHOLD:
        return 0.0
    if matcher.quick_ratio() < _PAIRING_THRESHOLD:
        return 0.0
    return matcher.ratio()


def _join(words: list[_Word], *, leading: bool) -> str:
    text = "".join(w.before + w.text for w in words)
    return text if leading or not words else text[len(words[0].before) :]


def _segments(*pairs: tuple[SegmentKind, str]) -> tuple[Segment, ...]:
    """Segments with neighbours of the same kind merged and empty ones left out."""
    merged: list[Segment] = []
    for kind, text in pairs:
        if not text:
            continue
        if merged and merged[-1].kind == kind:
            merged[-1] = Segment(kind, merged[-1].text + text)
        else:
            merged.append(Segment(kind, text))
    return tuple(merged)


def _starts_line(words: list[_Word], index: int) -> bool:
    return index == 0 or "\n" in words[index].before


@dataclass(slots=True)
class _Opcode:
    """A difflib opcode: old words [a1:a2] became new words [b1:b2]."""

    tag: str
    a1: int
    a2: int
    b1: int
    b2: int


def _slide_to_line_starts(
    opcodes: list[_Opcode], old: list[_Word], new: list[_Word]
) -> list[_Opcode]:
    """Move each pure insertion or deletion, where the words allow, to start on a new line.

    difflib reports a list item added before "- c" as "- {+new\n- +}c"; shifted by one
    word it reads as the new line it is: "{+- new+}\n- c".
    """
    for k in range(1, len(opcodes)):
        previous, op = opcodes[k - 1], opcodes[k]
        following = opcodes[k + 1] if k + 1 < len(opcodes) else None
        if op.tag not in ("insert", "delete") or previous.tag != "equal":
            continue
        words, lo, hi = (new, op.b1, op.b2) if op.tag == "insert" else (old, op.a1, op.a2)
        room_before = previous.a2 - previous.a1
        room_after = following.a2 - following.a1 if following and following.tag == "equal" else 0
        shifts = [0]
        d = 0
        while -d < room_before and words[lo + d - 1].text == words[hi + d - 1].text:
            d -= 1
            shifts.append(d)
        d = 0
        while d < room_after and words[lo + d].text == words[hi + d].text:
            d += 1
            shifts.append(d)
        line_starts = [d for d in shifts if _starts_line(words, lo + d)]
        if not line_starts or 0 in line_starts:
            continue
        d = min(line_starts, key=lambda shift: (abs(shift), shift))
        previous.a2 += d
        previous.b2 += d
        op.a1, op.a2, op.b1, op.b2 = op.a1 + d, op.a2 + d, op.b1 + d, op.b2 + d
        if following is not None:
            following.a1 += d
            following.b1 += d
    return [op for op in opcodes if op.tag != "equal" or op.a2 > op.a1]


def _changed_block(old: str, new: str) -> DiffBlock:
    old_words, new_words = _words(old), _words(new)
    matcher = _matcher([w.text for w in old_words], [w.text for w in new_words])
    opcodes = [_Opcode(*op) for op in matcher.get_opcodes()]
    pairs: list[tuple[SegmentKind, str]] = []
    for op in _slide_to_line_starts(opcodes, old_words, new_words):
        a1, a2, b1, b2 = op.a1, op.a2, op.b1, op.b2
        if op.tag == "equal":
            # After words deleted from the start, the new first word needs a separator.
            separator = old_words[a1].before if pairs and b1 == 0 else ""
            pairs.append(("same", separator + _join(new_words[b1:b2], leading=True)))
            continue
        # The space before a change stays outside <ins>/<del>: "the [-brwon-]{+brown+} fox".
        first = new_words[b1] if b2 > b1 else old_words[a1]
        pairs.append(("same", first.before))
        pairs.append(("delete", _join(old_words[a1:a2], leading=False)))
        pairs.append(("insert", _join(new_words[b1:b2], leading=False)))
    return DiffBlock("changed", _segments(*pairs))


def _pair_up(old: list[str], new: list[str]) -> list[DiffBlock]:
    """Blocks for a run of old paragraphs replaced by new ones, pairing the similar ones."""
    removed = [DiffBlock("removed", _segments(("delete", p))) for p in old]
    added = [DiffBlock("added", _segments(("insert", p))) for p in new]
    if len(old) * len(new) > _MAX_PAIRINGS:
        return removed + added
    blocks: list[DiffBlock] = []
    next_new = 0
    for i, paragraph in enumerate(old):
        best, best_score = None, 0.0
        for j in range(next_new, len(new)):
            score = _similarity(paragraph, new[j])
            if score >= _PAIRING_THRESHOLD and score > best_score:
                best, best_score = j, score
        if best is None:
            blocks.append(removed[i])
            continue
        blocks.extend(added[next_new:best])
        blocks.append(_changed_block(paragraph, new[best]))
        next_new = best + 1
    blocks.extend(added[next_new:])
    return blocks


def diff_markdown(old: str, new: str) -> list[DiffBlock]:
    """Paragraph-by-paragraph comparison of two Markdown sources, in the new text's order."""
    old_paragraphs, new_paragraphs = _paragraphs(old), _paragraphs(new)
    matcher = SequenceMatcher(
        None, [_key(p) for p in old_paragraphs], [_key(p) for p in new_paragraphs], autojunk=False
    )
    blocks: list[DiffBlock] = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            blocks.extend(DiffBlock("same", _segments(("same", p))) for p in new_paragraphs[b1:b2])
        elif tag == "insert":
            blocks.extend(
                DiffBlock("added", _segments(("insert", p))) for p in new_paragraphs[b1:b2]
            )
        elif tag == "delete":
            blocks.extend(
                DiffBlock("removed", _segments(("delete", p))) for p in old_paragraphs[a1:a2]
            )
        else:
            blocks.extend(_pair_up(old_paragraphs[a1:a2], new_paragraphs[b1:b2]))
    return blocks


def change_summary(old: str, new: str) -> tuple[int, int]:
    """(words added, words removed) between two versions."""
    added = removed = 0
    for block in diff_markdown(old, new):
        for segment in block.segments:
            if segment.kind == "insert":
                added += len(segment.text.split())
            elif segment.kind == "delete":
                removed += len(segment.text.split())
    return added, removed


# --- Renderings ----------------------------------------------------------------------------


def _abbreviate(text: str, words: int | None) -> str:
    """The first `words` words of an unchanged paragraph, then "…"."""
    if words is None:
        return text
    matches = list(_WORD.finditer(text))
    if len(matches) <= words:
        return text
    return text[: matches[words - 1].end()] + " …"


_INS: Final = Markup('<ins><span class="visually-hidden">{}</span>{}</ins>')
_DEL: Final = Markup('<del><span class="visually-hidden">{}</span>{}</del>')


def _html_text(text: str) -> Markup:
    # <br> and no newline, so a stylesheet may use `white-space: pre-wrap` to show indentation.
    return Markup("<br>").join(escape(line) for line in text.split("\n"))


def diff_html(old: str, new: str, *, collapse_after: int | None = COLLAPSE_AFTER_WORDS) -> Markup:
    """An accessible HTML comparison, every character of the sources escaped.

    Markup: `div.diff` holding one `div.diff-block.diff-{same,added,removed,changed}` per
    paragraph; changes in `<ins>`/`<del>`, each starting with a `span.visually-hidden`
    ("added:"/"removed:") for screen readers that do not announce them. Unchanged
    paragraphs longer than `collapse_after` words are cut short with "…" (None: never).
    """
    added_label = escape(_("added:")) + " "
    removed_label = escape(_("removed:")) + " "
    parts = [Markup('<div class="diff">\n')]
    for block in diff_markdown(old, new):
        parts.append(Markup('<div class="diff-block diff-{}">').format(block.kind))
        for segment in block.segments:
            if segment.kind == "insert":
                parts.append(_INS.format(added_label, _html_text(segment.text)))
            elif segment.kind == "delete":
                parts.append(_DEL.format(removed_label, _html_text(segment.text)))
            elif block.kind == "same":
                parts.append(_html_text(_abbreviate(segment.text, collapse_after)))
            else:
                parts.append(_html_text(segment.text))
        parts.append(Markup("</div>\n"))
    parts.append(Markup("</div>\n"))
    return Markup("").join(parts)


def diff_text(old: str, new: str, *, collapse_after: int | None = COLLAPSE_AFTER_WORDS) -> str:
    """A plain-text comparison for emails: "[-removed-]{+added+}", paragraphs blank-line apart.

    Unchanged paragraphs longer than `collapse_after` words are cut short with "…".
    """
    paragraphs: list[str] = []
    for block in diff_markdown(old, new):
        pieces: list[str] = []
        for segment in block.segments:
            if segment.kind == "insert":
                pieces.append(f"{{+{segment.text}+}}")
            elif segment.kind == "delete":
                pieces.append(f"[-{segment.text}-]")
            elif block.kind == "same":
                pieces.append(_abbreviate(segment.text, collapse_after))
            else:
                pieces.append(segment.text)
        paragraphs.append("".join(pieces))
    return "\n\n".join(paragraphs) + ("\n" if paragraphs else "")

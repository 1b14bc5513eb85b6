"""A readable word-level diff between two policy texts, section by section (pure).

Both texts are rendered and reduced to their visible text, so readers compare
what they read, not Markdown syntax. Sections are matched by their heading
anchor (``## 4. … {#s4}``), blocks (paragraphs, list items) are aligned first,
then words within changed blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from html.parser import HTMLParser
from typing import Literal

from gateway.policy.rendering import render

ChunkKind = Literal["equal", "insert", "delete"]
Status = Literal["unchanged", "changed", "added", "removed"]

_TOKEN = re.compile(r"\w+|\s+|[^\w\s]", re.UNICODE)
_BLOCK_TAGS = {"p", "li", "h3", "h4", "pre", "blockquote", "dt", "dd", "tr"}
_INTRO = ""
# Share of words two paragraphs must have in common to be shown as one edited paragraph.
SIMILAR = 0.5
_NUMBERED = re.compile(r"^\s*(\d+(?:\.\d+)*)[.)]?\s")


@dataclass(frozen=True)
class Chunk:
    kind: ChunkKind
    text: str


@dataclass(frozen=True)
class BlockDiff:
    status: Status
    chunks: tuple[Chunk, ...]


@dataclass(frozen=True)
class SectionDiff:
    anchor: str
    title: tuple[Chunk, ...]
    status: Status
    blocks: tuple[BlockDiff, ...]


@dataclass(frozen=True)
class PolicyDiff:
    sections: tuple[SectionDiff, ...]
    words_inserted: int
    words_deleted: int

    @property
    def changed(self) -> bool:
        return any(s.status != "unchanged" for s in self.sections)


@dataclass
class _Section:
    anchor: str
    title: str
    blocks: list[str] = field(default_factory=list)


class _TextExtractor(HTMLParser):
    """Second-level headings start sections; block elements become text blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[_Section] = [_Section(_INTRO, "")]
        self._in_heading = False
        self._in_block = 0
        self._skip = 0
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "a" and "headerlink" in (attributes.get("class") or ""):
            self._skip += 1
        elif tag == "h2":
            self._flush()
            anchor = attributes.get("id") or f"section-{len(self.sections)}"
            self.sections.append(_Section(anchor, ""))
            self._in_heading = True
        elif tag in _BLOCK_TAGS:
            self._flush()
            self._in_block += 1
        elif tag == "br":
            self._buffer.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._skip:
            self._skip -= 1
        elif tag == "h2" and self._in_heading:
            self.sections[-1].title = _normalise("".join(self._buffer))
            self._buffer = []
            self._in_heading = False
        elif tag in _BLOCK_TAGS:
            self._flush()
            self._in_block = max(0, self._in_block - 1)

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._buffer.append(data)

    def _flush(self) -> None:
        text = _normalise("".join(self._buffer))
        self._buffer = []
        if text and not self._in_heading:
            self.sections[-1].blocks.append(text)

    def close(self) -> None:
        super().close()
        self._flush()


def _normalise(text: str) -> str:
    return re.sub(r"[ \t\r\f\v]+", " ", re.sub(r"\s*\n\s*", "\n", text)).strip()


def sections_of(markdown_text: str) -> list[tuple[str, str, list[str]]]:
    """(anchor, title, text blocks) per section; the untitled preamble has anchor ''."""
    parser = _TextExtractor()
    parser.feed(render(markdown_text, "", permalinks=False).html)
    parser.close()
    return [
        (s.anchor, s.title, s.blocks) for s in parser.sections if s.anchor != _INTRO or s.blocks
    ]


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _is_trivial(text: str) -> bool:
    """Equal runs this short between two changes read better folded into the change."""
    return len([t for t in tokens(text) if not t.isspace()]) <= 1 and len(text) <= 12


def word_diff(old: str, new: str) -> tuple[Chunk, ...]:
    """Chunks of equal, deleted and inserted text turning ``old`` into ``new``."""
    a, b = tokens(old), tokens(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    raw: list[Chunk] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            raw.append(Chunk("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            raw.append(Chunk("delete", "".join(a[i1:i2])))
        if j2 > j1:
            raw.append(Chunk("insert", "".join(b[j1:j2])))
    return _merge(_fold_trivial_equals(raw))


def _fold_trivial_equals(chunks: list[Chunk]) -> list[Chunk]:
    folded: list[Chunk] = []
    for index, chunk in enumerate(chunks):
        between_changes = (
            0 < index < len(chunks) - 1
            and chunks[index - 1].kind != "equal"
            and chunks[index + 1].kind != "equal"
        )
        if chunk.kind == "equal" and between_changes and _is_trivial(chunk.text):
            folded.extend([Chunk("delete", chunk.text), Chunk("insert", chunk.text)])
        else:
            folded.append(chunk)
    return folded


def _merge(chunks: list[Chunk]) -> tuple[Chunk, ...]:
    """Adjacent changes become one deletion followed by one insertion."""
    merged: list[Chunk] = []
    pending_delete: list[str] = []
    pending_insert: list[str] = []

    def flush() -> None:
        if pending_delete:
            merged.append(Chunk("delete", "".join(pending_delete)))
        if pending_insert:
            merged.append(Chunk("insert", "".join(pending_insert)))
        pending_delete.clear()
        pending_insert.clear()

    for chunk in chunks:
        if chunk.kind == "delete":
            pending_delete.append(chunk.text)
        elif chunk.kind == "insert":
            pending_insert.append(chunk.text)
        else:
            flush()
            if merged and merged[-1].kind == "equal":
                merged[-1] = Chunk("equal", merged[-1].text + chunk.text)
            elif chunk.text:
                merged.append(chunk)
    flush()
    return tuple(merged)


def _whole(kind: ChunkKind, text: str) -> tuple[Chunk, ...]:
    return (Chunk(kind, text),) if text else ()


def _similarity(old: str, new: str) -> float:
    words_old = [t for t in tokens(old) if not t.isspace()]
    words_new = [t for t in tokens(new) if not t.isspace()]
    return SequenceMatcher(None, words_old, words_new, autojunk=False).ratio()


def _pair_blocks(olds: list[str], news: list[str]) -> list[BlockDiff]:
    """Edited paragraphs are paired with their most similar predecessor, in order;
    a rewritten paragraph reads better as removed + added than as a word soup."""
    result: list[BlockDiff] = []
    start = 0
    for new in news:
        best, best_ratio = None, SIMILAR
        for index in range(start, len(olds)):
            ratio = _similarity(olds[index], new)
            if ratio > best_ratio:
                best, best_ratio = index, ratio
        if best is None:
            result.append(BlockDiff("added", _whole("insert", new)))
            continue
        result.extend(BlockDiff("removed", _whole("delete", t)) for t in olds[start:best])
        result.append(BlockDiff("changed", word_diff(olds[best], new)))
        start = best + 1
    result.extend(BlockDiff("removed", _whole("delete", t)) for t in olds[start:])
    return result


def diff_blocks(old: list[str], new: list[str]) -> tuple[BlockDiff, ...]:
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    result: list[BlockDiff] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            result.extend(BlockDiff("unchanged", _whole("equal", t)) for t in old[i1:i2])
        else:
            result.extend(_pair_blocks(old[i1:i2], new[j1:j2]))
    return tuple(result)


def diff_policies(old_markdown: str, new_markdown: str) -> PolicyDiff:
    """The section-by-section word diff of two policy bodies (Markdown)."""
    old_sections = sections_of(old_markdown)
    new_sections = sections_of(new_markdown)
    partner = _match_sections(old_sections, new_sections)
    old_by_anchor = {anchor: (title, blocks) for anchor, title, blocks in old_sections}
    kept = set(partner.values())

    ordered: list[SectionDiff] = []
    # Removed sections are shown where they stood: after the section that preceded them.
    removed_after: dict[str, list[SectionDiff]] = {}
    previous = "\0start"
    for anchor, title, blocks in old_sections:
        if anchor not in kept:
            removed_after.setdefault(previous, []).append(
                SectionDiff(
                    anchor,
                    _whole("delete", title),
                    "removed",
                    tuple(BlockDiff("removed", _whole("delete", b)) for b in blocks),
                )
            )
        else:
            previous = anchor
    ordered.extend(removed_after.get("\0start", []))
    for anchor, title, blocks in new_sections:
        old_anchor = partner.get(anchor)
        if old_anchor is not None:
            old_title, old_blocks = old_by_anchor[old_anchor]
            block_diffs = diff_blocks(old_blocks, blocks)
            same_title = old_title == title
            title_diff = _whole("equal", title) if same_title else word_diff(old_title, title)
            unchanged = same_title and all(b.status == "unchanged" for b in block_diffs)
            status: Status = "unchanged" if unchanged else "changed"
            ordered.append(SectionDiff(anchor, title_diff, status, block_diffs))
            ordered.extend(removed_after.get(old_anchor, []))
        else:
            ordered.append(
                SectionDiff(
                    anchor,
                    _whole("insert", title),
                    "added",
                    tuple(BlockDiff("added", _whole("insert", b)) for b in blocks),
                )
            )

    inserted = deleted = 0
    for section in ordered:
        for chunk in _all_chunks(section):
            words = len([t for t in tokens(chunk.text) if not t.isspace()])
            if chunk.kind == "insert":
                inserted += words
            elif chunk.kind == "delete":
                deleted += words
    return PolicyDiff(tuple(ordered), inserted, deleted)


def _section_number(title: str) -> str | None:
    match = _NUMBERED.match(title)
    return match[1] if match else None


def _match_sections(
    old: list[tuple[str, str, list[str]]], new: list[tuple[str, str, list[str]]]
) -> dict[str, str]:
    """New section anchor → old section anchor: same anchor first, then same number ("3.")."""
    old_anchors = {anchor for anchor, _t, _b in old}
    partner = {anchor: anchor for anchor, _t, _b in new if anchor in old_anchors}
    taken = set(partner.values())
    old_by_number: dict[str, str] = {}
    for anchor, title, _blocks in old:
        number = _section_number(title)
        if anchor not in taken and number and number not in old_by_number:
            old_by_number[number] = anchor
    for anchor, title, _blocks in new:
        number = _section_number(title)
        if anchor in partner or not number or number not in old_by_number:
            continue
        partner[anchor] = old_by_number.pop(number)
    return partner


def _all_chunks(section: SectionDiff) -> list[Chunk]:
    chunks = list(section.title)
    for block in section.blocks:
        chunks.extend(block.chunks)
    return chunks

"""The word-level, section-by-section diff (pure)."""

from __future__ import annotations

from gateway.policy.diff import Chunk, diff_policies, sections_of, word_diff

BASE = """\
Preamble text.

## 1. Data we collect {#s1}

We collect names and e-mails.

We use cookies.

## 2. Requests {#s2}

Requests are answered within 30 days after receiving.

## 3. Refunds {#s3}

Call [+7 495 988 3345](tel:+74959883345).
"""


def test_word_diff_marks_exactly_the_changed_words() -> None:
    assert word_diff("answered within 30 days", "answered within 10 working days") == (
        Chunk("equal", "answered within "),
        Chunk("delete", "30"),
        Chunk("insert", "10 working"),
        Chunk("equal", " days"),
    )


def test_word_diff_of_equal_text_is_one_equal_chunk() -> None:
    assert word_diff("same words", "same words") == (Chunk("equal", "same words"),)


def test_short_common_words_between_changes_are_folded_into_the_change() -> None:
    chunks = word_diff(
        "takes all necessary steps protect the database",
        "takes every reasonable step to protect the database",
    )
    assert chunks == (
        Chunk("equal", "takes "),
        Chunk("delete", "all necessary steps"),
        Chunk("insert", "every reasonable step to"),
        Chunk("equal", " protect the database"),
    )


def test_sections_are_read_from_rendered_text_not_markdown_syntax() -> None:
    sections = sections_of(BASE)
    assert [s[0] for s in sections] == ["", "s1", "s2", "s3"]
    assert sections[3] == ("s3", "3. Refunds", ["Call +7 495 988 3345."])


def test_identical_policies_have_no_changes() -> None:
    result = diff_policies(BASE, BASE)
    assert not result.changed
    assert (result.words_inserted, result.words_deleted) == (0, 0)
    assert {s.status for s in result.sections} == {"unchanged"}


def test_changed_paragraph_is_diffed_within_its_section() -> None:
    new = BASE.replace("within 30 days", "within 10 working days")
    result = diff_policies(BASE, new)
    by_anchor = {s.anchor: s for s in result.sections}
    assert by_anchor["s1"].status == "unchanged"
    assert by_anchor["s2"].status == "changed"
    (block,) = by_anchor["s2"].blocks
    assert block.status == "changed"
    assert Chunk("delete", "30") in block.chunks
    assert Chunk("insert", "10 working") in block.chunks
    assert (result.words_inserted, result.words_deleted) == (2, 1)


def test_added_and_removed_paragraphs_and_sections() -> None:
    new = BASE.replace("We use cookies.\n\n", "").replace(
        "## 3. Refunds {#s3}",
        "## 4. Analytics {#s4}\n\nOnly impersonal statistics.\n\n## 3. Refunds {#s3}",
    )
    result = diff_policies(BASE, new)
    by_anchor = {s.anchor: s for s in result.sections}
    assert [b.status for b in by_anchor["s1"].blocks] == ["unchanged", "removed"]
    assert by_anchor["s1"].blocks[1].chunks == (Chunk("delete", "We use cookies."),)
    assert by_anchor["s4"].status == "added"
    assert by_anchor["s4"].title == (Chunk("insert", "4. Analytics"),)
    assert by_anchor["s4"].blocks[0].chunks == (Chunk("insert", "Only impersonal statistics."),)
    assert [s.anchor for s in result.sections] == ["", "s1", "s2", "s4", "s3"]

    back = diff_policies(new, BASE)
    removed = {s.anchor: s for s in back.sections}["s4"]
    assert removed.status == "removed"
    assert removed.blocks[0].chunks == (Chunk("delete", "Only impersonal statistics."),)
    # A removed section stays where it stood: after section 2.
    assert [s.anchor for s in back.sections] == ["", "s1", "s2", "s4", "s3"]


def test_renamed_heading_is_matched_by_its_number() -> None:
    old = "## 2. Requests\n\nAnswered in 30 days.\n"
    new = "## 2. Your requests\n\nAnswered in 30 days.\n"
    (section,) = diff_policies(old, new).sections
    assert section.status == "changed"
    assert any(c.kind == "insert" and "Your" in c.text for c in section.title)
    assert section.blocks[0].status == "unchanged"


def test_diff_works_on_cyrillic_words() -> None:
    chunks = word_diff("в течение 30 дней", "в течение 10 рабочих дней")
    assert Chunk("delete", "30") in chunks
    assert Chunk("insert", "10 рабочих") in chunks


def test_edited_paragraph_is_paired_with_its_old_self_and_rewrites_are_not() -> None:
    old = "## 4. Data {#s4}\n\nYou can change your data online.\n\nRequests take 30 days.\n"
    new = "## 4. Data {#s4}\n\nRequests take 10 working days.\n\nCall us for anything else.\n"
    (section,) = diff_policies(old, new).sections
    assert [b.status for b in section.blocks] == ["removed", "changed", "added"]
    assert section.blocks[0].chunks == (Chunk("delete", "You can change your data online."),)
    assert Chunk("delete", "30") in section.blocks[1].chunks
    assert section.blocks[2].chunks == (Chunk("insert", "Call us for anything else."),)

"""Policy Markdown → safe HTML, and version 1 as the seed text."""

from __future__ import annotations

from gateway.policy.rendering import render, split_title, substitute
from gateway.policy.store import SEED_DIR


def seed(lang: str) -> tuple[str, str]:
    return split_title((SEED_DIR / f"v1.{lang}.md").read_text(encoding="utf-8"), lang)


def test_leading_heading_becomes_the_title() -> None:
    assert split_title("# Policy 2027\n\n## 1. One\n\nText\n", "en") == (
        "Policy 2027",
        "## 1. One\n\nText\n",
    )


def test_text_without_a_title_gets_the_default_title_of_its_language() -> None:
    assert split_title("## 1. One\n\nText", "ru")[0] == "Политика конфиденциальности"
    assert split_title("Just text", "en") == ("Privacy Policy", "Just text\n")


def test_version_one_has_every_seed_section_as_an_anchored_heading() -> None:
    title, body = seed("en")
    rendered = render(body, "privacy@hottelecom.example")
    assert title == "Privacy Policy"
    assert [e.anchor for e in rendered.toc] == ["statement", *(f"s{n}" for n in range(1, 8))]
    assert rendered.toc[3].title == "3. Terms of disclosure"
    assert '<h2 id="s6">6. Reimbursement policies' in rendered.html
    # Seed wording is kept; only the Joomla artefacts are gone.
    assert "within 30 days after receiving" in rendered.html
    assert "JavaScript" not in rendered.html
    assert "protected from spambots" not in rendered.html


def test_version_one_links_email_phone_and_contacts() -> None:
    for lang in ("en", "ru"):
        _title, body = seed(lang)
        html = render(body, "dpo@hottelecom.example").html
        assert html.count('href="mailto:dpo@hottelecom.example"') == 2, lang
        assert ">dpo@hottelecom.example</a>" in html
        assert '<a href="tel:+74959883345"' in html
        assert ">+7 495 988 3345</a>" in html
        assert '<a href="/contact"' in html


def test_russian_version_has_the_same_anchors_as_english() -> None:
    en = render(seed("en")[1], "x@y.example").toc
    ru = render(seed("ru")[1], "x@y.example").toc
    assert [e.anchor for e in ru] == [e.anchor for e in en]
    assert ru[1].title == "1. Собираемая информация"
    assert seed("ru")[0] == "Политика конфиденциальности"


def test_contact_email_is_not_read_as_markdown_or_html() -> None:
    html = render(
        "Write to [{{contact_email}}](mailto:{{ contact_email }}).", "a_b_c@x.example"
    ).html
    assert '<a href="mailto:a_b_c@x.example"' in html
    assert ">a_b_c@x.example</a>" in html
    assert "<em>" not in html
    hostile = render("[{{contact_email}}](mailto:{{contact_email}})", '"><script>x</script>').html
    assert "<script>" not in hostile


def test_substitute_gives_markdown_as_readers_see_it() -> None:
    assert substitute("at {{contact_email}} or {{ contact_email }}", "p@x") == "at p@x or p@x"


def test_scripts_handlers_and_javascript_links_are_removed() -> None:
    hostile = (
        "## Title {#s1}\n\n"
        "<script>alert(1)</script>\n\n"
        '<img src="x" onerror="alert(2)">\n\n'
        "[click](javascript:alert(3)) "
        '<a href="JaVaScRiPt:alert(4)" onclick="alert(5)">raw</a> '
        '<iframe src="https://evil.example"></iframe> <p style="color:red">styled</p>\n\n'
        '## Bad anchor {#a"onmouseover=alert(6)}\n'
    )
    html = render(hostile, "p@x").html
    lowered = html.lower()
    for forbidden in ("<script", "alert(", "onerror", "onclick", "javascript:", "<iframe", "<img"):
        assert forbidden not in lowered, forbidden
    assert "style=" not in lowered
    assert ">click</a>" in html  # the text stays, the dangerous target goes
    assert '<h2 id="s1">' in html


def test_permalinks_can_be_left_out() -> None:
    assert "headerlink" in render("## A {#a}", "p@x").html
    assert "headerlink" not in render("## A {#a}", "p@x", permalinks=False).html

"""Hebrew, Arabic and English catalogs: complete, with the same placeholders as the source."""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).parent.parent / "refusal_site" / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)s")


@pytest.mark.parametrize("lang", ["he", "ar"])
def test_every_message_is_translated_with_its_placeholders(lang):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    with open(TRANSLATIONS / "messages.pot", "rb") as f:
        template = read_po(f)
    assert {m.id for m in template if m.id} <= {m.id for m in catalog if m.id}, "run make extract-messages"
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(PLACEHOLDER.findall(" ".join(ids)))
        assert "fuzzy" not in message.flags, message.id
        for string in strings:
            assert string, f"{lang}: untranslated {message.id!r}"
            assert set(PLACEHOLDER.findall(string)) == wanted, (lang, message.id, string)


def test_templates_wrap_their_text_for_translation():
    """No bare English sentence in a template: text between tags must go through _()."""
    templates = Path(__file__).parent.parent / "refusal_site" / "templates"
    for path in templates.rglob("*.html"):
        text = re.sub(r"{[{%#].*?[}%#]}", "", path.read_text(), flags=re.S)
        bare = [t.strip() for t in re.findall(r">([^<>]+)<", text) if re.search(r"[A-Za-z]{3,}", t)]
        assert not bare, (path.name, bare)


def test_sanitized_html_is_marked_safe_in_one_place_each():
    """A letter's HTML, and an About or Privacy text (sanitized the same way), each in its own partial."""
    templates = Path(__file__).parent.parent / "refusal_site" / "templates"
    uses = sorted((p.name, line) for p in templates.rglob("*") if p.is_file() for line in p.read_text().splitlines() if "|safe" in line)
    assert uses == [
        ("_letter.html", '  <div class="letter-body">{{ shown.body_html|safe }}</div>'),
        ("_site_page.html", '<div class="site-page-text">{{ body_html|safe }}</div>'),
    ]


# Hebrew speaks to the reader as the pages do, whoever they are: impersonally ("יש לפתוח", "אפשר
# למשוך", "שלך"), never in the plural, with a slash for two genders, or in the masculine.
HEBREW_OTHER_ADDRESS = re.compile(
    r"[\u05d0-\u05ea]/[\u05d0-\u05ea]"  # את/ה, חותם/ת
    r"|(?<![\u05d0-\u05ea])(לכם|שלכם|אתכם|לעצמכם|אליכם|עליכם|פתחו|לחצו|שמרו|סמנו|החילו|פנו|תקנו|השאירו|שלחו|בדקו|נסו|תאשרו|תציגו"
    r"|אינך מסכים|ככותב|המנחים|למנחים|מנחה)(?![\u05d0-\u05ea])"
)


def test_hebrew_addresses_the_reader_in_one_form():
    with open(TRANSLATIONS / "he" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    other = [
        (message.id, string, found.group(0))
        for message in catalog if message.id
        for string in (message.string if isinstance(message.string, tuple) else (message.string,))
        for found in [HEBREW_OTHER_ADDRESS.search(string)] if found
    ]
    assert not other, other


@pytest.mark.parametrize("lang", ["he", "ar"])
def test_no_right_to_left_sentence_ends_with_left_to_right_letters(lang):
    """A right-to-left line shows the full stop or colon after a left-to-right word on that word's
    far side, as if it began it (".name@example.org", ":JSON"): such an example goes in parentheses
    that open with a word of the language, or the sentence ends with a word of its own."""
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    ending = re.compile(r"[A-Za-z@]\s*[.:]$")
    found = [
        string for message in catalog if message.id
        for string in (message.string if isinstance(message.string, tuple) else (message.string,))
        if ending.search(PLACEHOLDER.sub("\u05d0", string))
    ]
    assert not found, found

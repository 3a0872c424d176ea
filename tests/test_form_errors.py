"""A form's errors read as plain sentences in every language: the summary adds no colon after a
label that already ends a sentence, and no message ends with a left-to-right example that a
right-to-left line would show with the full stop in front of it (".name@example.org")."""

import re

import pytest

from tests.pages import hidden_fields

# Punctuation that ends a label or a sentence, then more of it: "above.:", "about?:", "….".
DOUBLED = re.compile(r"[.?!…:؟]\s*[.:]")
SUMMARY_ITEM = re.compile(r'<div class="error-summary".*?</div>', re.S)


def summary_items(html: str) -> list[str]:
    (summary,) = SUMMARY_ITEM.findall(html)
    return [" ".join(re.sub(r"<[^>]+>", "", item).split()) for item in re.findall(r"<li>(.*?)</li>", summary, re.S)]


@pytest.mark.parametrize("lang", ["he", "ar", "en"])
def test_the_summary_of_a_letter_without_consent_and_address_doubles_no_punctuation(client, lang):
    form = hidden_fields(client.get(f"/submit?lang={lang}"))
    form.update(display_name="Noa", language=lang, body="x", contact_email="noa@@bad", website="")
    response = client.post("/submit", data=form)
    assert response.status_code == 400
    items = summary_items(response.get_data(as_text=True))
    assert len(items) == 3, items  # the address and both consents
    assert not [item for item in items if DOUBLED.search(item)], items
    # The label that is a sentence is followed by its error, the label that is a name by a colon.
    assert all(re.search(r"[.:]\s\S", item) for item in items), items


@pytest.mark.parametrize("lang", ["he", "ar", "en"])
def test_the_contact_forms_question_takes_no_colon(client, lang):
    form = hidden_fields(client.get(f"/contact?lang={lang}"))
    form.update(message="Hello", website="")
    items = summary_items(client.post("/contact", data=form).get_data(as_text=True))
    assert items and not [item for item in items if DOUBLED.search(item)], items


@pytest.mark.parametrize("lang", ["he", "ar"])
def test_the_address_error_in_a_right_to_left_language_ends_with_its_own_letters(client, lang):
    form = hidden_fields(client.get(f"/submit?lang={lang}"))
    form.update(display_name="Noa", language=lang, body="x", contact_email="noa@@bad", consent_name="y", consent_public="y", website="")
    html = client.post("/submit", data=form).get_data(as_text=True)
    (error,) = re.findall(r'<p class="field-error" id="contact_email-error">(.*?)</p>', html, re.S)
    error = " ".join(error.split())
    assert "name@example.org" in error
    # Not "…name@example.org." (the full stop would stand before the address on screen).
    assert not re.search(r"[A-Za-z@]\s*[.:]$", error), error

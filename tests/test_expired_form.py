"""A letter can take longer to write than a form's token lives: sent after that, it comes back whole,
with a fresh token, instead of a page that loses it."""

import time

import pytest

from tests.pages import hidden_fields, outbox, page_of
from tests.test_submit import HEBREW_TEXT, stored_letters, valid_form


@pytest.fixture
def app_config(app_config):
    return {**app_config, "WTF_CSRF_TIME_LIMIT": 1}


def test_a_letter_sent_after_its_form_expired_comes_back_whole_and_can_be_sent_again(client, app):
    form = valid_form(client)
    time.sleep(2.2)  # token ages are counted in whole seconds
    response = client.post("/submit?lang=en", data=form)
    assert response.status_code == 400
    page = page_of(response)
    assert "Everything you wrote is still here" in page.visible_text
    assert page.value("body").replace("\r\n", "\n") == HEBREW_TEXT and page.value("display_name") == "נועה כהן"
    fresh = hidden_fields(response)
    assert fresh["csrf_token"] != form["csrf_token"] and fresh["submission_key"] == form["submission_key"]
    assert stored_letters() == [] and outbox(app) == []

    again = client.post("/submit", data={**form, "csrf_token": fresh["csrf_token"]})
    assert again.status_code == 303 and len(stored_letters()) == 1


def test_other_forms_and_other_refusals_still_get_the_plain_page(client):
    form = valid_form(client)
    forged = client.post("/submit?lang=en", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 400 and "This form has expired" in forged.get_data(as_text=True)
    assert page_of(forged).value("body") is None, "a token that was never ours shows nothing back"
    resend = hidden_fields(client.get("/submit/resend"))
    time.sleep(2.2)  # token ages are counted in whole seconds
    late = client.post("/submit/resend?lang=en", data={**resend, "contact_email": "noa@private.example"})
    assert late.status_code == 400 and page_of(late).value("contact_email") is None

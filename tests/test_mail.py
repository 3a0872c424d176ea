"""Mail goes out through a real SMTP server when one is configured, else into the outbox."""

import pytest

from refusal_site import mail
from tests.pages import hidden_fields, links_in, outbox


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_TLS": False}


def test_a_submission_is_confirmed_through_a_real_smtp_server(client, app, smtp_server):
    form = hidden_fields(client.get("/submit"))
    form.update(display_name="سامي حلبي", language="ar", body="أرفض الخدمة.", contact_email="sami@private.example",
                consent_name="y", consent_public="y")
    assert client.post("/submit", data=form).status_code == 303
    ((recipients, message),) = smtp_server.messages
    assert recipients == ["sami@private.example"]
    assert message["Content-Language"] == "ar"
    assert "سامي حلبي" in message.get_content()
    assert len(links_in(message)) == 2
    assert outbox(app) == [], "with a server configured nothing goes to the outbox"


def test_header_injection_through_a_recipient_is_impossible(app, smtp_server):
    with pytest.raises(ValueError):
        mail.compose("links", "a@example.org\r\nBcc: victim@example.org", language="en", letter=None, manage_url="x")

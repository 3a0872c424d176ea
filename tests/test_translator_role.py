"""A translator signs in like any member of the team but opens nothing that decides letters or shows
contact addresses: only their account and the translation pages."""

import pytest

from tests.factories import make_letter


@pytest.fixture
def translator(client, login_as):
    return login_as(client, "translator")


def test_a_translator_lands_on_the_translations_not_on_the_queue(client, translator):
    response = client.get("/moderate/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/moderate/translations")
    assert client.get("/moderate/account").status_code == 200


@pytest.mark.parametrize("path", ["/moderate/letters/{id}", "/moderate/signatures", "/moderate/inbox", "/moderate/audit", "/moderate/team"])
def test_a_translator_cannot_open_decisions_addresses_or_the_team(client, translator, path):
    letter = make_letter("pending", contact_email="private@example.org")
    response = client.get(path.format(id=letter.public_id))
    assert response.status_code == 403
    assert b"private@example.org" not in response.data

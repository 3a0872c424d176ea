"""Private links stay private: pages behind them name no page to anyone, and a letter that is not public
any more leaves no cached PDF behind."""

import subprocess

import pytest

from refusal_site import letters, published, tokens
from refusal_site.compilation import assembly, cache, cleanup, selection, unprintable
from refusal_site.models import LetterStatus
from tests.factories import make_collective, make_letter, make_signature
from tests.pages import hidden_fields


def test_every_page_behind_a_private_link_sends_no_referrer(app, client):
    letter = make_letter(status=LetterStatus.UNCONFIRMED, language="en")
    collective = make_collective(language="en")
    from refusal_site import signatures

    signature = signatures.sign(collective, display_name="Dana Katz", contact_email="dana@private.example", submission_key="s" * 20)
    links = {
        "letter-confirm": tokens.make(tokens.Purpose.CONFIRM, letter),
        "letter-manage": tokens.make(tokens.Purpose.MANAGE, letter),
        "signature-confirm": tokens.make(tokens.Purpose.SIGNATURE_CONFIRM, signature),
        "signature-manage": tokens.make(tokens.Purpose.SIGNATURE_MANAGE, signature),
    }
    private = [rule for rule in app.url_map.iter_rules() if "token" in rule.arguments]
    assert len(private) >= 6
    for rule in private:
        purpose = ("signature-" if "signature" in rule.endpoint else "letter-") + ("confirm" if "confirm" in rule.rule else "manage")
        path = rule.rule.replace("<token>", links[purpose])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(path, method=method)
            assert response.headers["Referrer-Policy"] == "no-referrer", (method, rule.rule, response.status_code)
        # A link that is not (or no longer) valid too: its address is still someone's key.
        assert client.get(rule.rule.replace("<token>", "x" * 40)).headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/").headers["Referrer-Policy"] == "same-origin"
    assert client.get(f"/letters/{collective.public_id}").headers["Referrer-Policy"] == "same-origin"


def cached(public_id: str) -> list[str]:
    """Cached files that hold the letter's pages or text, by what pdftotext reads in them."""
    folder = cache.folder()
    found = []
    for path in folder.rglob("*.pdf"):
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
        if public_id in text:
            found.append(path.relative_to(folder).as_posix())
    return found


@pytest.mark.pdf
def test_a_withdrawn_letter_leaves_no_cached_pdf_at_once(app, client):
    staying = make_letter(language="en", display_name="Avi Staying", body_text="I stay public. Marker staying-marker.")
    leaving = make_letter(language="en", display_name="Dana Leaving", body_text="I leave soon. Marker leaving-marker.")
    assembly.build(selection.Selection(), "en")
    assembly.build(selection.Selection(language="en"), "en")
    assert client.get(f"/letters/{leaving.public_id}.pdf").status_code == 200
    assert client.get(f"/letters/{staying.public_id}.pdf").status_code == 200
    assert cached("leaving-marker") and cached("staying-marker")
    manage = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, leaving)}"
    response = client.post(f"{manage}/withdraw", data={**hidden_fields(client.get(manage)), "understood": "y"})
    assert response.status_code == 303
    assert cached("leaving-marker") == [], "no file of this machine's cache holds the withdrawn letter"
    assert any(path.startswith("letters/") for path in cached("staying-marker")), "another letter's own PDF stays"
    # The next build makes the compilations again, without it.
    again = assembly.build(selection.Selection(), "en")
    assert "staying-marker" in subprocess.run(["pdftotext", str(again.path), "-"], capture_output=True, text=True).stdout


@pytest.mark.pdf
def test_the_builder_service_of_another_machine_forgets_what_was_withdrawn_elsewhere(app):
    leaving = make_letter(language="he", body_text="מכתב שיימחק. סימן leaving-marker.")
    pending = make_letter(status=LetterStatus.PENDING, language="he", body_text="ממתין. סימן waiting-marker.")
    assembly.build(selection.Selection(), "he")
    unprintable.render_problem(pending)  # a moderator's review of the waiting letter renders its pages
    assert cached("leaving-marker") and cached("waiting-marker")
    sweep = cleanup.Forgetting()
    assert sweep.sweep() == 0, "nothing was taken away yet"
    letters.withdraw(leaving)  # on another machine: nothing of this cache was touched
    letters.reject(pending, by="test", reason="not verifiable")
    assert cached("leaving-marker")
    # This machine's service built the compilation again (without it) before its sweep saw why.
    fresh = assembly.build(selection.Selection(language="he"), "he")
    assert sweep.sweep() > 0
    assert cached("leaving-marker") == [] and cached("waiting-marker") == []
    assert fresh.path.exists(), "a compilation without the letter stays"
    assert assembly.existing(selection.Selection(), "he") is None, "the one with it went"
    assembly.build(selection.Selection(), "he")
    assert sweep.sweep() == 0, "each decision is acted on once: the new compilation stays"
    assert assembly.existing(selection.Selection(), "he") is not None


@pytest.mark.pdf
def test_a_signer_who_leaves_and_a_correction_leave_no_cached_pdf_of_what_went(app, client, login_as):

    letter = make_collective(language="en", display_name="Yael Bar", body_text="We will not fly. Marker old-text.")
    leaving = make_signature(letter, name="Dana Leavingsigner")
    assembly.build(selection.Selection(), "en")
    assert client.get(f"/letters/{letter.public_id}.pdf").status_code == 200
    assert cached("Leavingsigner")
    manage = f"/my-signature/{tokens.make(tokens.Purpose.SIGNATURE_MANAGE, leaving)}"
    assert client.post(f"{manage}/withdraw", data={**hidden_fields(client.get(manage)), "understood": "y"}).status_code == 303
    assert cached("Leavingsigner") == []
    # A correction on another machine: this machine's service sweeps the earlier text away.
    assembly.build(selection.Selection(), "en")
    assert client.get(f"/letters/{letter.public_id}.pdf").status_code == 200
    assert cached("old-text")
    sweep = cleanup.Forgetting()
    sweep.sweep()
    admin = login_as(app.test_client(), role="admin")
    letters.edit(published.published_letter(letter.public_id), by=admin, display_name="Yael Bar", descriptor=None, title=None,
                 body_text="We will not fly. Marker new-text.", reason="typo")
    assert sweep.sweep() > 0
    assert cached("old-text") == []

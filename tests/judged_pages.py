"""Every kind of page a person can reach, with data behind it, for the outside judges (the Nu HTML
Checker and axe-core): public pages, forms (also showing their errors), private links, moderation."""

from dataclasses import dataclass, field

from refusal_site import author_translations, contact, letter_translations, letters, moderators, pauses, press_previews, tokens
from refusal_site.compilation import unprintable
from refusal_site.extensions import db
from refusal_site.models import LetterStatus, Role, utcnow
from tests.factories import make_collective, make_letter, make_signature, make_translation

MODERATOR_EMAIL = "judged@team.example"
MODERATOR_PASSWORD = "a long enough password"


@dataclass
class Pages:
    public: list[str]
    forms_with_errors: list[str]  # POSTed empty (with a CSRF token): the page shows its errors
    # Each field with a limit sent over it: the page keeps the text, shows the error and the counter
    overlong: list[str]
    moderation: list[str]
    admin: list[str]  # open to admins only
    # Decisions that ask to confirm: the reason sent from the letter's review page (the URL without
    # its last part) shows the confirming page
    to_confirm: list[str]
    # Public pages that answer other than 200: a page not found, a GET form shown with its errors
    answers: dict[str, int] = field(default_factory=dict)


def make_pages() -> Pages:
    letter = make_letter(title="לא בשמי", descriptor="סרן (מיל׳)")
    arabic = make_letter(language="ar")
    make_letter(language="en", title="Not in my name")
    collective = make_collective(title="מכתב הטייסים")
    # Translated: the original offers its translations, each page marked as one (by the author, by the team).
    make_translation(letter, "en")
    make_translation(letter, "ar", approved_by="team")
    signed = [make_signature(collective) for _ in range(5)]
    # Hidden for now by its signer (the button that shows it again), and by the team (no button).
    hidden_by_signer = pauses.pause_signature(signed[3])
    hidden_by_team = signed[4]
    pauses.hide_signatures({hidden_by_team.id: hidden_by_team.revision}, by="judged", reason="Threats")
    pending_signature = make_signature(collective, "pending")
    unconfirmed = make_letter(LetterStatus.UNCONFIRMED)
    pending = make_letter(LetterStatus.PENDING)
    new_signature = make_signature(collective, "unconfirmed")
    hidden = make_letter(language="en", title="Hidden for a while")
    pauses.pause(hidden)
    # Stored before the sanitizer bounded markup: the queue's banner lists it, its review page warns.
    deep = make_letter(LetterStatus.PENDING, language="en")
    deep.body_html = "<p>" + "<em> " * 250 + "deep" + " </em>" * 250 + "</p>"
    db.session.commit()
    assert unprintable.render_problem(deep)
    moderators.create(MODERATOR_EMAIL, MODERATOR_PASSWORD)
    # Translations: one waiting for its author (their private page shows it with its buttons), one
    # sent back with a comment and saved again (the team's page shows the comment and a version).
    translator = moderators.create("words@team.example", MODERATOR_PASSWORD, role=Role.TRANSLATOR)
    waiting = letter_translations.save(collective, "en", by=translator, title="Not in my name", body_text="I refuse.\n\nI write under my name.", expected_revision=0)
    letter_translations.send_to_author(waiting, by=translator, expected_revision=waiting.revision)
    returned = letter_translations.save(arabic, "he", by=translator, title=None, body_text="אני מסרב לשרת.", expected_revision=0)
    returned = letter_translations.send_to_author(returned, by=translator, expected_revision=returned.revision)
    returned = letter_translations.send_back(returned, comment="السطر الثاني ناقص.", expected_revision=returned.revision)
    letter_translations.save(arabic, "he", by=translator, title=None, body_text="אני מסרב לשרת. זו החלטתי.", expected_revision=returned.revision)
    assert pending_signature
    # Translations by authors: one waiting for the team's check (the list, its page), one the team sent
    # back with a reason (its author's private page shows the reason, the form holds the text), and one
    # given with a letter still in the queue (its review page shows it, with the boxes to publish it too).
    checked_by = moderators.create("checker@team.example", MODERATOR_PASSWORD)
    author_translations.write(arabic, "en", title="I refuse", body_text="I refuse to serve.\n\nIn my own words.", expected_revision=0)
    sent_back_letter = make_letter(language="en", title="Sent back")
    sent_back = author_translations.write(sent_back_letter, "he", title=None, body_text="אני מסרב לשרת.", expected_revision=0)
    author_translations.send_back(sent_back, by=checked_by, reason="חסרה השורה השנייה.", expected_revision=sent_back.revision)
    given_with = letters.confirm(letters.submit(display_name="נועה כהן", language="he", title="לא בשמי", body_text="אני מסרבת לשרת.",
                                                contact_email="noa@private.example",
                                                second_text=author_translations.SecondText(language="ar", title="لا باسمي", body_text="أرفض الخدمة.")))  # fmt: skip
    press = contact.receive(kind="press", name="דנה לוי", reply_email="dana@press.example", body="שאלה לעיתון.\nשורה שנייה.", language="he")
    contact.receive(kind="question", name=None, reply_email=None, body="A question in English.", language="en")
    # An embargo of a titled letter and an untitled one, and a press preview of it, made as the admins' page makes one.
    embargo_at = utcnow().replace(year=2099, microsecond=0)
    for embargoed in (make_letter(LetterStatus.PENDING, title="מכתב תחת אמברגו"), make_letter(LetterStatus.PENDING, language="ar")):
        letters.schedule(embargoed, by="judged", at=embargo_at)
    maker = moderators.create("preview-maker@team.example", MODERATOR_PASSWORD)
    [(_preview, preview_token)] = press_previews.create(embargo_at, ["דנה לוי (הארץ), Sami Haddad (Al-Quds)"], by=maker)
    return Pages(
        public=[
            "/",
            "/letters",
            "/letters?language=he",  # its Hebrew letter translated: in English and Arabic, the translation
            "/letters?language=he&since=2000-01-01&collective=no",  # the filters chosen, each with its way out
            "/letters?since=2026-02-30&until=x&language=xx&collective=maybe",  # the filters' errors next to their fields
            "/letters?q=%D7%91%D7%A9%D7%9E%D7%99&descriptor=%D7%A1%D7%A8%D7%9F",  # search results, their words marked
            "/letters?q=x",  # a search without a word to search for
            f"/letters/{letter.public_id}",
            f"/letters/{letter.public_id}/en",
            f"/letters/{letter.public_id}/ar",
            f"/letters/{collective.public_id}",
            "/press",
            "/press/range?since=2000-01-01&until=1999-01-01&language=xx",  # the form's errors next to its fields
            "/press/range?until=2000-01-01",  # days that hold no letter
            "/submit",
            "/submit/sent",
            "/submit/resend",
            f"/letters/{collective.public_id}/sign",
            f"/letters/{collective.public_id}/sign/sent",
            f"/confirm/{tokens.make(tokens.Purpose.CONFIRM, unconfirmed)}",
            f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, pending)}",
            # Published (the button that hides it at once) and hidden for now (the one that shows it again).
            f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}",
            # A translation waiting for the author's approval, with its two buttons.
            f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, collective)}",
            f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, hidden)}",
            # The author's own translation, waiting for the team's check; and one sent back with a reason.
            f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, arabic)}",
            f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, sent_back_letter)}",
            # Before confirmation: the address and text can be corrected.
            f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, unconfirmed)}",
            f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, unconfirmed)}/text",
            f"/signature/confirm/{tokens.make(tokens.Purpose.SIGNATURE_CONFIRM, new_signature)}",
            f"/my-signature/{tokens.make(tokens.Purpose.SIGNATURE_MANAGE, new_signature)}",
            # Published (the button that hides it at once), hidden by its signer and by the team.
            *(f"/my-signature/{tokens.make(tokens.Purpose.SIGNATURE_MANAGE, s)}" for s in (signed[0], hidden_by_signer, hidden_by_team)),
            "/confirm/not-a-real-token",
            "/letters/AAAAAAAAAAAA",
            "/contact",
            "/contact/sent",
            "/about",
            "/privacy",
            "/embed/count?lang=ar&size=small",
            f"/press/preview/{preview_token}",
        ],
        overlong=["/submit", f"/letters/{collective.public_id}/sign"],
        forms_with_errors=["/submit", f"/letters/{collective.public_id}/sign", "/submit/resend", "/contact"],
        moderation=[
            "/moderate/",
            "/moderate/?state=published",
            f"/moderate/letters/{pending.public_id}",
            f"/moderate/letters/{given_with.public_id}",
            f"/moderate/letters/{deep.public_id}",
            f"/moderate/letters/{hidden.public_id}",
            f"/moderate/letters/{collective.public_id}",
            f"/moderate/letters/{letter.public_id}/edit",
            "/moderate/signatures",
            f"/moderate/signatures?letter={collective.public_id}",
            "/moderate/account",
            "/moderate/translations",
            "/moderate/translations?language=ar",
            f"/moderate/translations/{collective.public_id}/en",
            f"/moderate/translations/{arabic.public_id}/he",
            "/moderate/translations/by-authors",
            f"/moderate/translations/by-authors/{arabic.public_id}/en",
            f"/moderate/translations/by-authors/{sent_back_letter.public_id}/he",
            "/moderate/inbox",
            f"/moderate/inbox/{press.id}",
        ],
        to_confirm=[f"/moderate/letters/{pending.public_id}/reject", f"/moderate/letters/{letter.public_id}/unpublish"],
        admin=["/moderate/team", "/moderate/audit", "/moderate/pages", "/moderate/pages/about/he", "/moderate/pages/privacy/ar", "/moderate/delay-notice",
               "/moderate/reasons", "/moderate/reasons/new", "/moderate/reasons/1", "/moderate/press-previews",
               # The emergency hide of co-signatures, and showing again those the team hid.
               "/moderate/signatures?state=published", "/moderate/signatures?state=paused"],
        answers={
            "/confirm/not-a-real-token": 404,
            "/letters/AAAAAAAAAAAA": 404,
            "/press/range?since=2000-01-01&until=1999-01-01&language=xx": 400,
            "/press/range?until=2000-01-01": 400,
            "/letters?since=2026-02-30&until=x&language=xx&collective=maybe": 400,
            "/letters?q=x": 400,
        },
    )

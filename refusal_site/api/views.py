"""The public JSON API. The public shape of a letter is defined here, once."""

from flask import Blueprint, abort, current_app, json, redirect, request

from .. import letters, published, search, signatures, translated
from . import openapi
from ..http import site_url
from ..models import Letter, Signature, Translation
from ..page_cache import cached_response
from ..paging import PageOutOfRange, encode_cursor
from ..params import few_spellings, filter_params, letter_filter, list_place, page_number

bp = Blueprint("api", __name__)


@bp.after_request
def _readable_from_any_site(response):
    """Any site's script may read the public API (GET only, never with the reader's cookies: there
    is no Access-Control-Allow-Credentials, so a browser sends none)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def public_letter(letter: Letter, translations: list[Translation]) -> dict:
    """Everything the public may know of a letter and its public translations (translated.py), and nothing else."""
    return {
        "id": letter.public_id,
        "url": site_url("public.letter", public_id=letter.public_id),
        "display_name": letter.display_name,
        "descriptor": letter.descriptor,
        "language": letter.language,
        "direction": letter.direction,
        "title": letter.title,
        "text": letter.body_text,
        "html": letter.body_html,
        "published_at": letter.published_at.isoformat(),
        "corrected_at": letter.corrected_at.isoformat() if letter.corrected_at else None,
        "collective": letter.collective,
        "open_for_signing": letter.open_for_signing,
        "signatures": letter.signatures_published if letter.collective else 0,
        "signers_url": site_url("api.signers", public_id=letter.public_id) if letter.collective else None,
        "translations": [public_translation(letter, translation) for translation in translations],
    }


def public_translation(letter: Letter, translation: Translation) -> dict:
    """A public translation of a letter: its words, where it is read, and who approved it."""
    return {
        "language": translation.language,
        "direction": translation.direction,
        "url": site_url("public.letter_in", public_id=letter.public_id, language=translation.language),
        "title": translation.title,
        "text": translation.body_text,
        "html": translation.body_html,
        "approved_by": translation.approved_by,
        "approved_at": translation.approved_at.isoformat(),
    }


def public_signer(signature: Signature) -> dict:
    """Everything the public may know of a co-signer: the name and descriptor they chose to publish."""
    return {"display_name": signature.display_name, "descriptor": signature.descriptor}


def _json(payload: dict) -> str:
    return json.dumps(payload)


@bp.get("/openapi.json")
def openapi_document():
    return _json(openapi.document(site_url("api.count").removesuffix("/count"))), {"Content-Type": "application/json"}


@bp.get("/count")
def count():
    def render() -> str:
        tally = letters.public_state()
        return _json(
            {
                "count": tally.refusers,
                "breakdown": {
                    "letters": tally.letters,
                    "signatures": tally.signatures,
                    "letters_by_language": {code: tally.letters_in(code) for code in ("he", "ar", "en")},
                },
                "last_published_at": tally.last_published_at.isoformat() if tally.last_published_at else None,
            }
        )

    return cached_response("api-count", render, "application/json")


@bp.get("/letters")
def letter_list():
    """Published letters, newest first, filtered as the HTML list is, a page at a time: `next` and
    `previous` are the addresses of the pages beside this one (cursors), null at the ends."""
    form, chosen = letter_filter()
    shown, place = filter_params(form), list_place(chosen)
    if place.moved:
        return redirect(site_url("api.letter_list", **place.params, **shown), 302)

    def render() -> str:
        found = published.letter_slice(chosen, current_app.config["LETTERS_PER_PAGE"], letters.public_state(), after=place.after, before=place.before)
        versions = translated.translations_of_many(found.items)
        link = lambda name, key: site_url("api.letter_list", **{name: encode_cursor(key)}, **shown) if key else None  # noqa: E731
        terms = list(chosen.terms)
        return _json(
            {
                # A search's results say where its words are: the excerpt, escaped, each word found in <mark>.
                "letters": [
                    {**public_letter(letter, versions[letter.id]), "excerpt": str(search.excerpt(letter, terms))} if terms else public_letter(letter, versions[letter.id])
                    for letter in found.items
                ],
                "total": found.total,
                # A search is ranked unless it finds more letters than are ranked (search.CANDIDATES).
                "order": "relevance" if found.ranked else "newest",
                "next": link("after", found.older),
                "previous": link("before", found.newer),
            }
        )

    return cached_response("api-letters", render, "application/json", keep=few_spellings(chosen), **shown, **place.params)


@bp.get("/letters/<public_id>")
def letter(public_id: str):
    def render() -> str:
        found = published.published_letter(public_id)
        if found is None:
            abort(404)
        return _json(public_letter(found, translated.translations_of(found)))

    return cached_response("api-letter", render, "application/json", public_id=public_id)


@bp.get("/letters/<public_id>/signers")
def signers(public_id: str):
    number = page_number()

    def render() -> str:
        found = published.published_letter(public_id)
        if found is None or not found.collective:
            abort(404)
        try:
            page = signatures.signer_page(found, number, current_app.config["SIGNERS_PER_PAGE"])
        except PageOutOfRange:
            abort(404)
        link = lambda n: site_url("api.signers", public_id=public_id, page=n) if n else None  # noqa: E731
        return _json(
            {
                "letter": public_id,
                "signers": [public_signer(signature) for signature in page.items],
                "page": page.number,
                "pages": page.pages,
                "total": page.total,
                "next": link(page.number + 1 if page.has_next else None),
                "previous": link(page.number - 1 if page.has_previous else None),
            }
        )

    return cached_response("api-signers", render, "application/json", public_id=public_id, page=number)

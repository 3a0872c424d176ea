"""The public site: home page with the count, the list of letters, each letter, the Atom feed."""

from flask import Blueprint, abort, current_app, render_template

from .. import letters, published, signatures
from ..page_cache import cached_response
from ..paging import PageOutOfRange
from ..params import language_filter, page_number

bp = Blueprint("public", __name__)


@bp.get("/")
def index():
    return cached_response(
        "index",
        lambda: render_template(
            "public/index.html", tally=letters.public_state(), latest=published.latest_published(current_app.config["LATEST_LETTERS"])
        ),
    )


@bp.get("/letters")
def letter_list():
    number, language = page_number(), language_filter()

    def render() -> str:
        tally = letters.public_state()
        try:
            page = published.published_page(number, current_app.config["LETTERS_PER_PAGE"], tally, language)
        except PageOutOfRange:
            abort(404)
        return render_template("public/letters.html", page=page, language=language, tally=tally)

    return cached_response("letters", render, page=number, language=language)


@bp.get("/letters/<public_id>")
def letter(public_id: str):
    number = page_number()

    def render() -> str:
        found = published.published_letter(public_id)
        if found is None:
            abort(404)
        signers = None
        if found.collective:
            try:
                signers = signatures.signer_page(found, number, current_app.config["SIGNERS_PER_PAGE"])
            except PageOutOfRange:
                abort(404)
        elif number != 1:
            abort(404)
        return render_template("public/letter.html", letter=found, signers=signers)

    return cached_response("letter", render, public_id=public_id, page=number)


@bp.get("/feed.atom")
def feed():
    return cached_response(
        "feed",
        lambda: render_template(
            "public/feed.atom.xml", tally=letters.public_state(), entries=published.latest_published(current_app.config["LATEST_LETTERS"])
        ),
        mimetype="application/atom+xml",
    )

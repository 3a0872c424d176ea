"""The public site: home page with the count, the list of letters, each letter, the Atom feed, and the
site's own pages (About, Privacy)."""

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, url_for
from flask_babel import gettext

from .. import letters, published, search, search_text, signatures, site_pages, translated
from ..i18n import current_language
from ..models import Language, SitePageSlug
from ..http import no_store
from ..page_cache import cached_response
from ..paging import PageOutOfRange, encode_cursor
from ..params import BadParameters, few_spellings, filter_params, language_filter, letter_filter, list_place, page_number
from ..urls import site_url
from . import sharing

bp = Blueprint("public", __name__)
bp.add_app_template_filter(encode_cursor, "cursor")


@bp.get("/")
def index():
    def render() -> str:
        tally = letters.public_state()
        latest = published.latest_published(current_app.config["LATEST_LETTERS"])
        return render_template("public/index.html", tally=tally, latest=latest, into=translated.translations_into(latest, current_language()))

    return cached_response("index", render)


@bp.get("/letters")
def letter_list():
    """The letters, newest first, filtered, a page at a time (?after= / ?before= a cursor)."""
    try:
        form, chosen = letter_filter()
        place = list_place(chosen)
    except BadParameters as bad:
        if bad.form is None:
            raise  # a damaged link, not a choice in the form: the error page says so
        # The form again, with what is wrong next to each field; no letters under a wrong filter.
        page = render_template("public/letters.html", form=bad.form, shown=None, tally=letters.public_state())
        return no_store(make_response(page, 400))
    shown = filter_params(form)
    if place.moved:
        return redirect(url_for("public.letter_list", **place.params, **shown), 302)

    def render() -> str:
        tally = letters.public_state()
        found = published.letter_slice(chosen, current_app.config["LETTERS_PER_PAGE"], tally, after=place.after, before=place.before)
        # Each letter in the reader's language where it has a public translation into it; a search's
        # results in their own words, where the words found are.
        into = translated.translations_into(found.items, current_language()) if not chosen.terms else {}
        excerpts = {letter.id: search.excerpt(letter, list(chosen.terms)) for letter in found.items} if chosen.terms else {}
        return render_template("public/letters.html", form=form, shown=shown, place=place.params, found=found, chosen=chosen, tally=tally, into=into,
                               excerpts=excerpts, cut=search_text.query_terms_cut(shown["q"] or ""), ranked_among=search.CANDIDATES)

    return cached_response("letters", render, keep=few_spellings(chosen), **shown, **place.params)


@bp.get("/letters/<public_id>")
def letter(public_id: str):
    return _letter_page(public_id, None)


@bp.get(f"/letters/<public_id>/<any({', '.join(Language)}):language>")
def letter_in(public_id: str, language: str):
    """A letter in one of its public translations (404 where it has none in `language`)."""
    return _letter_page(public_id, language)


def _letter_page(public_id: str, language: str | None):
    number = page_number()

    def render() -> str:
        tally = letters.public_state()  # first: it releases an embargo whose time has come
        found = published.published_letter(public_id)
        if found is None:
            abort(404)
        translations = translated.translations_of(found)
        translation = next((shown for shown in translations if shown.language == language), None)
        if language and translation is None:
            abort(404)
        signers = None
        if found.collective:
            try:
                signers = signatures.signer_page(found, number, current_app.config["SIGNERS_PER_PAGE"])
            except PageOutOfRange:
                abort(404)
        elif number != 1:
            abort(404)
        heading = found.title or gettext("A letter from %(name)s", name=found.display_name)
        return render_template(
            "public/letter.html",
            letter=found,
            translation=translation,
            translations=translations,
            signers=signers,
            tally=tally,
            neighbours=published.neighbours(found),
            share=sharing.share_links(site_url("public.letter", public_id=public_id), heading, heading),
        )

    return cached_response("letter", render, public_id=public_id, page=number, language=language)


@bp.get("/feed.atom")
def feed():
    """The latest letters, of every language, or those a reader of one can read in it (?language=):
    written in it, or translated into it (shown in the translation)."""
    language = language_filter()

    def render() -> str:
        tally = letters.public_state()
        limit = current_app.config["LATEST_LETTERS"]
        if language is None:
            entries = [(letter, None) for letter in published.latest_published(limit)]
        else:
            entries = translated.published_in(language, limit)
        return render_template("public/feed.atom.xml", tally=tally, entries=entries, language=language)

    return cached_response("feed", render, mimetype="application/atom+xml", language=language)


@bp.get("/about")
def about():
    return _site_page(SitePageSlug.ABOUT)


@bp.get("/privacy")
def privacy():
    return _site_page(SitePageSlug.PRIVACY)


def _site_page(slug: SitePageSlug):
    # Cached like every public page: an admin's edit moves the public revision (site_pages.save).
    return cached_response(
        slug.value, lambda: render_template("public/site_page.html", slug=slug.value, body_html=site_pages.html(slug, current_language()))
    )

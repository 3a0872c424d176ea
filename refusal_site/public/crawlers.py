"""What search engines are told: robots.txt keeps private links and moderation out, and the
sitemap lists every public page (each letter and each of its public translations, with their language versions). Private pages also say
noindex themselves (refusal_site/http.py), for crawlers that ignore robots.txt."""

import re

from flask import Blueprint, Response, abort, current_app, render_template
from sqlalchemy import func, select

from .. import letters, published, translated
from ..extensions import db
from ..http import is_indexable
from ..models import Letter, LetterStatus
from ..page_cache import cached_response
from ..urls import site_url

bp = Blueprint("crawlers", __name__)

# Letters per sitemap file (the protocol allows 50,000).
LETTERS_PER_SITEMAP = 10_000
# Sitemaps an index may list (the protocol's limit): a higher number names none.
SITEMAPS_PER_INDEX = 50_000
# Public pages that are not letters, by endpoint.
SITE_PAGES = ("public.index", "public.letter_list", "press.press", "public.about", "public.privacy", "submit.submit", "submit.contact_form")


@bp.get("/robots.txt")
def robots():
    """Every route no search engine should index (http.is_indexable), as a pattern: a private
    link's token, a letter's id, become a wildcard."""
    patterns = sorted({re.sub(r"<[^>]+>.*$", "", rule.rule) or "/" if rule.rule.endswith(">") else re.sub(r"<[^>]+>", "*", rule.rule)
                       for rule in current_app.url_map.iter_rules() if rule.endpoint != "static" and not is_indexable(rule)})
    shortest = [pattern for pattern in patterns if not any(pattern != other and pattern.startswith(other) for other in patterns)]
    lines = ["User-agent: *", *(f"Disallow: {pattern}" for pattern in shortest), f"Sitemap: {site_url('crawlers.sitemap_index')}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap_index():
    def render() -> str:
        letters.public_state()
        count = db.session.execute(select(func.count()).where(Letter.status == LetterStatus.PUBLISHED)).scalar_one()
        files = max(1, -(-count // LETTERS_PER_SITEMAP))
        return render_template("public/sitemap_index.xml", files=range(1, files + 1))

    return cached_response("sitemap-index", render, "application/xml")


@bp.get("/sitemap-pages.xml")
def sitemap_pages():
    return cached_response(
        "sitemap-pages", lambda: render_template("public/sitemap.xml", pages=[(endpoint, {}, None) for endpoint in SITE_PAGES]), "application/xml"
    )


@bp.get("/sitemap-letters-<int:number>.xml")
def sitemap_letters(number: int):
    def render() -> str:
        letters.public_state()
        query = (
            published.published_letters()
            .order_by(None)
            .order_by(Letter.published_at.asc(), Letter.id.asc())
            .offset((number - 1) * LETTERS_PER_SITEMAP)
            .limit(LETTERS_PER_SITEMAP)
        )
        found = db.session.execute(query).scalars().all()
        if not found and number != 1:
            abort(404)
        shown = translated.translations_of_many(found)
        pages = []
        for letter in found:
            pages.append(("public.letter", {"public_id": letter.public_id}, letter.corrected_at or letter.published_at))
            pages += [("public.letter_in", {"public_id": letter.public_id, "language": translation.language}, translation.approved_at)
                      for translation in shown[letter.id]]
        return render_template("public/sitemap.xml", pages=pages)

    if not 1 <= number <= SITEMAPS_PER_INDEX:
        abort(404)
    return cached_response("sitemap-letters", render, "application/xml", number=number)

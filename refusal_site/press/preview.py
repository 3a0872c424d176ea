"""A press preview: the letters of one embargo and their compilation, for the journalists an admin
gave the link to, until the release. Kept private (never cached, indexed or named in a referrer);
an unknown link answers as any unknown address does, one that no longer works says only that, so
neither tells whether an embargo exists."""

from flask import Response, abort, current_app, make_response, render_template, request
from flask_babel import gettext as _

from .. import letters, press_previews
from ..compilation import downloads
from ..http import error_response
from ..i18n import current_language
from ..models import PressPreview
from .views import bp, pdf_response


@bp.get("/press/preview/<token>")
def preview(token: str):
    found = _live(token)
    if isinstance(found, Response):
        return found
    page = render_template("press/preview.html", preview=found, letters=press_previews.embargoed_letters(found.release_at),
                           languages=current_app.config["LANGUAGES"])
    if _opened():
        press_previews.record_opening(found, "page", current_language())
    return _private(make_response(page))


@bp.get("/press/preview/<token>/<language>.pdf")
def preview_pdf(token: str, language: str):
    if language not in current_app.config["LANGUAGES"]:
        abort(404)
    found = _live(token)
    if isinstance(found, Response):
        return found
    answer = downloads.embargo_pdf(found.release_at, language)
    if isinstance(answer, downloads.NoLetters):
        return _gone()  # lifted a moment ago
    if isinstance(answer, downloads.Ready) and _opened():
        press_previews.record_opening(found, "pdf", language)
    # Whole, so that a viewer reading it in ranges is not dozens of openings on the record.
    return _private(pdf_response(answer, whole=True))


def _opened() -> bool:
    """Whether this request reads what it is sent: HEAD (a link checker, a messenger's crawler) reads nothing."""
    return request.method == "GET"


def _live(token: str) -> PressPreview | Response:
    """The live preview the link names, or the answer to give instead (404 as any unknown address, 410)."""
    letters.public_state()  # an embargo whose time has come is released by this request too
    try:
        return press_previews.by_token(token)
    except press_previews.PreviewUnknown:
        abort(404)
    except press_previews.PreviewGone:
        return _gone()


def _gone() -> Response:
    return _private(make_response(error_response(410, _("This preview link is no longer valid."))))


def _private(response: Response) -> Response:
    """Never kept by a browser or a proxy, never indexed or followed, never named as a referrer."""
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response

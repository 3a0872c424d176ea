"""Journalists: the count, when the last letter was published, the curve over time, the PDFs."""

from datetime import date

from flask import Blueprint, Response, abort, current_app, make_response, render_template, request, send_file
from flask_babel import format_date, gettext as _

from .. import chart, compilation, letters
from ..http import error_response, no_store
from ..i18n import select_locale
from ..models import utcnow
from ..public.cache import cached_response
from ..public.views import language_filter

bp = Blueprint("press", __name__)


@bp.get("/press")
def press():
    def render() -> str:
        points = chart.cumulative(letters.publications_per_day(current_app.config["DISPLAY_TIMEZONE"]))
        description = (
            _("From %(first)s to %(last)s: %(total)s public refusers.", first=format_date(points[0].day), last=format_date(points[-1].day), total=points[-1].total)
            if points
            else _("No letters have been published yet.")
        )
        drawing = chart.svg(
            points,
            title=_("Public refusers over time"),
            description=description,
            labels=(format_date(points[0].day, "medium"), format_date(points[-1].day, "medium")) if points else None,
        )
        return render_template("press/press.html", tally=letters.public_state(), chart=drawing, chart_description=description)

    return cached_response("press", render)


@bp.get("/letters/<public_id>.pdf")
def letter_pdf(public_id: str):
    letter = letters.published_letter(public_id)
    if letter is None:
        abort(404)
    path, fingerprint = compilation.letter_pdf_path(letter)
    if not path.exists():
        try:
            if not compilation.renders_inline(letter):
                compilation.refuse_if_unprintable(letter.public_id, fingerprint)
                return _prepare_in_background(f"letter-{letter.public_id}", letter=letter)
            path, fingerprint = compilation.letter_pdf(letter)
        except compilation.Unprintable as unprintable:
            # Logged and put before the moderators once, when its render failed; not again per request.
            message = _("This letter's PDF cannot be made at the moment. The letter can be read on its page; please try the PDF again later.")
            response = make_response(error_response(503, message))
            response.headers["Retry-After"] = str(unprintable.retry_after)
            return no_store(response)
        except OSError:
            current_app.logger.exception("could not write the PDF cache")
            abort(503)
    return _send_pdf(path, fingerprint, f"letter-{letter.published_at:%Y-%m-%d}-{letter.public_id}.pdf")


def _day(name: str) -> date | None:
    raw = request.args.get(name) or None
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400)


@bp.get("/press/letters.pdf")
def compilation_pdf():
    """A compilation: every letter, one language, or a date range. Built in the background if new."""
    selection = compilation.Selection(language_filter(), _day("since"), _day("until"))
    if selection.since and selection.until and selection.since > selection.until:
        abort(400)
    # The visitor's language as Flask-Babel would select it, without making a babel Locale of it
    # (a tenth of what serving a cached file costs; nothing else in this response is translated).
    language = selection.language or select_locale()
    # Every publication, withdrawal and correction bumps the public revision: while it stands, the
    # compilation found for it is still the right one, so the letters need not be read again.
    known = current_app.extensions.setdefault("refusal_known_compilations", {})
    key = (selection, language, letters.public_revision())
    built = known.get(key)
    if built is None or not built.path.exists():
        selected = selection.letters()
        built = compilation.existing(selection, language, selected)
        if built is not None:
            if len(known) > 256:
                known.clear()
            known[key] = built
    if built is None:
        # Ad-hoc date ranges are bounded; the standard compilations are what build-pdf keeps ready.
        if (selection.since or selection.until) and len(selected) > current_app.config["PDF_MAX_LETTERS"]:
            abort(400)
        return _prepare_in_background(compilation.job_key(selection, language), selection=selection, language=language)
    return _send_pdf(built.path, built.fingerprint, f"public-refusers-{selection.name}-{utcnow():%Y-%m-%d}.pdf")


def _prepare_in_background(key: str, **job) -> Response:
    """Start building a PDF (unless it is being built) and answer 202 with a page that asks again."""
    try:
        compilation.check_writable()
    except OSError:
        current_app.logger.exception("the PDF cache folder is not writable: no PDF can be built")
        abort(503)
    if compilation.failed_recently(key, within=current_app.config["PDF_RETRY_AFTER_FAILURE"]):
        abort(503)  # the builder's log says why; asking again at once would fail the same way
    if not compilation.is_building(key):
        if not compilation.has_free_slot():
            # As many builds as allowed are running (many different date ranges at once?).
            response = make_response(error_response(503))
            response.headers["Retry-After"] = "30"
            return no_store(response)
        compilation.build_in_background(key, **job)
    return no_store(Response(render_template("press/preparing.html"), status=202, headers={"Retry-After": "5"}))


def _send_pdf(path, fingerprint: str, download_name: str) -> Response:
    response = send_file(path, mimetype="application/pdf", etag=fingerprint, conditional=True, max_age=0, download_name=download_name)
    response.headers["Cache-Control"] = "no-cache"
    return response

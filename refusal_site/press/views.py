"""Journalists: the count, when the last letter was published, the curve over time, the PDFs."""

from flask import Blueprint, Response, abort, current_app, make_response, render_template, send_file
from flask_babel import format_date, gettext as _
from limits import parse_many

from .. import chart, compilation, letters, params
from ..extensions import limiter
from ..http import client_key, error_response, no_store
from ..i18n import select_locale
from ..models import utcnow
from ..public.cache import cached_response
from ..params import language_filter

bp = Blueprint("press", __name__)

# Seconds a journalist is asked to wait when the machine builds as many PDFs as it may.
BUSY_RETRY_AFTER = 60


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
            path, fingerprint = compilation.letter_pdf(letter, now=True)
        except compilation.BeingRendered:
            return _preparing()
        except compilation.Busy:
            return _retry_later(503, _("Many PDFs are being prepared right now. Please try again in a minute."), BUSY_RETRY_AFTER)
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


@bp.get("/press/letters.pdf")
def compilation_pdf():
    """A compilation: every letter, one language, or a date range. Built in the background if new."""
    since, until = params.day("since"), params.day("until")
    if since and until and since > until:
        abort(400)
    language_asked = language_filter()
    # The visitor's language as Flask-Babel would select it, without making a babel Locale of it
    # (a tenth of what serving a cached file costs; nothing else in this response is translated).
    language = language_asked or select_locale()
    # Every publication, withdrawal and correction bumps the public revision: while it stands, the
    # compilation found for it is still the right one, so the letters need not be read again.
    known = current_app.extensions.setdefault("refusal_known_compilations", {})
    key = (language_asked, since, until, language, letters.public_revision())
    selection, built = known.get(key, (None, None))
    if built is None or not built.path.exists():
        selection, selected = compilation.choose(language_asked, since, until)
        if not selected and (since or until):
            return error_response(404, _("No letter was published in these days. Please choose other dates."))
        built = compilation.existing(selection, language, selected)
        if built is not None:
            if len(known) > 256:
                known.clear()
            known[key] = selection, built
    if built is None:
        # Ad-hoc date ranges are bounded; the standard compilations are what build-pdf keeps ready.
        if (selection.since or selection.until) and len(selected) > current_app.config["PDF_MAX_LETTERS"]:
            return error_response(400, _("These days hold more letters than one download may. Please choose a shorter range, or download every letter."))
        key = compilation.job_key(selection, language)
        return _prepare_in_background(key, limited=bool(selection.since or selection.until), selection=selection, language=language)
    if selection.since or selection.until:
        compilation.mark_asked(built)
    return _send_pdf(built.path, built.fingerprint, f"public-refusers-{selection.name}-{utcnow():%Y-%m-%d}.pdf")


def _prepare_in_background(key: str, *, limited: bool = False, **job) -> Response:
    """Start building a PDF (unless it is being built) and answer 202 with a page that asks again;
    503 with Retry-After if the machine builds as many PDFs as it may, or this one failed just now.
    A `limited` build (a date range's) counts against the visitor's PDF_RANGE_RATE_LIMIT."""
    try:
        compilation.check_writable()
    except OSError:
        current_app.logger.exception("the PDF cache folder is not writable: no PDF can be built")
        abort(503)
    if compilation.failed_recently(key, within=current_app.config["PDF_RETRY_AFTER_FAILURE"]):
        abort(503)  # the builder's log says why; asking again at once would fail the same way
    if limited and not compilation.is_building(key) and not _range_builds(count=False):
        return _retry_later(429, _("You asked for many different date ranges. Please wait a few minutes before the next."), 60)
    try:
        started = compilation.build_in_background(key, **job)
    except compilation.Busy:
        return _retry_later(503, _("Many PDFs are being prepared right now. Please try again in a minute."), BUSY_RETRY_AFTER)
    if limited and started:
        _range_builds(count=True)
    return _preparing()


def _preparing() -> Response:
    """202: the PDF is being made; the page asks again by itself."""
    return no_store(Response(render_template("press/preparing.html"), status=202, headers={"Retry-After": "5"}))


def _range_builds(*, count: bool) -> bool:
    """Whether the visitor may start another build of a date range (PDF_RANGE_RATE_LIMIT), counting
    one if `count`. Only builds count (a range built already is a file to send), which is why the
    route has no limiter decorator; a failing limiter storage (Redis) limits nothing here, and the
    build slots still bound the machine."""
    try:
        act = limiter.limiter.hit if count else limiter.limiter.test
        return all([act(item, "pdf-range-build", client_key()) for item in parse_many(current_app.config["PDF_RANGE_RATE_LIMIT"])])
    except Exception:
        current_app.logger.warning("PDF range builds not counted: the rate-limit storage failed", exc_info=True)
        return True


def _retry_later(status: int, message: str, seconds: int) -> Response:
    response = make_response(error_response(status, message))
    response.headers["Retry-After"] = str(seconds)
    return no_store(response)


def _send_pdf(path, fingerprint: str, download_name: str) -> Response:
    response = send_file(path, mimetype="application/pdf", etag=fingerprint, conditional=True, max_age=0, download_name=download_name)
    response.headers["Cache-Control"] = "no-cache"
    return response

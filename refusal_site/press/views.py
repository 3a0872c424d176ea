"""Journalists: the count, when the last letter was published, the curve over time, the PDFs."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import format_date, format_decimal, gettext as _
from limits import parse_many

from .. import chart, letters, params, published, translated
from ..compilation import downloads
from ..extensions import limiter
from ..http import client_key, error_response, no_store
from ..i18n import current_language, select_locale
from ..languages import LANGUAGE_NAMES_IN_TEXT, direction
from ..models import Language, utcnow
from ..page_cache import cached_response
from ..params import language_filter
from .forms import RangeForm

bp = Blueprint("press", __name__)

# Seconds a journalist is asked to wait when the machine builds as many PDFs as it may.
BUSY_RETRY_AFTER = 60


@bp.get("/press")
def press():
    return cached_response("press", lambda: _press_page(RangeForm()))


@bp.get("/press/range")
def choose_range():
    """The press page's form: a redirect to the compilation of the days chosen, or the page again
    with what stops it (no letter in those days, too many) next to its field."""
    form = RangeForm(request.args)
    if form.validate():
        language = form.language.data or None
        match downloads.range_problem(language, form.since.data, form.until.data):
            case None:
                days = {name: value.isoformat() for name, value in (("since", form.since.data), ("until", form.until.data)) if value}
                return redirect(url_for("press.compilation_pdf", language=language, **days), 303)
            case downloads.NoLetters() if not (form.since.data or form.until.data):
                form.language.errors.append(_no_letters(language, None, None))
            case downloads.NoLetters():
                form.since.errors.append(_no_letters(language, form.since.data, form.until.data))
            case downloads.TooManyLetters():
                form.since.errors.append(_("These days hold more letters than one download may. Please choose a shorter range, or download every letter."))
    return no_store(make_response(_press_page(form), 400))


def _press_page(form: RangeForm) -> str:
    shown = _chart()
    return render_template("press/press.html", tally=letters.public_state(), chart=chart.svg(shown.points, title=_("Public refusers over time"),
                           description=shown.description), chart_labels=shown.labels, chart_description=shown.description,
                           chart_months=chart.by_month(shown.per_day), form=form)


@bp.get("/press/chart.svg")
def chart_svg():
    def render() -> str:
        shown = _chart()
        return str(chart.svg(shown.points, title=_("Public refusers over time"), description=shown.description, width=800, height=400,
                             labels=shown.labels))

    return _download(cached_response("chart-svg", render, "image/svg+xml"), "svg")


@bp.get("/press/chart.png")
def chart_png():
    def render() -> bytes:
        shown = _chart()
        return chart.png(shown.points, shown.labels, Path(current_app.static_folder) / "fonts" / "pdf") if shown.points else b""

    if not letters.public_state().refusers:
        abort(404)
    return _download(cached_response("chart-png", render, "image/png"), "png")


@bp.get("/press/chart.csv")
def chart_csv():
    def render() -> str:
        return chart.history_csv(_chart().history)

    return _download(cached_response("chart-csv", render, "text/csv"), "csv")


@dataclass(frozen=True)
class _Shown:
    history: list[tuple[date, int, int]]
    per_day: list[tuple[date, int]]
    points: list[chart.Point]
    labels: chart.Labels | None
    description: str


def _chart() -> _Shown:
    """The count's history, and how the chart of it reads in the page's language."""
    history = published.publications_by_day(current_app.config["DISPLAY_TIMEZONE"])
    per_day = [(day, published_letters + signatures) for day, published_letters, signatures in history]
    points = chart.cumulative(per_day)
    if not points:
        return _Shown(history, per_day, points, None, _("No letters have been published yet."))
    first, last = format_date(points[0].day, "long"), format_date(points[-1].day, "long")
    language = current_language()
    return _Shown(history, per_day, points, chart.Labels(first, last, format_decimal(points[-1].total), direction(language), language),
                  _("From %(first)s to %(last)s: %(total)s public refusers.", first=first, last=last, total=format_decimal(points[-1].total)))


def _download(response: Response, extension: str) -> Response:
    """A chart's file, named for the day it shows."""
    if response.status_code == 200:
        response.headers["Content-Disposition"] = f'attachment; filename="public-refusers-{utcnow():%Y-%m-%d}.{extension}"'
    return response


def _no_letters(language: str | None, since, until) -> str:
    if since or until:
        return _("No letter was published in these days. Please choose other dates.")
    if language:
        return _("No letter in %(language)s has been published yet.", language=LANGUAGE_NAMES_IN_TEXT[language])
    return _("No letters have been published yet.")


@bp.get("/letters/<public_id>.pdf")
def letter_pdf(public_id: str):
    letter = published.published_letter(public_id)
    if letter is None:
        abort(404)
    return pdf_response(downloads.letter_pdf(letter))


@bp.get(f"/letters/<public_id>/<any({', '.join(Language)}):language>.pdf")
def letter_pdf_in(public_id: str, language: str):
    """A letter's PDF in one of its public translations, the original following (404 where it has none)."""
    letter = published.published_letter(public_id)
    translation = translated.translation_of(letter, language) if letter is not None else None
    if translation is None:
        abort(404)
    return pdf_response(downloads.letter_pdf(letter, translation))


@bp.get("/press/letters.pdf")
def compilation_pdf():
    """A compilation: every letter, one language, or a date range. Built in the background if new."""
    since, until = params.day_range()
    asked = language_filter()
    # The visitor's language as Flask-Babel would select it, without making a babel Locale of it
    # (a noticeable part of what serving a cached file costs; nothing else in this response is translated).
    return pdf_response(downloads.compilation_pdf(asked, since, until, asked or select_locale(), _range_builds), (asked, since, until))


def pdf_response(answer: downloads.Answer, asked: tuple = (None, None, None), *, whole: bool = False) -> Response:
    """The response that tells a visitor what became of the PDF they asked for. `whole`: always the
    whole file (no ranges, no 304), for a PDF each sending of which is on the record."""
    match answer:
        case downloads.Ready(path, fingerprint, download_name):
            response = send_file(path, mimetype="application/pdf", etag=fingerprint, conditional=not whole, max_age=0, download_name=download_name)
            response.headers["Cache-Control"] = "no-cache"
            return response
        case downloads.BeingBuilt():
            # The page asks again by itself.
            return no_store(Response(render_template("press/preparing.html"), status=202, headers={"Retry-After": "5"}))
        case downloads.Busy():
            return _retry_later(503, _("Many PDFs are being prepared right now. Please try again in a minute."), BUSY_RETRY_AFTER)
        case downloads.Unavailable(unprintable=True, retry_after=seconds):
            message = _("This letter's PDF cannot be made at the moment. The letter can be read on its page; please try the PDF again later.")
            return _retry_later(503, message, seconds)
        case downloads.Unavailable():
            abort(503)  # the log says why
        case downloads.NoLetters():
            return error_response(404, _no_letters(*asked), title=_("No letters in these days") if asked[1] or asked[2] else _("No letters yet"))
        case downloads.TooManyLetters():
            return error_response(400, _("These days hold more letters than one download may. Please choose a shorter range, or download every letter."),
                                  title=_("Too many letters for one download"))
        case downloads.TooManyRanges():
            return _retry_later(429, _("You asked for many different date ranges. Please wait a few minutes before the next."), 60)
    raise AssertionError(answer)


def _range_builds(count: bool) -> bool:
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

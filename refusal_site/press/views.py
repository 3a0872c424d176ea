"""Journalists: the count, when the last letter was published, the curve over time, the PDFs."""

from flask import Blueprint, abort, current_app, render_template, send_file
from flask_babel import format_date, gettext as _

from .. import chart, compilation, letters
from ..public.cache import cached_response

bp = Blueprint("press", __name__)


@bp.get("/press")
def press():
    tally = letters.public_state()

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
        return render_template("press/press.html", tally=tally, chart=drawing, chart_description=description)

    return cached_response(tally.revision, "press", render)


@bp.get("/letters/<public_id>.pdf")
def letter_pdf(public_id: str):
    letter = letters.published_letter(public_id)
    if letter is None:
        abort(404)
    try:
        path, fingerprint = compilation.letter_pdf(letter)
    except OSError:
        current_app.logger.exception("could not write the PDF cache")
        abort(503)
    response = send_file(path, mimetype="application/pdf", etag=fingerprint, conditional=True, max_age=0,
                         download_name=f"letter-{letter.published_at:%Y-%m-%d}-{letter.public_id}.pdf")
    response.headers["Cache-Control"] = "no-cache"
    return response

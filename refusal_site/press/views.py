"""Journalists: the count, when the last letter was published, the curve over time, the PDFs."""

from flask import Blueprint, current_app, render_template
from flask_babel import format_date, gettext as _

from .. import chart, letters
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

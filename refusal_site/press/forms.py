"""The press page's form: which days (and which language) a compilation of a date range holds."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError

from ..forms import Form
from ..languages import LANGUAGE_NAMES
from ..params import DayRange, day_fields


class RangeForm(DayRange, Form):
    """Read from the query string (a GET form: nothing is stored, no CSRF token). The days and
    their rule are the list's filters' (params.DayRange)."""

    class Meta:
        csrf = False

    since, until = day_fields()
    language = StringField(_l("Language"), default="")  # the page shows it as a choice of the site's languages

    def validate_language(self, field) -> None:
        if field.data and field.data not in LANGUAGE_NAMES:
            raise ValidationError(_l("Please choose one of the languages."))

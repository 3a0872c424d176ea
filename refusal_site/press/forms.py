"""The press page's form: which days (and which language) a compilation of a date range holds."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, StringField
from wtforms.validators import Optional, ValidationError

from ..forms import Form
from ..languages import LANGUAGE_NAMES


class Day(DateField):
    """A day as browsers send it (YYYY-MM-DD), refused in our words when it is not one."""

    def process_formdata(self, valuelist) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Please give a day like 2026-03-01.")) from None


class RangeForm(Form):
    """Read from the query string (a GET form: nothing is stored, no CSRF token)."""

    class Meta:
        csrf = False

    since = Day(_l("Published from"), validators=[Optional()])
    until = Day(_l("to"), validators=[Optional()])
    language = StringField(_l("Language"), default="")  # the page shows it as a choice of the site's languages

    def validate_language(self, field) -> None:
        if field.data and field.data not in LANGUAGE_NAMES:
            raise ValidationError(_l("Please choose one of the languages."))

    def validate_until(self, field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_l("The last day comes before the first. Please choose the days again."))

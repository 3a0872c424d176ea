"""Forms about what people are told: a moderator's digest mail."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField

from ..forms import Form


class DigestForm(Form):
    wanted = BooleanField(_l("Mail me a digest when letters or signatures wait"))

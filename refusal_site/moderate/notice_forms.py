"""Forms about what people are told: a moderator's digest mail, and the delay notice authors see."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length, Optional

from ..forms import Form, no_control_characters

DELAY_NOTICE_MAX = 300


class DigestForm(Form):
    wanted = BooleanField(_l("Mail me a digest when letters or signatures wait"))


class DelayNoticeForm(Form):
    """One notice per language; an empty one means the default sentence."""

    he = TextAreaField(_l("In Hebrew"), validators=[Optional(), Length(max=DELAY_NOTICE_MAX), no_control_characters])
    ar = TextAreaField(_l("In Arabic"), validators=[Optional(), Length(max=DELAY_NOTICE_MAX), no_control_characters])
    en = TextAreaField(_l("In English"), validators=[Optional(), Length(max=DELAY_NOTICE_MAX), no_control_characters])

"""What authors are told about how long moderation takes: admins set the delay notice in each language."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import delay_notice
from .blueprint import bp
from .notice_forms import DelayNoticeForm


@bp.route("/delay-notice", methods=["GET", "POST"])
def delay_notice_edit():
    form = DelayNoticeForm(data=delay_notice.set_by_admins())
    if form.validate_on_submit():
        delay_notice.set_notices({"he": form.he.data, "ar": form.ar.data, "en": form.en.data}, by=current_user)
        flash(_("The delay notice is saved."))
        return redirect(url_for(".delay_notice_edit"), code=303)
    defaults = {language: delay_notice.notice(language) for language in ("he", "ar", "en")}
    return render_template("moderate/delay_notice.html", form=form, defaults=defaults), 400 if request.method == "POST" else 200

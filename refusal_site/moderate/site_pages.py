"""The site's own pages (About, Privacy), which admins edit in each language; the gate lets only
admins in. Saving puts the new text before readers at once (site_pages.save)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, TextAreaField
from wtforms.validators import InputRequired, Regexp

from .. import site_pages
from ..forms import Form, letter_text_checks
from ..models import Language, SitePageSlug
from .blueprint import bp

PAGE_NAMES = {SitePageSlug.ABOUT: _l("About this site"), SitePageSlug.PRIVACY: _l("Privacy")}


class SitePageForm(Form):
    body = TextAreaField(
        _l("Text of the page"),
        validators=letter_text_checks(_l("Please write the page's text.")),
        description=_l("Leave an empty line between paragraphs. Formatting works as in letters: bold, italics, lists and links, typed as the HTML tags strong, em, ul, ol, li and a."),
    )
    revision = HiddenField(validators=[InputRequired(), Regexp(r"^[0-9]{1,9}$")])


def _page_or_404(slug: str, language: str) -> tuple[SitePageSlug, Language]:
    if slug not in SitePageSlug.__members__.values() or language not in Language.__members__.values():
        abort(404)
    return SitePageSlug(slug), Language(language)


@bp.get("/pages")
def site_pages_list():
    saved = {(slug, lang): site_pages.saved(slug, lang) for slug in SitePageSlug for lang in Language}
    return render_template("moderate/site_pages.html", saved=saved, page_names=PAGE_NAMES)


@bp.route("/pages/<slug>/<language>", methods=["GET", "POST"])
def site_page_edit(slug: str, language: str):
    slug, language = _page_or_404(slug, language)
    form = SitePageForm()
    if not form.is_submitted():
        saved = site_pages.saved(slug, language)
        form.body.data, form.revision.data = site_pages.text(slug, language), str(saved.revision if saved else 0)
    elif form.validate():
        try:
            site_pages.save(slug, language, form.body.data, by=current_user, expected_revision=int(form.revision.data))
        except site_pages.StaleEdit:
            form.body.errors = [_("Someone saved this page while you were editing it. Copy your text, reload the page and apply your changes again.")]
            return _edit_page(slug, language, form), 409
        flash(_("Saved: readers see the new text now."))
        return redirect(url_for(".site_pages_list"), code=303)
    else:
        return _edit_page(slug, language, form), 400
    return _edit_page(slug, language, form)


def _edit_page(slug: SitePageSlug, language: Language, form: SitePageForm) -> str:
    return render_template("moderate/site_page_edit.html", slug=slug, language=language, form=form, page_names=PAGE_NAMES)

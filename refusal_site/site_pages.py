"""The site's own pages, About and Privacy, in each language: an admin's text, or until one is saved
the default text in templates/site_pages/<page>.<language>.txt, which states the retention settings
this deployment really runs with.

A page's text is formatted and sanitized like a letter's (sanitize.text_to_html). Saving one moves the
public revision (through tally, the revision's one writer), so every worker's cached copy of every
public page is stale at once and readers see the new text on their next request.
"""

import hashlib
from datetime import timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select

from . import audit, sanitize, tally
from .audit import AuditAction
from .extensions import db
from .models import Language, Moderator, SitePage, SitePageSlug, utcnow
from .storage import write_transaction
from .tokens import CONFIRMATION_WINDOW


class StaleEdit(Exception):
    """The page was saved by someone else since the form was opened."""


def retention_facts() -> dict[str, int]:
    """The figures the default texts state, from the settings in force."""
    config = current_app.config
    return {
        "contact_retention_days": config["CONTACT_RETENTION_DAYS"],
        "confirmation_days": CONFIRMATION_WINDOW // timedelta(days=1),
        "pdf_keep_days": config["PDF_KEEP_DAYS"],
    }


def saved(slug: str, language: str) -> SitePage | None:
    """The admin's text of the page in this language, if one was saved."""
    return db.session.execute(select(SitePage).where(SitePage.slug == SitePageSlug(slug), SitePage.language == Language(language))).scalar_one_or_none()


def default_text(slug: str, language: str) -> str:
    """The page's default text in `language`, naming the site (site_name) in that language too."""
    with force_locale(Language(language).value):
        return render_template(f"site_pages/{SitePageSlug(slug).value}.{Language(language).value}.txt", **retention_facts()).strip()


def text(slug: str, language: str) -> str:
    """What an admin edits: the saved text, else the default."""
    page = saved(slug, language)
    return page.body_text if page else default_text(slug, language)


def html(slug: str, language: str) -> str:
    """What readers see, sanitized."""
    page = saved(slug, language)
    return page.body_html if page else sanitize.text_to_html(default_text(slug, language))


def save(slug: str, language: str, body_text: str, *, by: Moderator, expected_revision: int) -> SitePage:
    """Store an admin's text of a page (audited, with the texts' hashes) and move the public revision;
    StaleEdit if the page changed since the form showed revision `expected_revision` (0: the default)."""
    slug, language = SitePageSlug(slug).value, Language(language).value
    with write_transaction():
        tally.lock()  # first, as every writer of the public revision does
        page = db.session.execute(
            select(SitePage).where(SitePage.slug == slug, SitePage.language == language).with_for_update()
        ).scalar_one_or_none()
        if (page.revision if page else 0) != expected_revision:
            raise StaleEdit(slug, language)
        before = page.body_text if page else default_text(slug, language)
        if page is None:
            page = SitePage(slug=slug, language=language, revision=0)
            db.session.add(page)
        page.body_text = sanitize.clean_text(body_text)
        page.body_html = sanitize.text_to_html(body_text)
        page.revision += 1
        page.updated_at, page.updated_by_id = utcnow(), by.id
        audit.record(
            by, AuditAction.SITE_PAGE_EDIT, None, hash_before=_hash(before), hash_after=_hash(page.body_text),
            page=slug, language=language, revision=page.revision,
        )  # fmt: skip
        tally.bump_revision()
    return page


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()

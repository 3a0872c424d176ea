"""Moderators' area: one blueprint, `bp`, checked once by the gate in blueprint.py. Its routes live in
the modules of this package, each owning one part of the work:

    account          signing in (password, one-time code), signing out, the moderator's own account
    decisions        the queue, a letter's review page, and every decision on a letter
    signature_queue  co-signatures, decided many at a time
    inbox            messages sent through the contact form
    admin            the audit log and the team (admins only)
    site_pages       the About and Privacy pages in each language (admins only)
    notices          the delay notice authors see, in each language (admins only)
    previews         press previews: links for named journalists to an embargo's letters (admins only)
    safety           hiding many letters or co-signatures at once in an emergency (admins only)
    audit_rows       audit rows in words, for the audit log and a letter's history
    translations     the work queue of translations, claims, writing one, sending it to the author
    author_translations  translations written by authors, checked by a moderator: published or sent back
"""

# Imported for their routes, which each module adds to bp.
from . import account, admin, audit_rows, author_translations, decisions, inbox, notices, previews, reasons, safety, signature_queue, site_pages, translations
from .blueprint import bp

__all__ = ["bp", "account", "admin", "audit_rows", "author_translations", "decisions", "inbox", "notices", "previews", "reasons", "safety", "signature_queue", "site_pages", "translations"]

"""Refusers' forms and private pages (views.py), co-signers' (signing.py), the author's answers to
translations (translations.py), and the contact form (contact.py), whose routes join the same
blueprint: rate-limited, never cached."""

from . import contact, signing, translations, views

__all__ = ["contact", "signing", "translations", "views"]

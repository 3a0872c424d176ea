"""Refusers' and co-signers' forms and private pages (views.py), and the contact form (contact.py),
whose routes join the same blueprint: rate-limited, never cached."""

from . import contact, views

__all__ = ["contact", "views"]

"""Refusers' forms and private pages (views.py), co-signers' (signing.py), and the contact form
(contact.py), whose routes join the same blueprint: rate-limited, never cached."""

from . import contact, signing, views

__all__ = ["contact", "signing", "views"]

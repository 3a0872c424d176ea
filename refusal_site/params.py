"""Query-string parameters that several audiences read, each parsed in one place.

What is not a value of the parameter's one spelling is a 400 (the error page says so in the
visitor's language), never a 500 further on, and one value has one spelling, so that it names one
cached page or PDF."""

import re
from datetime import date

from flask import abort, request

from .models import Language

_INTEGER = re.compile(r"-?[0-9]+")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def page_number() -> int:
    """The ?page= of a list: 400 for what is not a number, 404 for a page that cannot exist."""
    raw = request.args.get("page", "1")
    if not _INTEGER.fullmatch(raw):
        abort(400)
    if raw.startswith("-") or len(raw) > 9:
        abort(404)
    return int(raw)


def language_filter() -> str | None:
    """?language=he|ar|en, or None when absent."""
    raw = request.args.get("language") or None
    if raw is not None and raw not in Language.__members__.values():
        abort(400)
    return raw


def day(name: str) -> date | None:
    """?`name`=YYYY-MM-DD as a date, or None when absent. Other spellings that Python would read
    as a date too (2026-W01-1, 20260101) are refused: each day has one spelling."""
    raw = request.args.get(name) or None
    if raw is None:
        return None
    if not _DAY.fullmatch(raw):
        abort(400)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400)

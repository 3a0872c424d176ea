"""Query-string parameters that several audiences read, each parsed in one place.

What is not a value of the parameter's one spelling is a 400 (the error page says so in the
visitor's language), never a 500 further on, and one value has one spelling, so that it names one
cached page or PDF."""

import re
from dataclasses import dataclass
from datetime import date

from flask import abort, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest
from wtforms import DateField, Form, RadioField, SearchField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from . import letters, published, search_text
from .models import Language
from .paging import BadCursor, Key, PageOutOfRange, decode_cursor, encode_cursor
from .published import LetterFilter

_INTEGER = re.compile(r"-?[0-9]+")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BadParameters(BadRequest):
    """Parameters that are none of their values: a 400 that says, in the visitor's language, what
    is wrong with each (`problems`: parameter -> message), so a form can show it by its field."""

    def __init__(self, problems: dict[str, str], form: "LetterFilterForm | None" = None) -> None:
        super().__init__()
        self.problems = problems
        self.form = form  # the form as typed, to show again with each problem by its field

    @property
    def user_message(self) -> str:
        return " ".join(dict.fromkeys(self.problems.values()))


def page_number() -> int:
    """The ?page= of a list: 400 for what is not a number, 404 for a page that cannot exist."""
    raw = request.args.get("page", "1")
    if not _INTEGER.fullmatch(raw):
        abort(400)
    if raw.startswith("-") or len(raw) > 9:
        abort(404)
    return int(raw)


def old_page_number() -> int | None:
    """The ?page= of a list that now pages by cursor (links written before it did), or None."""
    return page_number() if "page" in request.args else None


def language_filter() -> str | None:
    """?language=he|ar|en, or None when absent."""
    raw = request.args.get("language") or None
    if raw is not None and raw not in Language.__members__.values():
        abort(400)
    return raw


# What a day that is not one, or a range whose last day comes before its first, is told (each form
# shows it by its field; a link that no form made is a bare 400).
NOT_A_DAY = _l("Please give a day like 2026-03-01.")
REVERSED_DAYS = _l("The last day comes before the first. Please choose the days again.")


def parse_day(raw: str | None) -> date | None:
    """A day in its one spelling, YYYY-MM-DD (as browsers send a date field), or None for nothing;
    ValueError for anything else, even what Python would read as a day (2026-W01-1, 20260101, 2026-3-1)."""
    if not raw:
        return None
    if not _DAY.fullmatch(raw):
        raise ValueError(NOT_A_DAY)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(NOT_A_DAY) from None


def check_days(since: date | None, until: date | None) -> None:
    """ValidationError (a ValueError) when the last day of a range comes before its first."""
    if since and until and until < since:
        raise ValidationError(REVERSED_DAYS)


def day(name: str) -> date | None:
    """?`name`=YYYY-MM-DD as a date, or None when absent; 400 for anything else."""
    try:
        return parse_day(request.args.get(name))
    except ValueError:
        abort(400)


def day_range() -> tuple[date | None, date | None]:
    """?since= and ?until= (days, both included) of a link, not of a form: 400 for a wrong one or a reversed range."""
    since, until = day("since"), day("until")
    try:
        check_days(since, until)
    except ValueError:
        abort(400)
    return since, until


class Day(DateField):
    """A day as browsers send it from a date field (YYYY-MM-DD, its one spelling), refused in our
    words when it is not one. What is no day is not shown again: a date field cannot hold it."""

    def _value(self) -> str:
        return self.data.isoformat() if self.data else ""

    def process_formdata(self, valuelist) -> None:
        self.data = None
        self.data = parse_day(valuelist[0] if valuelist else None)


def day_fields() -> tuple[Day, Day]:
    """A range's first and last day, for a form's body (`since, until = day_fields()`, in the place
    the page shows them) that inherits DayRange for their rule."""
    return Day(_l("Published from"), validators=[Optional()]), Day(_l("to"), validators=[Optional()])


class DayRange:
    """The rule of a form's range of days (day_fields): the list's filters, the press's range."""

    def validate_until(self, field) -> None:
        check_days(self.since.data, field.data)


class LetterFilterForm(DayRange, Form):
    """The list's search box and filters, read from the query string (a GET form: no CSRF token,
    nothing stored). The HTML list shows it; the API reads the same parameters through it."""

    q = SearchField(_l("Search the letters"))
    since, until = day_fields()
    language = StringField(_l("Language"), default="")  # the page shows it as a choice of the site's languages
    collective = RadioField(
        _l("Kind of letter"),
        choices=[SelectChoice("", _l("All letters")), SelectChoice("yes", _l("Collective letters")), SelectChoice("no", _l("Letters of one person"))],
        default="",
        validate_choice=False,  # checked below, in our words
    )
    descriptor = StringField(_l("Rank, unit or role"), description=_l("Words the writers describe themselves with, such as pilot, medic or a unit's name."))

    def validate_q(self, field) -> None:
        if _text(field) and not search_text.query_terms(_text(field)):
            raise ValidationError(_l("Please type a word of at least two letters to search for."))

    def validate_descriptor(self, field) -> None:
        if _text(field) and not search_text.query_terms(_text(field)):
            raise ValidationError(_l("Please type a word of at least two letters, such as a rank, a unit or a role."))

    def validate_language(self, field) -> None:
        if field.data and field.data not in Language.__members__.values():
            raise ValidationError(_l("Please choose one of the languages."))

    def validate_collective(self, field) -> None:
        if field.data not in ("", "yes", "no"):
            raise ValidationError(_l("Please choose collective letters, letters of one person, or all letters."))


def _text(field) -> str:
    """A text field's words as typed, without the white space around them ("" when absent)."""
    return (field.data or "").strip()


def letter_filter() -> tuple[LetterFilterForm, LetterFilter]:
    """The list's search and filters: ?q= (words to search for), ?language=, ?since= and ?until=
    (days in the site's time zone, both included), ?collective=yes|no, ?descriptor= (words of a
    rank, unit or role). BadParameters names every one that is wrong."""
    form = LetterFilterForm(request.args)
    if not form.validate():
        raise BadParameters({name: " ".join(str(error) for error in errors) for name, errors in form.errors.items()}, form)
    return form, LetterFilter(
        language=form.language.data or None,
        since=form.since.data,
        until=form.until.data,
        collective={"yes": True, "no": False}.get(form.collective.data),
        descriptor=tuple(search_text.query_terms(_text(form.descriptor))),
        terms=tuple(search_text.query_terms(_text(form.q))),
        timezone=current_app.config["DISPLAY_TIMEZONE"],
    )


def filter_params(form: LetterFilterForm) -> dict[str, str | None]:
    """The search and filters (validated) as the parameters of their address (None: absent), to link to it."""
    return {
        "q": _text(form.q) or None,
        "language": form.language.data or None,
        "since": form.since.data.isoformat() if form.since.data else None,
        "until": form.until.data.isoformat() if form.until.data else None,
        "collective": form.collective.data or None,
        "descriptor": _text(form.descriptor) or None,
    }


def few_spellings(chosen: LetterFilter) -> bool:
    """Whether the filter's values are of a short list (a language, a kind of letter), so that the
    pages it names may be kept in the page cache: days, words and searches come in endless spellings."""
    return chosen.since is None and chosen.until is None and not chosen.descriptor and not chosen.terms


@dataclass(frozen=True)
class Place:
    """Which page of the list: the one after a key (older letters), before one (newer letters), or
    the first. `moved`: asked as ?page=N of the numbered list that was, which is now at `after`."""

    after: Key | None = None
    before: Key | None = None
    moved: bool = False

    @property
    def params(self) -> dict[str, str | None]:
        """The place as the parameters of its address."""
        return {"after": self.after and encode_cursor(self.after), "before": self.before and encode_cursor(self.before)}


def list_place(chosen: LetterFilter) -> Place:
    """?after= or ?before= a cursor (the list's own links), at most one; or ?page=N of old links,
    as the place that page now starts (404 past the last page)."""
    if (number := old_page_number()) is not None:
        if chosen.terms:  # no numbered page was ever a search
            raise BadParameters({"page": _("A search's results have no numbered pages. Please start again from its first page.")})
        try:
            start = published.start_of_page(number, chosen, current_app.config["LETTERS_PER_PAGE"], letters.public_state())
        except PageOutOfRange:
            abort(404)
        return Place(after=start, moved=True)
    found = {}
    for name in ("after", "before"):
        raw = request.args.get(name) or None
        try:
            found[name] = decode_cursor(raw) if raw is not None else None
        except BadCursor:
            raise BadParameters({name: _("This link to a page of letters is damaged. Please start again from the first page.")}) from None
    # Both at once, or a ranked key of a list that is no search (a search pages by either kind:
    # ranked, or newest first when it finds too many letters to rank; see published.letter_slice).
    if (found["after"] and found["before"]) or any(key and key.rank is not None and not chosen.terms for key in found.values()):
        raise BadParameters({"after": _("This link to a page of letters is damaged. Please start again from the first page.")})
    return Place(found["after"], found["before"])

"""Which language a request is answered in: the ?lang= asked, the choice remembered, the browser's
preference; and Flask-Babel and the templates wired to it. What the languages are called, and which
way each runs, is in languages.py."""

from datetime import datetime

from babel import Locale, dates
from flask import Flask, current_app, request, session
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale, get_timezone

from .languages import (
    LANGUAGE_NAMES, LANGUAGE_NAMES_IN_TEXT, SIGNATURE_EXPLANATIONS, SITE_NAME, STATUS_EXPLANATIONS, STATUS_LABELS, TRANSLATION_STATUS_LABELS, direction,
    translation_label,
)


class UnknownLanguage(ValueError):
    pass


def requested_language() -> str | None:
    """The ?lang= of this request, validated; None when absent."""
    lang = request.args.get("lang")
    if lang is None:
        return None
    if lang not in current_app.config["LANGUAGES"]:
        raise UnknownLanguage(lang)
    return lang


def select_locale() -> str:
    """?lang= first, then the remembered choice, then the browser's preference, then Hebrew."""
    languages = current_app.config["LANGUAGES"]
    lang = request.args.get("lang")
    if lang in languages:
        return lang
    remembered = session.get("lang")
    if remembered in languages:
        return remembered
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def isolated(text: str) -> str:
    """`text` set apart in its own direction inside a sentence (FIRST STRONG ISOLATE ... POP
    DIRECTIONAL ISOLATE), where markup (<bdi>) cannot go: a name inside a translated sentence."""
    return f"\u2068{text}\u2069"


def current_language() -> str:
    return str(get_locale())


def site_zone() -> str:
    """The site's time zone (DISPLAY_TIMEZONE), named in the language being rendered: "שעון ישראל"."""
    return dates.get_timezone_name(get_timezone(), "long", locale=get_locale())


def site_time(moment: datetime) -> str:
    """A moment as people read it where the site is, in the language being rendered (a page's or a
    mail's): its date, hour and minute, and the zone's name; no seconds, no ISO date."""
    return f"{format_datetime(moment, _moment_pattern(get_locale()))} ({site_zone()})"


def _moment_pattern(locale: Locale) -> str:
    """The language's own long date and short time, joined the language's way."""
    joined = str(locale.datetime_formats["long"])
    return joined.replace("{1}", locale.date_formats["long"].pattern).replace("{0}", locale.time_formats["short"].pattern)


def init_app(app: Flask, babel: Babel) -> None:
    # Moments are shown in the site's zone whoever reads them (flask_babel's format_datetime and
    # to_user_timezone ask this).
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: current_app.config["DISPLAY_TIMEZONE"])
    app.jinja_env.filters.update(format_number=format_decimal, format_date=format_date, site_time=site_time, isolated=isolated)
    app.jinja_env.globals.update(
        status_label=STATUS_LABELS.get, status_explanation=STATUS_EXPLANATIONS.get, signature_explanation=SIGNATURE_EXPLANATIONS.get,
        site_name=SITE_NAME, translation_label=translation_label, translation_status=TRANSLATION_STATUS_LABELS.get,
    )

    @app.context_processor
    def _language_context() -> dict:
        lang = current_language()
        return {"page_lang": lang, "page_dir": direction(lang), "language_names": LANGUAGE_NAMES, "language_in_text": LANGUAGE_NAMES_IN_TEXT}

"""The data, whole: every published letter and co-signature as CSV and JSON Lines, public fields only.

Each file is written once per public revision (every publication, withdrawal, pause, correction and
co-signature moves the revision) into the instance folder, row by row from the database, so the
worker's memory does not grow with the number of letters; then it is streamed from disk. Its ETag
is the revision's, so a client that has it asks again for nothing. The press page's data dictionary
(templates/press/press.html) says what each column is.
"""

import csv
import hashlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import Blueprint, current_app, request, send_file
from flask_babel import format_decimal, gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import letters, published
from ..extensions import db
from ..models import Letter, LetterStatus, Signature, SignatureStatus
from ..http import error_response
from ..page_cache import cached_response
from ..params import filter_params, letter_filter
from ..urls import site_url

bp = Blueprint("exports", __name__)

# Rows fetched from the database at a time.
BATCH = 500
LETTER_COLUMNS = ("id", "url", "display_name", "descriptor", "language", "title", "text", "published_at", "corrected_at", "collective", "signatures")
SIGNATURE_COLUMNS = ("letter_id", "display_name", "descriptor", "published_at")
FORMATS = {"csv": "text/csv", "jsonl": "application/jsonl"}
# A spreadsheet would run a cell that starts with one of these as a formula: such a cell of what
# people wrote gets a leading apostrophe in the CSV (the JSON Lines files are exact). Ids and
# addresses are ours and stay as they are (an id may start with "-").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
WRITTEN_BY_PEOPLE = frozenset({"display_name", "descriptor", "title", "text"})


# What each column holds, for the press page's data dictionary.
COLUMN_MEANINGS = (
    ("id", _l("The letter's permanent identifier (also in its address).")),
    ("url", _l("The letter's page.")),
    ("display_name", _l("The name its author chose to publish.")),
    ("descriptor", _l("Rank, unit or role, as the author wrote it (may be empty).")),
    ("language", _l("The letter's language: he, ar or en.")),
    ("title", _l("The letter's title (may be empty).")),
    ("text", _l("The letter's text, whole, as plain text.")),
    ("published_at", _l("When it was published, in UTC (ISO 8601).")),
    ("corrected_at", _l("When a moderator last corrected it after publication, in UTC (may be empty).")),
    ("collective", _l("true for a collective letter that others can co-sign.")),
    ("signatures", _l("How many co-signatures it has (each co-signer is counted among the public refusers).")),
    ("letter_id", _l("In the co-signatures' files: the id of the letter signed.")),
)


@bp.app_template_global()
def export_columns() -> tuple:
    return COLUMN_MEANINGS


@bp.get("/export/<any(letters, signatures):kind>.<any(csv, jsonl):form>")
def export(kind: str, form: str):
    revision = letters.public_revision()
    tag = hashlib.sha256(f"{current_app.config['BUILD_ID']}:{revision}:{kind}.{form}".encode()).hexdigest()[:24]
    if tag in request.if_none_match:
        response = current_app.response_class(status=304)
    else:
        opened = _opened(kind, form, revision, tag)
        response = send_file(opened, mimetype=FORMATS[form], download_name=f"{kind}.{form}", as_attachment=False, conditional=False, etag=False)
        response.content_length = os.fstat(opened.fileno()).st_size
    response.set_etag(tag)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def _opened(kind: str, form: str, revision: int, tag: str) -> BinaryIO:
    """The file for this revision, open: a worker at a newer revision may remove it from the folder
    at any moment, and what is open stays readable."""
    folder = Path(current_app.instance_path) / "exports"
    path = folder / f"{kind}-{tag}.{form}"
    try:
        return path.open("rb")
    except FileNotFoundError:
        pass
    folder.mkdir(parents=True, exist_ok=True)
    letters.public_state()  # releases what an embargo held, as every public surface does
    rows = _letter_rows() if kind == "letters" else _signature_rows()
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".part")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            (_write_csv if form == "csv" else _write_jsonl)(out, rows, LETTER_COLUMNS if kind == "letters" else SIGNATURE_COLUMNS)
        opened = open(temporary, "rb")  # noqa: SIM115 (send_file closes it)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    for older in folder.glob(f"{kind}-*.{form}"):
        if older != path:
            older.unlink(missing_ok=True)
    return opened


@bp.get("/export/chosen.<any(csv, jsonl):form>")
def export_chosen(form: str):
    """The letters a search or filters of the list find (the list's parameters), in its order: best
    first for a search, else newest first. At most EXPORT_CHOSEN_MAX of them: every letter is one
    file already (export()), and a choice of more is a 400 that says so."""
    asked, chosen = letter_filter()
    most = current_app.config["EXPORT_CHOSEN_MAX"]

    def render() -> str:
        found = published.letter_slice(chosen, most, letters.public_state())
        if found.total > most:
            raise _TooMany()
        address = site_url("public.letter", public_id="ID").rpartition("ID")
        out = io.StringIO()
        (_write_csv if form == "csv" else _write_jsonl)(out, (_letter_row(address, letter) for letter in found.items), LETTER_COLUMNS)
        return out.getvalue()

    try:
        response = cached_response(f"chosen.{form}", render, FORMATS[form], keep=False, **filter_params(asked))
    except _TooMany:
        message = _("These are more letters than one download holds (%(most)s). Please choose fewer, or download every letter from the press page.",
                    most=format_decimal(most))
        return error_response(400, message, title=_("Too many letters for one download"))
    response.headers["Content-Disposition"] = f'attachment; filename="letters-chosen.{form}"'
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


class _TooMany(Exception):
    pass


def _letter_row(address: tuple[str, str, str], row) -> dict:
    """A letter's public fields as an export's row (`row`: a Letter, or a row of its columns)."""
    return {
        "id": row.public_id,
        "url": address[0] + row.public_id + address[2],
        "display_name": row.display_name,
        "descriptor": row.descriptor,
        "language": row.language,
        "title": row.title,
        "text": row.body_text,
        "published_at": row.published_at.isoformat(),
        "corrected_at": row.corrected_at.isoformat() if row.corrected_at else None,
        "collective": row.collective,
        "signatures": row.signatures_published if row.collective else 0,
    }


def _letter_rows():
    query = (
        select(Letter.public_id, Letter.display_name, Letter.descriptor, Letter.language, Letter.title, Letter.body_text,
               Letter.published_at, Letter.corrected_at, Letter.collective, Letter.signatures_published)
        .where(Letter.status == LetterStatus.PUBLISHED)
        .order_by(Letter.published_at, Letter.id)
    )
    # Every letter's address is the same but for its id: made once, filled in for each row.
    address = site_url("public.letter", public_id="ID").rpartition("ID")
    for row in db.session.execute(query.execution_options(yield_per=BATCH)):
        yield _letter_row(address, row)


def _signature_rows():
    query = (
        select(Letter.public_id, Signature.display_name, Signature.descriptor, Signature.published_at)
        .join(Letter, Signature.letter_id == Letter.id)
        .where(Letter.status == LetterStatus.PUBLISHED, Signature.status == SignatureStatus.PUBLISHED)
        .order_by(Letter.published_at, Letter.id, Signature.confirmed_at, Signature.id)
    )
    for public_id, name, descriptor, published_at in db.session.execute(query.execution_options(yield_per=BATCH)):
        yield {"letter_id": public_id, "display_name": name, "descriptor": descriptor, "published_at": published_at.isoformat() if published_at else None}


def _write_csv(out, rows, columns) -> None:
    writer = csv.DictWriter(out, fieldnames=columns)
    out.write("\ufeff")  # so that spreadsheets read the file as UTF-8 (Hebrew and Arabic)
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(key, value) for key, value in row.items()})


def _cell(column: str, value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if column in WRITTEN_BY_PEOPLE and isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _write_jsonl(out, rows, columns) -> None:
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")

"""The OpenAPI 3.1 description of the public JSON API, served at /api/v1/openapi.json.

Kept beside the views it describes; the suite checks the API against it with schemathesis."""

PUBLIC_ID = {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,32}$"}
PAGE = {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "default": 1}}
LANGUAGE = {"name": "language", "in": "query", "required": False, "schema": {"type": "string", "enum": ["he", "ar", "en"]}}
DAY = {"type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
CURSOR = {"type": "string", "maxLength": 40, "pattern": "^[A-Za-z0-9_-]+$"}
# The list's filters, which combine (each narrows the list); `next` and `previous` carry them on.
LETTER_FILTERS = [
    LANGUAGE,
    {"name": "since", "in": "query", "required": False, "schema": DAY,
     "description": "Only letters published on this day or later (days in the site's time zone, Asia/Jerusalem)."},
    {"name": "until", "in": "query", "required": False, "schema": DAY,
     "description": "Only letters published on this day or earlier; not before `since`."},
    {"name": "collective", "in": "query", "required": False, "schema": {"type": "string", "enum": ["yes", "no"]},
     "description": "yes: only collective letters (others can co-sign); no: only letters of one person."},
]
SEARCH = {
    "name": "q", "in": "query", "required": False, "schema": {"type": "string"},
    "description": "Words to search for in titles, texts, names and descriptors, in any language (all of them must be in a letter; "
                   "Hebrew and Arabic prefixes, niqqud, tashkeel and English endings do not matter; its first 8 words are used). "
                   "Results come best first, then newest, each with an `excerpt`. A text without a word of two letters is a 400.",
}
DESCRIPTOR = {
    "name": "descriptor", "in": "query", "required": False, "schema": {"type": "string"},
    "description": "Words of a rank, unit or role: only letters whose author's or co-signers' name or descriptor holds them all.",
}
LETTER_PLACE = [
    {"name": "after", "in": "query", "required": False, "schema": CURSOR,
     "description": "The page of older letters after this cursor: copy `next`, do not build it."},
    {"name": "before", "in": "query", "required": False, "schema": CURSOR,
     "description": "The page of newer letters before this cursor: copy `previous`. Not with `after`."},
    {**PAGE, "deprecated": True,
     "description": "A page of the numbered list this API once had: answered with a redirect (302) to the same letters' cursor."},
]
NULLABLE_STRING = {"type": ["string", "null"]}
NULLABLE_URL = {"type": ["string", "null"], "format": "uri"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "A parameter is not valid (an unknown language, a day that is no day, a reversed range, a damaged cursor); the message says which, in the reader's language."),
    "404": _json(_ref("Error"), "No such page or letter (letters that are not public do not exist here)."),
}

LETTER_FIELDS = [
    "id", "url", "display_name", "descriptor", "language", "direction", "title", "text", "html", "published_at",
    "corrected_at", "collective", "open_for_signing", "signatures", "signers_url", "translations",
]
LETTER_PROPERTIES = {
    "id": PUBLIC_ID,
    "url": {"type": "string", "format": "uri"},
    "display_name": {"type": "string"},
    "descriptor": NULLABLE_STRING,
    "language": {"type": "string", "enum": ["he", "ar", "en"]},
    "direction": {"type": "string", "enum": ["rtl", "ltr"]},
    "title": NULLABLE_STRING,
    "text": {"type": "string"},
    "html": {"type": "string", "description": "The text as sanitized HTML (paragraphs, line breaks, links)."},
    "published_at": {"type": "string", "format": "date-time"},
    "corrected_at": {
        "type": ["string", "null"], "format": "date-time",
        "description": "When a moderator last corrected the published letter; null if never.",
    },
    "collective": {"type": "boolean", "description": "Others may co-sign it."},
    "open_for_signing": {"type": "boolean"},
    "signatures": {"type": "integer", "minimum": 0, "description": "Published co-signatures."},
    "signers_url": NULLABLE_URL,
    "translations": {
        "type": "array", "items": _ref("Translation"),
        "description": "The letter's approved translations into the site's other languages; none while not approved.",
    },
}

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "additionalProperties": False,
        "properties": {"error": {"type": "integer"}, "message": {"type": "string"}},
    },
    "Count": {
        "type": "object",
        "required": ["count", "breakdown", "last_published_at"],
        "additionalProperties": False,
        "properties": {
            "count": {"type": "integer", "minimum": 0, "description": "Public refusers: published letters plus published co-signatures."},
            "breakdown": {
                "type": "object",
                "required": ["letters", "signatures", "letters_by_language"],
                "additionalProperties": False,
                "properties": {
                    "letters": {"type": "integer", "minimum": 0},
                    "signatures": {"type": "integer", "minimum": 0},
                    "letters_by_language": {
                        "type": "object",
                        "required": ["he", "ar", "en"],
                        "additionalProperties": False,
                        "properties": {code: {"type": "integer", "minimum": 0} for code in ("he", "ar", "en")},
                    },
                },
            },
            "last_published_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "Letter": {"type": "object", "additionalProperties": False, "required": LETTER_FIELDS, "properties": LETTER_PROPERTIES},
    "LetterFound": {
        "type": "object",
        "additionalProperties": False,
        "required": [*LETTER_FIELDS, "excerpt"],
        "properties": {
            **LETTER_PROPERTIES,
            "excerpt": {"type": "string", "description": "About 40 words of the text around the first word found, as HTML: the text escaped, "
                                                           "each word found in <mark>, an ellipsis where the text goes on."},
        },
    },
    "Translation": {
        "type": "object",
        "additionalProperties": False,
        "required": ["language", "direction", "url", "title", "text", "html", "approved_by", "approved_at"],
        "properties": {
            "language": {"type": "string", "enum": ["he", "ar", "en"]},
            "direction": {"type": "string", "enum": ["rtl", "ltr"]},
            "url": {"type": "string", "format": "uri", "description": "The letter's page in this translation."},
            "title": NULLABLE_STRING,
            "text": {"type": "string"},
            "html": {"type": "string", "description": "The text as sanitized HTML, as the letter's."},
            "approved_by": {
                "type": "string", "enum": ["author", "team"],
                "description": "author: the author approved it; team: the site's team published it, not reviewed by the author.",
            },
            "approved_at": {"type": "string", "format": "date-time"},
        },
    },
    "LetterPage": {
        "type": "object",
        "additionalProperties": False,
        "required": ["letters", "total", "order", "next", "previous"],
        "properties": {
            "letters": {"type": "array", "items": {"anyOf": [_ref("Letter"), _ref("LetterFound")]}, "description": "Letter without `q`, LetterFound with it."},
            "total": {"type": "integer", "minimum": 0, "description": "How many letters the search and filters find, on every page."},
            "order": {
                "type": "string", "enum": ["relevance", "newest"],
                "description": "relevance: best matches first, then newest (a search); newest: newest first (no search, or a search that finds more letters "
                               "than are ranked, so that every one can be paged to; a walk keeps the order of its first page).",
            },
            "next": {**NULLABLE_URL, "description": "The page of older letters; null on the last page."},
            "previous": {**NULLABLE_URL, "description": "The page of newer letters; null on the first page."},
        },
    },
    "Signer": {
        "type": "object",
        "additionalProperties": False,
        "required": ["display_name", "descriptor"],
        "properties": {"display_name": {"type": "string"}, "descriptor": NULLABLE_STRING},
    },
    "SignerPage": {
        "type": "object",
        "additionalProperties": False,
        "required": ["letter", "signers", "page", "pages", "total", "next", "previous"],
        "properties": {
            "letter": PUBLIC_ID,
            "signers": {"type": "array", "items": _ref("Signer")},
            "page": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 1},
            "total": {"type": "integer", "minimum": 0},
            "next": NULLABLE_URL,
            "previous": NULLABLE_URL,
        },
    },
}


def document(server_url: str) -> dict:
    public_id = {"name": "public_id", "in": "path", "required": True, "schema": PUBLIC_ID}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Public refusers: public API",
            "version": "1",
            "description": "Published letters of refusal, their co-signers and the running count. Read-only; no private data.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/count": {"get": {"operationId": "count", "summary": "The running count of public refusers", "responses": {"200": _json(_ref("Count"), "The count.")}}},
            "/letters": {
                "get": {
                    "operationId": "letters",
                    "summary": "Published letters, newest first, filtered, a page at a time",
                    "parameters": [SEARCH, *LETTER_FILTERS, DESCRIPTOR, *LETTER_PLACE],
                    "responses": {
                        "200": _json(_ref("LetterPage"), "One page of letters."),
                        "302": {"description": "An old numbered page (`page`): its letters' address is in Location."},
                        **ERRORS,
                    },
                }
            },
            "/letters/{public_id}": {
                "get": {
                    "operationId": "letter",
                    "summary": "One published letter",
                    "parameters": [public_id],
                    "responses": {"200": _json(_ref("Letter"), "The letter."), "404": ERRORS["404"]},
                }
            },
            "/letters/{public_id}/signers": {
                "get": {
                    "operationId": "signers",
                    "summary": "The published co-signers of a collective letter, in order of signing",
                    "parameters": [public_id, PAGE],
                    "responses": {"200": _json(_ref("SignerPage"), "One page of signers."), **ERRORS},
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }

"""gunicorn settings, read automatically from the working directory: `gunicorn wsgi:app`."""

import logging
import os
import re
from urllib.parse import unquote

from gunicorn.glogging import Logger

bind = os.environ.get("REFUSAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Client addresses are personal data here: the access log leaves them out (no %(h)s).
accesslog = "-"
access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms'
# A worker stuck longer than this is killed and replaced.
timeout = 30
graceful_timeout = 20
# No control socket (gunicornc): systemd reloads and stops the server with signals, and the default
# socket, ~/.gunicorn/gunicorn.ctl, is one path for every gunicorn of a user (the suite's at once)
# and lies in a home folder the service may not write.
control_socket_disable = True

# Links that act on an author's letter or a co-signer's signature carry a token in the path
# (/confirm/, /signature/confirm/, /my-letter/, /my-signature/), as does a journalist's press
# preview (/press/preview/); the log keeps only its start.
# The path is read as the application routes it: percent-decoded (a client may spell "my-letter"
# "my%2Dletter") and with empty segments dropped ("/my-letter//TOKEN" is redirected to the token's
# page), so no spelling of a private link reaches the log in full.
PRIVATE_SEGMENTS = frozenset({"confirm", "my-letter", "my-signature", "preview"})
KEPT = 6  # characters of a token the log keeps, enough to tell two requests apart
# A path: a slash that starts a word, a value in a query (?next=/my-letter/...; also after ; or ,),
# or the path of an absolute address ("GET http://host/my-letter/..."), to the word's end.
PATH = re.compile(r"""(?:(?<![^\s'"(=&;,])|(?<=://)[^/\s'"&;,]*)/[^\s'"&;,]*""")
UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _decoded(text: str) -> str:
    for _ in range(8):  # "%252D" is "%2D" once decoded, and "-" twice
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def _redact_path(target: str) -> str:
    path, mark, query = target.partition("?")
    segments = [segment for segment in _decoded(path).split("/") if segment]
    for i in range(1, len(segments)):
        if segments[i - 1].lower() in PRIVATE_SEGMENTS:
            segments[i] = segments[i][:KEPT] + "…"
    # A value in the query may be a private path too (?next=/my-letter/...).
    shown = ("/" if path.startswith("/") else "") + "/".join(segments) + ("/" if path.endswith("/") and segments else "") + mark + (_redact_query(query) if mark else "")
    return UNPRINTABLE.sub(lambda m: f"\\x{ord(m[0]):02x}", shown)  # a decoded newline must not forge a log line


def _redact_query(query: str) -> str:
    return PATH.sub(lambda m: _redact_path(m[0]), _decoded(query))


def redact(text: str) -> str:
    """`text` with every path in it (a request line, a path, an error message) as the application
    would route it, and the token of any private link cut to its first characters."""
    return PATH.sub(lambda m: _redact_path(m[0]), text)


# gunicorn's own warning about a request it could not parse names the peer, formatted into the
# message: "Invalid request from ip=203.0.113.7: Invalid HTTP Version ..." (an IPv6 peer's address
# has colons of its own, never a colon and a space).
CLIENT_ADDRESS = re.compile(r" from ip=.*?(?=: )")


def without_client_address(record: logging.LogRecord) -> bool:
    """Take the client's address out of one of gunicorn's error-log lines, and cut private links."""
    message = record.getMessage()
    cleaned = redact(CLIENT_ADDRESS.sub("", message, count=1))
    if cleaned != message:
        record.msg, record.args = cleaned, ()
    return True


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        # setup() runs again on a reload (SIGHUP); a filter already there is not added twice.
        self.error_log.addFilter(without_client_address)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, cut in (("r", redact), ("U", redact), ("{raw_uri}e", redact), ("q", _redact_query)):
            if isinstance(atoms.get(key), str):
                atoms[key] = cut(atoms[key])
        return atoms


logger_class = RedactingLogger

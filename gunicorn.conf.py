"""gunicorn settings, read automatically from the working directory: `gunicorn wsgi:app`."""

import os
import re

from gunicorn.glogging import Logger

bind = os.environ.get("REFUSAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Client addresses are personal data here: the access log leaves them out (no %(h)s).
accesslog = "-"
access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms'
# A worker stuck longer than this is killed and replaced.
timeout = 30
graceful_timeout = 20

# Links that act on an author's letter or a co-signer's signature carry a token in the path
# (/confirm/, /signature/confirm/, /my-letter/, /my-signature/); the log keeps only its start.
PRIVATE_PATH = re.compile(r"/(confirm|my-letter|my-signature)/([^/?\s]{0,6})[^/?\s]*")


def redact(text: str) -> str:
    return PRIVATE_PATH.sub(lambda m: f"/{m.group(1)}/{m.group(2)}…", text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms


logger_class = RedactingLogger

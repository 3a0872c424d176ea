"""gunicorn settings, read automatically from the working directory: `gunicorn wsgi:app`."""

import logging
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
# No control socket (gunicornc): systemd reloads and stops the server with signals, and the default
# socket, ~/.gunicorn/gunicorn.ctl, is one path for every gunicorn of a user (the suite's at once)
# and lies in a home folder the service may not write.
control_socket_disable = True

# Links that act on an author's letter or a co-signer's signature carry a token in the path
# (/confirm/, /signature/confirm/, /my-letter/, /my-signature/); the log keeps only its start.
PRIVATE_PATH = re.compile(r"/(confirm|my-letter|my-signature)/([^/?\s]{0,6})[^/?\s]*")


def redact(text: str) -> str:
    return PRIVATE_PATH.sub(lambda m: f"/{m.group(1)}/{m.group(2)}…", text)


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
        for key in ("r", "U", "q", "{raw_uri}e"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms


logger_class = RedactingLogger

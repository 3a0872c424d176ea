"""gunicorn settings, read automatically from the working directory: `gunicorn wsgi:app`."""

import os

bind = os.environ.get("REFUSAL_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Client addresses are personal data here: the access log leaves them out (no %(h)s).
accesslog = "-"
access_log_format = '"%(r)s" %(s)s %(b)s %(M)sms'
# A worker stuck longer than this is killed and replaced.
timeout = 30
graceful_timeout = 20

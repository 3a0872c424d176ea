"""The web side of the mail outbox: deliver what a request queued right after its response.

mail.py queues and delivers and knows nothing of requests; this module hooks delivery onto the
response. (Not in http.py: extensions imports http for the rate limiter's key, and mail imports
extensions.)
"""

import functools
import threading
from collections.abc import Callable

from flask import Flask, Response, after_this_request, current_app, request

from . import mail


def deliver_mail_after_responses(app: Flask) -> None:
    """Deliver what a request queued right after its response, in the same process, so mail goes out
    with no sender process running (unless MAIL_DELIVER_AFTER_RESPONSE is off)."""

    @app.after_request
    def _deliver_after_response(response: Response) -> Response:
        if not app.config["MAIL_DELIVER_AFTER_RESPONSE"]:
            return response
        ids = mail.take_queued_here()
        if ids:
            _when_sent(app, response, functools.partial(mail.deliver_ids, ids))
        return response


def after_response(work: Callable[[], object]) -> None:
    """Run `work`, in an app context of its own, once this request's response has been sent: for what
    must neither delay nor shape the answer (whatever is left undelivered, send-mail sends)."""
    app = current_app._get_current_object()

    @after_this_request
    def _schedule(response: Response) -> Response:
        _when_sent(app, response, work)
        return response


def _when_sent(app: Flask, response: Response, work: Callable[[], object]) -> None:
    def run() -> None:
        with app.app_context():
            try:
                work()
            except Exception:
                # The response is gone; any message still queued waits for send-mail.
                app.logger.exception("mail work after the response failed")

    if "werkzeug.socket" in request.environ:
        # Flask's development server skips close() when the browser resets the connection, as
        # Chromium does after a redirect: there, the work gets a thread of its own.
        threading.Thread(target=run, name="mail-after-response", daemon=True).start()
    else:
        # A WSGI server calls close() once the response is sent (PEP 3333), even when the client left.
        response.call_on_close(run)

"""refusal_site: public letters of refusal, moderated, counted and compiled for the press."""

import os

from flask import Flask

from . import cli, http, i18n, mail_http
from .config import configure, instance_path
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .models import described_by_models
from .storage import end_sessions_safely, tune_engine


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=instance_path(test_config), instance_relative_config=True)
    configure(app, test_config)

    db.init_app(app)
    end_sessions_safely(app)
    migrations = app.config.get("MIGRATIONS_DIRECTORY", _migrations_directory())
    migrate.init_app(app, db, directory=migrations, include_name=described_by_models)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "moderate.sign_in"
    # Our own session tokens revoke stolen sessions; no address-derived fingerprint is needed.
    login_manager.session_protection = None
    with app.app_context():
        tune_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])

    from .api.views import bp as api_bp
    from .moderate import bp as moderate_bp
    from .press.views import bp as press_bp
    from .public.cards import bp as cards_bp
    from .public.crawlers import bp as crawlers_bp
    from .public.embed import bp as embed_bp
    from .public.exports import bp as exports_bp
    from .public.views import bp as public_bp
    from .submit.views import bp as submit_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(embed_bp)
    app.register_blueprint(crawlers_bp)
    app.register_blueprint(cards_bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(submit_bp)
    app.register_blueprint(moderate_bp)
    app.register_blueprint(press_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")

    # A PDF worker process builds its app as this one was built: the factory is handed down, not
    # imported by the domain (which would make the domain depend on the blueprints above it).
    app.extensions["app_factory"] = create_app
    cli.register(app)
    i18n.init_app(app, babel)
    http.init_app(app)
    mail_http.deliver_mail_after_responses(app)
    return app


def _migrations_directory() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")

"""Unbound extension singletons; create_app() binds them to an application."""

from flask.logging import default_handler
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .http import client_key, has_no_limits

# Stable constraint names, so migrations can refer to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
# Batch mode lets ALTER work on SQLite; compare_type makes the schema test catch type drift.
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
babel = Babel()
# Limits are declared on the routes that need them; storage comes from RATELIMIT_STORAGE_URI.
limiter = Limiter(key_func=client_key)
# It warns that Redis is lost (and it falls back to each worker's memory) on a logger of its own
# that writes nowhere: write it where the app's own messages go.
limiter.logger.addHandler(default_handler)
limiter.request_filter(has_no_limits)
login_manager = LoginManager()

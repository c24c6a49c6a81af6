"""campaign_site: the petition microsite of the Global Justice Campaign for Sergei Magnitsky."""

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from campaign_site.config import (
    TestingConfig,
    check_production_settings,
    config_from_environment,
    database_pool_mode,
    onion_url,
    trusted_hosts,
)


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from APP_ENV, or testing settings plus test_config."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder=None,  # served by web/assets.py under content-hashed names
        instance_relative_config=True,
    )
    if test_config is None:
        app.config.from_object(config_from_environment())
    else:
        app.config.from_object(TestingConfig())
        app.config.update(test_config)
    check_production_settings(app.config)
    app.config["ONION_URL"] = onion_url(app.config)  # refuses a malformed one: no start
    app.config["DATABASE_POOL_MODE"] = database_pool_mode(app.config)  # likewise
    app.config.setdefault("TRUSTED_HOSTS", None)
    app.config["TRUSTED_HOSTS"] = app.config["TRUSTED_HOSTS"] or trusted_hosts(app.config)
    os.makedirs(app.instance_path, exist_ok=True)
    install_log_redaction()
    install_json_logs(app)
    load_keys(app)
    load_content(app)
    check_erasure_ledger(app)

    register_languages(app)
    register_onion(app)
    trust_proxies(app)
    register_maintenance(app)
    register_extensions(app)
    register_blueprints(app)
    register_assets(app)
    register_rate_limits(app)
    register_template_filters(app)
    register_error_handlers(app)
    register_cli(app)
    register_metrics(app)
    register_public_cache(app)
    return app


def register_metrics(app: Flask) -> None:
    """/metrics for Prometheus, with METRICS_TOKEN only; the request timing hooks go first."""
    from campaign_site.metrics import register

    register(app)


def register_public_cache(app: Flask) -> None:
    """Outermost: a repeat of a public page is answered before anything else runs."""
    from campaign_site.web import public_cache, request_store

    public_cache.register(app)
    request_store.register(app)


def install_log_redaction() -> None:
    """No link token in any log line we or the development server write."""
    from campaign_site.web.log_redaction import install_filter

    install_filter()


def install_json_logs(app: Flask) -> None:
    """LOG_FORMAT=json: the app's log (and the development server's) one JSON object a line."""
    if app.config["LOG_FORMAT"] == "json":
        from campaign_site.web import json_logs

        json_logs.install((app.name, "werkzeug"))


def load_content(app: Flask) -> None:
    """The content file: shown until organisers publish from /admin/content. Without the
    required content the site starts and says "launching soon" (petition/campaign_content.py)."""
    from campaign_site import content

    app.extensions["campaign_site.content"] = content.load(app.config["CONTENT_FILE"])


def check_erasure_ledger(app: Flask) -> None:
    """Production will not start unless withdrawals can be written down (ERASURE_LEDGER_DIR)."""
    from campaign_site.petition import erasure_ledger

    if app.config.get("PRODUCTION"):
        erasure_ledger.check_writable(app)


def load_keys(app: Flask) -> None:
    """The keys that seal supporters' data; production will not start without them."""
    from campaign_site.crypto import passwords
    from campaign_site.crypto.keyrings import load_keyrings

    load_keyrings(app)
    passwords.prepare(app.config["PASSWORD_HASH_METHOD"])


def register_languages(app: Flask) -> None:
    """English, German, Russian, Ukrainian; the language comes from the URL prefix."""
    from campaign_site.web.i18n import register

    register(app)


def register_onion(app: Flask) -> None:
    """ONION_URL: its Host is served like PUBLIC_URL's; public pages name it (web/onion.py)."""
    from campaign_site.web.onion import register

    register(app)


def trust_proxies(app: Flask) -> None:
    """Take the client's address and scheme from X-Forwarded-* only from trusted proxies."""
    hops = app.config["TRUSTED_PROXIES"]
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register_maintenance(app: Flask) -> None:
    """MAINTENANCE_MODE: writes answer 503, reads keep serving (first of the request hooks)."""
    from campaign_site.web.maintenance import register

    register(app)


def register_extensions(app: Flask) -> None:
    """Bind the database, migrations, CSRF protection, rate limits and security headers."""
    from campaign_site.database import configure_engine, engine_options
    from campaign_site.extensions import csrf, db, migrate
    from campaign_site.web import security_headers
    from campaign_site.web.sessions import CachedSerializerSessionInterface

    app.session_interface = CachedSerializerSessionInterface()
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["DATABASE_POOL_MODE"], app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    )
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "..", "migrations"))
    csrf.init_app(app)
    security_headers.register(app)
    with app.app_context():
        configure_engine(db.engine)


def register_blueprints(app: Flask) -> None:
    """The public page and the admin area."""
    from campaign_site.admin import bp as admin_bp
    from campaign_site.public import bp as public_bp
    from campaign_site.public.email_links import bp as links_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(links_bp)
    app.register_blueprint(admin_bp)


def register_assets(app: Flask) -> None:
    """static/ served under content-hashed names with long cache lifetimes."""
    from pathlib import Path

    from campaign_site.web.assets import register
    from campaign_site.web.images import register as register_images

    register(app, Path(app.root_path).parent / "static")
    register_images(app, Path(app.root_path).parent / "static")  # after the hashing


def register_rate_limits(app: Flask) -> None:
    """Per-IP and per-account limits on the routes a flood would hit (see web/rate_limits.py)."""
    from campaign_site.web.rate_limits import register

    register(app)


def register_template_filters(app: Flask) -> None:
    """Number formatting for the templates."""
    from campaign_site.web.template_filters import register

    register(app)


def register_error_handlers(app: Flask) -> None:
    """Readable error pages; a failed request never leaves a half-done transaction."""
    from campaign_site.web.errors import register

    register(app)


def register_cli(app: Flask) -> None:
    """`flask create-admin`, `flask mail-worker` and the data-retention commands."""
    from campaign_site.cli import COMMANDS

    for command in COMMANDS:
        app.cli.add_command(command)

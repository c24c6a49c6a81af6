"""Static files under content-hashed names, so browsers and CDNs may keep them for a year.

`asset_url("css/site.css")` gives /static/css/site.<hash>.css; a changed file gets a new
name, so a long cache lifetime never serves a stale stylesheet.
"""

import hashlib
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    has_request_context,
    redirect,
    request,
    send_from_directory,
)

from campaign_site.web.i18n import BASE_KEY

bp = Blueprint("assets", __name__)

ONE_YEAR = 365 * 24 * 3600
UNHASHED_MAX_AGE = 300


def hashed_name(path: Path, relative: str) -> str:
    """css/site.css -> css/site.0123456789.css, from the file's content."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
    stem, dot, suffix = relative.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot else f"{relative}.{digest}"


def build_manifest(folder: Path) -> dict[str, str]:
    """Logical name -> hashed name, for every file under folder."""
    return {
        str(path.relative_to(folder)): hashed_name(path, str(path.relative_to(folder)))
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix != ".gz"  # make static's copies for nginx
    }


def asset_url(name: str) -> str:
    """The URL of a static file under its hashed name."""
    manifest = current_app.extensions["campaign_site.assets"]
    # One address per file whatever the page's language (/de/... pages share /static/...).
    base = request.environ.get(BASE_KEY, request.script_root) if has_request_context() else ""
    return f"{base}/static/{manifest[name]}"


@bp.get("/static/<path:filename>")
def static_file(filename: str):
    """Serve a file; under its hashed name it may be cached for a year."""
    manifest = current_app.extensions["campaign_site.assets"]
    originals = current_app.extensions["campaign_site.assets_by_hash"]
    folder = current_app.extensions["campaign_site.assets_folder"]
    if filename in originals:
        response = send_from_directory(folder, originals[filename], max_age=ONE_YEAR)
        response.cache_control.immutable = True
        response.cache_control.public = True
        return response
    if filename in manifest:
        return send_from_directory(folder, filename, max_age=UNHASHED_MAX_AGE)
    abort(404)


@bp.get("/favicon.ico")
def favicon():
    """Browsers and crawlers ask for /favicon.ico whatever the page says: send them the icon."""
    return redirect(asset_url("img/favicon.svg"), code=301)


def register(app: Flask, folder: Path) -> None:
    """Hash the static files once at start-up and serve them."""
    manifest = build_manifest(folder)
    app.extensions["campaign_site.assets"] = manifest
    app.extensions["campaign_site.assets_by_hash"] = {
        hashed: name for name, hashed in manifest.items()
    }
    app.extensions["campaign_site.assets_folder"] = str(folder)
    app.add_template_global(asset_url)
    app.register_blueprint(bp)

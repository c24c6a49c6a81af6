"""Debian's nginx on loopback with deploy/nginx/campaign_site.conf and the origins' upstream
beside it (and, for the onion service, deploy/tor/campaign_site_onion.conf), for
tests/test_nginx.py, tests/test_nginx_onion.py, tests/test_two_origins.py and `make bench`:
the repository's files with only their "(test)" values changed, each once."""

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "deploy/nginx/campaign_site.conf"
ORIGINS_CONFIG = ROOT / "deploy/nginx/campaign_site_origins.conf"
# The shipped file's origin lines: address, the rest of the line kept for each test origin.
ORIGIN_LINE = re.compile(r"^(\s*server )127\.0\.0\.1:\d+( [^;]*;).*\(test\)$", re.M)
ONION_CONFIG = ROOT / "deploy/tor/campaign_site_onion.conf"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )


def origins_config(app_ports: list[int]) -> str:
    """The upstream block with one server line per port, as the shipped lines are written."""
    text = ORIGINS_CONFIG.read_text()
    shipped = list(ORIGIN_LINE.finditer(text))
    if len(shipped) != 2:
        raise AssertionError(f"{ORIGINS_CONFIG.relative_to(ROOT)} no longer holds two origin lines")
    first = shipped[0]
    lines = "\n".join(f"{first.group(1)}127.0.0.1:{port}{first.group(2)}" for port in app_ports)
    return text[: first.start()] + lines + text[shipped[1].end() :]


def site_config(tmp: Path, nginx_port: int, static: Path) -> str:
    return _rewritten(
        CONFIG,
        [
            ("/var/cache/nginx/campaign_site", str(tmp / "cache")),
            ("listen 80;", f"listen 127.0.0.1:{nginx_port};"),
            ("/var/log/nginx/campaign_site.access.log", str(tmp / "access.log")),
            ("/var/log/nginx/campaign_site.error.log", str(tmp / "site-error.log")),
            ("/srv/campaign_site/static/", f"{static}/"),
        ],
    )


def onion_site_config(tmp: Path, onion_port: int, onion_host: str, static: Path) -> str:
    return _rewritten(
        ONION_CONFIG,
        [
            ("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{onion_port};"),
            ("server_name campaign-onion-address.onion;", f"server_name {onion_host};"),
            ("/var/log/nginx/campaign_site_onion.access.log", str(tmp / "onion-access.log")),
            ("/var/log/nginx/campaign_site_onion.error.log", str(tmp / "onion-error.log")),
            ("/srv/campaign_site/static/", f"{static}/"),
        ],
    )


def _rewritten(config: Path, changes: list[tuple[str, str]]) -> str:
    text = config.read_text()
    for production, here in changes:
        if text.count(production) != 1:
            raise AssertionError(f"{config.relative_to(ROOT)} no longer holds {production!r} once")
        text = text.replace(production, here)
    return text


def main_config(tmp: Path, sites: list[Path], workers: int = 1) -> str:
    """A minimal nginx.conf around the site's files, everything under tmp."""
    user = "user root;" if os.geteuid() == 0 else ""  # workers must read tmp's files
    temp = " ".join(
        f"{kind}_temp_path {tmp / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}
worker_processes {workers};
daemon off;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    {temp}
    {" ".join(f"include {site};" for site in sites)}
}}
"""


@contextmanager
def nginx_in_front(
    tmp: Path,
    app_port: int | list[int],
    nginx_port: int,
    static: Path,
    workers: int = 1,
    onion: tuple[int, str] | None = None,
) -> Iterator[subprocess.Popen]:
    """Check the configuration, start nginx (foreground), stop it afterwards. app_port: the
    origin, or a list of them. onion: the port and host name of the onion service's server
    block, when it is wanted too."""
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError("nginx is not installed: `make tools` installs Debian's")
    tmp.mkdir(parents=True, exist_ok=True)
    origins = tmp / "campaign_site_origins.conf"
    origins.write_text(origins_config(app_port if isinstance(app_port, list) else [app_port]))
    site = tmp / "campaign_site.conf"
    site.write_text(site_config(tmp, nginx_port, static))
    sites = [origins, site]
    if onion is not None:
        sites.append(tmp / "campaign_site_onion.conf")
        sites[-1].write_text(onion_site_config(tmp, *onion, static))
    conf = tmp / "nginx.conf"
    conf.write_text(main_config(tmp, sites, workers))
    command = [binary, "-p", str(tmp), "-c", str(conf)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True)
    if checked.returncode != 0:
        raise AssertionError(checked.stderr)
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    try:
        yield process
    finally:
        process.terminate()
        process.communicate(timeout=10)

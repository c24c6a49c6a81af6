"""What the browser tests share: the app served on loopback (LiveSite), Debian's Chromium
driven by Playwright (the `browser` and `page` fixtures), screenshots, axe-core reports and
the petition form filled in as a supporter would.

Test modules import the fixtures by name (`from browser_support import browser`); pytest
finds them in the module that uses them, one Chromium per module.
"""

import email
import json
import os
import re
import threading
import time
from email import policy
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from support import totp_secret_from
from werkzeug.serving import make_server

from campaign_site import create_app

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1440, "height": 900}
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@example.org", "a long admin passphrase"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def closing_responses(app):
    """The app, with each response closed even when the browser goes away mid-write.
    Werkzeug's development server leaves a response it could not finish unclosed: a CI run
    failed on the ResourceWarning of a favicon whose request Chromium dropped."""

    def wsgi(environ, start_response):
        response = app(environ, start_response)

        def chunks():
            try:
                yield from response
            finally:  # also when the server drops this generator unfinished
                if hasattr(response, "close"):
                    response.close()

        return chunks()

    return wsgi


class LiveSite:
    """The app on a loopback port, as a browser reaches it."""

    def __init__(self, tmp: Path, **settings) -> None:
        self.mail_dir = tmp / "mail"
        self.app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'site.db'}",
                "MAIL_OUTBOX_DIR": str(self.mail_dir),
                "ADMIN_TOTP_REQUIRED": True,  # the browser logs in with a code, as admins do
                **settings,
            }
        )
        with self.app.app_context():
            from flask_migrate import upgrade

            upgrade()
        enrolment = self.cli(["create-admin", ADMIN_EMAIL], input=ADMIN_PASSWORD + "\n")
        self.totp_secret = totp_secret_from(enrolment)
        self.recovery_codes = re.findall(r"^  ([0-9a-f-]{23})$", enrolment, re.M)
        self.last_step = -1
        self.server = make_server("127.0.0.1", 0, closing_responses(self.app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.app.config["PUBLIC_URL"] = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def log_in_admin(self, page: Page) -> None:
        """Password, then a code: the authenticator's while its step is unused (each code
        works once), else a recovery code."""
        page.goto(self.url + "/admin/login")
        page.fill("#email", ADMIN_EMAIL)
        page.fill("#password", ADMIN_PASSWORD)
        page.click("button[type=submit]")
        step = int(time.time()) // 30
        if step > self.last_step:
            self.last_step, code = step, pyotp.TOTP(self.totp_secret).now()
        else:
            code = self.recovery_codes.pop()
        page.fill("#code", code)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Overview")

    def cli(self, args: list[str], input: str | None = None) -> str:
        result = self.app.test_cli_runner().invoke(args=args, input=input)
        assert result.exit_code == 0, result.output
        return result.output

    def deliver_mail(self) -> list[email.message.EmailMessage]:
        """Run the mail worker once; every message it wrote, oldest first."""
        self.cli(["mail-worker", "--once"])
        files = sorted(self.mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
        return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in files]

    def link_sent_to(self, address: str, path: str) -> str:
        """The newest link starting with self.url + path in mail to address."""
        for message in reversed(self.deliver_mail()):
            if message["To"].addresses[0].addr_spec == address:
                text = message.get_body(preferencelist=("plain",)).get_content()
                links = re.findall(re.escape(self.url + path) + r"\S+", text)
                if links:
                    return links[0]
        raise AssertionError(f"no {path} link mailed to {address}")

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    live = LiveSite(tmp_path_factory.mktemp("browser"))
    yield live
    live.stop()


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs Debian's chromium"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser):
    context = browser.new_context(viewport=PHONE, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Page, name: str) -> None:
    """Full-page screenshots at phone and desktop width, kept as test artifacts."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in (("375x812", PHONE), ("1440x900", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=folder / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size(original)


def axe_violations(page: Page, name: str) -> list[dict]:
    """Run axe-core in the page (CDP evaluation, so the strict CSP is left on) and keep the report."""
    assert AXE.exists(), f"{AXE} is missing: `make test` installs it with npm ci"
    page.evaluate(AXE.read_text())
    results = page.evaluate(
        "opts => axe.run(document, opts)", {"runOnly": {"type": "tag", "values": WCAG_TAGS}}
    )
    folder = ARTIFACTS / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    summary = {
        key: len(results[key]) for key in ("passes", "violations", "incomplete", "inapplicable")
    }
    (folder / f"{name}.json").write_text(
        json.dumps({"summary": summary, "violations": results["violations"]}, indent=2)
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "targets": [node["target"] for node in v["nodes"]],
        }
        for v in results["violations"]
    ]


def fill_petition(page: Page, name: str, address: str, show_name: bool = False) -> None:
    """name is "Given Family ...": the first word goes in the given name field, the rest in the family name."""
    given_name, _, family_name = name.partition(" ")
    page.fill("#given_name", given_name)
    page.fill("#family_name", family_name)
    page.fill("#email", address)
    page.select_option("#country", "DE")
    page.fill("#postcode_city", "Berlin")
    if show_name:
        page.check("#show_name")


def shown_count(page: Page) -> int:
    return int(page.locator("[data-count]").inner_text().replace(",", ""))

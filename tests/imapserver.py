"""Debian's dovecot as an unprivileged IMAP server in a temp dir, for the bounce tests:
its own config, a passwd-file user, maildirs in the temp dir, a free loopback port."""

import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ports import free_port

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "bounces", "secret"


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or (DOVECOT if os.path.exists(DOVECOT) else None)


def _users() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid): this user's own when not root;
    as root, the package's dovenull/dovecot and nobody's uid for the mail."""
    if os.getuid() != 0:
        me = pwd.getpwuid(os.getuid())
        return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid
    nobody = pwd.getpwnam("nobody")
    return "dovenull", "dovecot", nobody.pw_uid, nobody.pw_gid


class ImapServer:
    def __init__(self, folder: Path) -> None:
        if os.getuid() == 0:
            # Dovecot's own users must reach the folder; pytest's root temp dir is 0700.
            folder = Path(tempfile.mkdtemp(prefix="dovecot-"))
            folder.chmod(0o755)
            self.own_folder = True
        else:
            self.own_folder = False
        self.folder, self.port = folder, free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        login, internal, uid, gid = _users()
        for name in ("run", "state", "mail", "home"):
            (self.folder / name).mkdir(parents=True, exist_ok=True)
        if os.getuid() == 0:  # the mail processes run as nobody
            for name in ("mail", "home"):
                os.chown(self.folder / name, uid, gid)
        (self.folder / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        chroots = "".join(
            f"service {name} {{\n  chroot =\n}}\n"
            for name in ("anvil", "pop3-login", "submission-login", "imap-urlauth-login")
        )
        f = self.folder
        (f / "dovecot.conf").write_text(
            f"""base_dir = {f}/run
state_dir = {f}/state
log_path = {f}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_login_user = {login}
default_internal_user = {internal}
default_internal_group = {internal}
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = {f}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={f}/home/%u
}}
mail_location = maildir:{f}/mail/%u
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
{chroots}"""
        )
        self.process = subprocess.Popen(
            [dovecot_binary() or DOVECOT, "-F", "-c", str(f / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                self.client().logout()
                return
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.1)
        log = (f / "dovecot.log").read_text() if (f / "dovecot.log").exists() else ""
        raise AssertionError(f"dovecot did not start: {log}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
        if self.own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
        client.login(USER, PASSWORD)
        return client

    def url(self, folder: str = "INBOX") -> str:
        return f"imap://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{folder}"

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            client.append(folder, None, None, raw)
        finally:
            client.logout()

    def count(self, folder: str) -> tuple[int, int]:
        """(messages, of which seen) in a folder."""
        client = self.client()
        try:
            status, data = client.select(folder, readonly=True)
            if status != "OK":
                return 0, 0
            seen = client.search(None, "SEEN")[1][0].split()
            return int(data[0]), len(seen)
        finally:
            client.logout()

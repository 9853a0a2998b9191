#!/usr/bin/env python3
"""Browser journey against a running Tandem demo.

Usage: python3 tests/browser/journey.py http://127.0.0.1:18080

Standard library only: a minimal W3C WebDriver client over urllib that drives
Debian's headless Chromium through chromedriver, which this script starts on a
free port and stops at the end.

Checks:
  1. A wrong password is refused: an error is shown and the browser stays on /login.
  2. The client admin signs in, lands on /dashboard, follows #nav-audit, narrows
     it to the provider's actions and finds the provider engineer's work on the
     client's data in #audit-log.
  3. The client admin opens a ticket and hands it off; the provider engineer, in
     a second browser session, finds it, answers publicly and resolves it; the
     client admin sees the answer, the resolution and the stopped clocks.
  4. The client admin changes a line of the responsibility split on /desk and
     finds the change in the matrix and in its history.

Prints one line per check, then `N passed, M failed`; exits non-zero on any
failure. Screenshots go to target/browser/ (audit.png, plus <check>-failure.png
when a check fails), and chromedriver's log to target/browser/chromedriver.log.
"""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

CHROMIUM = os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TANDEM_CHROMEDRIVER", "/usr/bin/chromedriver")

DEMO_PASSWORD = "tandem-demo-2026"
CLIENT_ADMIN = "priya.nair@alder.example"
PROVIDER_ENGINEER = "dev.ramanathan@harborlane.example"
# What the demo's provider engineer does on the client's data.
AUDIT_ACTIONS = ("user.create", "ticket.comment", "ticket.update", "ticket.handoff")

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "target" / "browser"

# The W3C key under which an element reference is returned.
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"

WAIT_SECONDS = 20.0


# --------------------------------------------------------------------------
# WebDriver client
# --------------------------------------------------------------------------


class WebDriverError(Exception):
    def __init__(self, error: str, message: str, status: int | None = None):
        super().__init__(f"{error}: {message}" + (f" (HTTP {status})" if status else ""))
        self.error = error
        self.message = message


class CheckFailed(Exception):
    """A check's expectation was not met; the message says what was found."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(method: str, url: str, body: object | None = None, timeout: float = 60.0) -> object:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json; charset=utf-8")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            value = json.loads(raw)["value"]
            raise WebDriverError(value.get("error", "unknown error"), value.get("message", ""), e.code) from None
        except (ValueError, KeyError, TypeError, AttributeError):
            raise WebDriverError("http error", raw[:500].decode(errors="replace"), e.code) from None
    if not raw:
        return None
    return json.loads(raw).get("value")


class Chromedriver:
    """A chromedriver process on a free local port."""

    def __init__(self, binary: str, log_path: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen(
            [binary, f"--port={self.port}"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + WAIT_SECONDS
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"chromedriver exited with {self.proc.returncode}; see {log_path}")
            try:
                status = _http("GET", f"{self.url}/status", timeout=2)
                if isinstance(status, dict) and status.get("ready"):
                    return
            except (OSError, WebDriverError, ValueError) as e:
                last = e
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"chromedriver not ready within {WAIT_SECONDS:.0f}s (last error: {last}); see {log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


class Element:
    def __init__(self, session: "Session", element_id: str, selector: str):
        self.session = session
        self.id = element_id
        self.selector = selector

    def _cmd(self, method: str, path: str, body: object | None = None) -> object:
        return self.session.cmd(method, f"/element/{self.id}{path}", body)

    def send_keys(self, text: str) -> None:
        self._cmd("POST", "/value", {"text": text})

    def clear(self) -> None:
        self._cmd("POST", "/clear", {})

    def click(self) -> None:
        self._cmd("POST", "/click", {})

    @property
    def text(self) -> str:
        return str(self._cmd("GET", "/text"))

    def attribute(self, name: str) -> str | None:
        value = self._cmd("GET", f"/attribute/{urllib.parse.quote(name)}")
        return None if value is None else str(value)

    def prop(self, name: str) -> object:
        return self._cmd("GET", f"/property/{urllib.parse.quote(name)}")

    @property
    def tag_name(self) -> str:
        return str(self._cmd("GET", "/name"))

    def is_stale(self) -> bool:
        """True once the element's document has been replaced."""
        try:
            self.tag_name
            return False
        except WebDriverError as e:
            if e.error in ("stale element reference", "no such element", "detached shadow root"):
                return True
            # Mid-navigation, chromedriver may report a vanished node as an unknown error.
            if e.error == "unknown error" and re.search(r"does not belong to the document|no node", e.message, re.I):
                return True
            raise


class Session:
    """One browser session (W3C WebDriver protocol)."""

    def __init__(self, driver_url: str, profile_dir: str):
        self.driver_url = driver_url
        caps = {
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "goog:chromeOptions": {
                        "binary": CHROMIUM,
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-background-networking",
                            "--disable-dev-shm-usage",
                            "--no-first-run",
                            "--disable-component-update",
                            "--disable-sync",
                            "--window-size=1280,1000",
                            f"--user-data-dir={profile_dir}",
                        ],
                    },
                }
            }
        }
        value = _http("POST", f"{driver_url}/session", caps, timeout=90)
        if not isinstance(value, dict) or "sessionId" not in value:
            raise RuntimeError(f"unexpected new-session answer: {value!r}")
        self.id = value["sessionId"]
        self.cmd("POST", "/timeouts", {"pageLoad": 60_000, "script": 30_000, "implicit": 0})

    def cmd(self, method: str, path: str, body: object | None = None) -> object:
        return _http(method, f"{self.driver_url}/session/{self.id}{path}", body)

    def get(self, url: str) -> None:
        self.cmd("POST", "/url", {"url": url})

    @property
    def current_url(self) -> str:
        return str(self.cmd("GET", "/url"))

    @property
    def page_source(self) -> str:
        return str(self.cmd("GET", "/source"))

    def execute(self, script: str, *args: object) -> object:
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css: str) -> Element:
        value = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        assert isinstance(value, dict)
        return Element(self, value[ELEMENT_KEY], css)

    def find_all(self, css: str) -> list[Element]:
        value = self.cmd("POST", "/elements", {"using": "css selector", "value": css})
        assert isinstance(value, list)
        return [Element(self, v[ELEMENT_KEY], css) for v in value]

    def wait_for(self, css: str, timeout: float = WAIT_SECONDS) -> Element:
        """The first element matching `css`, polling until it appears."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.find(css)
            except WebDriverError as e:
                if e.error != "no such element":
                    raise
            if time.monotonic() > deadline:
                raise CheckFailed(
                    f"no element matches {css!r} after {timeout:.0f}s at {self.current_url}; "
                    f"page text: {self.body_text()!r}"
                )
            time.sleep(0.2)

    def wait_until_loaded(self, old: Element | None = None, timeout: float = WAIT_SECONDS) -> None:
        """After an action that navigates: wait until `old` is gone and the new document is complete."""
        deadline = time.monotonic() + timeout
        if old is not None:
            while not old.is_stale():
                if time.monotonic() > deadline:
                    raise CheckFailed(f"page did not change within {timeout:.0f}s; still at {self.current_url}")
                time.sleep(0.1)
        state: object = None
        while True:
            try:
                state = self.execute("return document.readyState;")
            except WebDriverError as e:  # the document may be swapped while we ask
                state = f"<{e.error}>"
            if state == "complete":
                return
            if time.monotonic() > deadline:
                raise CheckFailed(
                    f"page at {self.current_url} did not finish loading within {timeout:.0f}s (readyState {state!r})"
                )
            time.sleep(0.1)

    def body_text(self, limit: int = 1500) -> str:
        try:
            text = str(self.execute("return document.body ? document.body.innerText : '';"))
        except WebDriverError as e:
            return f"<could not read page text: {e}>"
        return squash(text, limit)

    def screenshot(self, path: Path) -> Path:
        data = self.cmd("GET", "/screenshot")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(str(data)))
        return path

    def delete_cookies(self) -> None:
        self.cmd("DELETE", "/cookie")

    def quit(self) -> None:
        try:
            self.cmd("DELETE", "")
        except (OSError, WebDriverError):
            pass


# --------------------------------------------------------------------------
# The journey
# --------------------------------------------------------------------------


def squash(text: str, limit: int = 1500) -> str:
    """Whitespace collapsed, cut to `limit` characters: for messages."""
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit] + "..."


def path_of(url: str) -> str:
    return urllib.parse.urlsplit(url).path


def sign_in(s: Session, base: str, email: str, password: str) -> None:
    s.get(f"{base}/login")
    s.wait_until_loaded()
    form = s.wait_for('form[method="post"][action="/login"]')
    csrf = s.find_all('form[action="/login"] input[type="hidden"][name="csrf"]')
    if not csrf or not (csrf[0].prop("value") or ""):
        raise CheckFailed("the sign-in form has no non-empty hidden input name=\"csrf\"")
    email_input = s.find('form[action="/login"] input[name="email"]')
    password_input = s.find('form[action="/login"] input[name="password"]')
    email_input.clear()
    email_input.send_keys(email)
    password_input.clear()
    password_input.send_keys(password)
    s.find("#sign-in").click()
    s.wait_until_loaded(old=form)


def open_form_and_submit(s: Session, button: str) -> None:
    b = s.find(button)
    b.click()
    s.wait_until_loaded(old=b)


def check_wrong_password_refused(s: Session, base: str) -> str:
    s.delete_cookies()
    sign_in(s, base, CLIENT_ADMIN, DEMO_PASSWORD + "-wrong")
    url = s.current_url
    if path_of(url) != "/login":
        raise CheckFailed(f"expected to stay on /login, but the browser is at {url}; page text: {s.body_text()!r}")
    errors = [e.text.strip() for e in s.find_all('[role="alert"], .error, #login-error')]
    errors = [e for e in errors if e]
    if not errors:
        raise CheckFailed(f"no error is shown at {url} (looked for [role=alert], .error, #login-error); page text: {s.body_text()!r}")
    if not s.find_all('form[action="/login"] input[name="password"]'):
        raise CheckFailed(f"the sign-in form is gone at {url}; page text: {s.body_text()!r}")
    return f"stayed on {path_of(url)}, error shown: {errors[0]!r}"


def check_admin_sees_provider_in_audit(s: Session, base: str) -> str:
    s.delete_cookies()
    sign_in(s, base, CLIENT_ADMIN, DEMO_PASSWORD)
    url = s.current_url
    if not path_of(url).endswith("/dashboard"):
        raise CheckFailed(f"expected /dashboard after sign-in, got {url}; page text: {s.body_text()!r}")

    nav = s.wait_for("#nav-audit")
    href = nav.attribute("href") or ""
    if path_of(urllib.parse.urljoin(url, href)) != "/audit":
        raise CheckFailed(f"#nav-audit links to {href!r}, expected /audit")
    nav.click()
    s.wait_until_loaded(old=nav)
    if path_of(s.current_url) != "/audit":
        raise CheckFailed(f"expected /audit after clicking #nav-audit, got {s.current_url}")
    # The demo's ticket history fills the log; narrow it to what the provider did.
    s.find('#audit-side option[value="provider"]').click()
    open_form_and_submit(s, "#audit-filter")

    table = s.wait_for("#audit-log")
    rows = [r.text for r in s.find_all("#audit-log tbody tr")]
    if not rows:
        raise CheckFailed(f"#audit-log is empty: {squash(table.text)!r}")
    client_rows = [r for r in rows if " client " in f" {r} "]
    if client_rows:
        raise CheckFailed(f"the provider filter still shows client actions: {[squash(r, 200) for r in client_rows][:5]!r}")
    matching = [r for r in rows if PROVIDER_ENGINEER in r and any(a in r for a in AUDIT_ACTIONS)]
    if not matching:
        raise CheckFailed(
            f"no #audit-log row shows {PROVIDER_ENGINEER!r} doing one of {AUDIT_ACTIONS!r}; "
            f"rows: {[squash(r, 200) for r in rows][:20]!r}"
        )
    shot = s.screenshot(ARTIFACTS / "audit.png")
    return f"{len(rows)} rows, e.g. {squash(matching[0], 160)!r}; screenshot {shot.relative_to(REPO_ROOT)}"


def check_two_sides_work_one_ticket(s: Session, base: str) -> str:
    """The client admin opens and hands off a ticket; the provider engineer,
    in a browser session of their own, finds it, answers and resolves it;
    the client admin sees the answer and the resolution."""
    word = f"badge{int(time.time() * 1000) % 10_000_000}"
    title = f"Door {word} reader offline at the depot"
    s.delete_cookies()
    sign_in(s, base, CLIENT_ADMIN, DEMO_PASSWORD)
    s.get(f"{base}/tickets/new")
    s.wait_for('form[action="/tickets"]')
    s.find('input[name="title"]').send_keys(title)
    s.find('textarea[name="description"]').send_keys("Staff cannot get in through the side door.")
    s.find('select[name="category"] option[value="network"]').click()
    s.find('select[name="impact"] option[value="medium"]').click()
    open_form_and_submit(s, "#open-ticket")
    if not path_of(s.current_url).startswith("/tickets/"):
        raise CheckFailed(f"opening the ticket did not lead to its page: {s.current_url}; {s.body_text()!r}")
    ticket_url = s.current_url
    label = s.wait_for("#ticket-label").text.strip()
    owner_before = s.find("#ticket-owner").text.strip()
    s.find('form[action$="/handoff"] input[name="reason"]').send_keys("Badge readers hang off the provider's network gear")
    open_form_and_submit(s, "#hand-off")
    owner_after = s.wait_for("#ticket-owner").text.strip()
    if owner_after == owner_before:
        raise CheckFailed(f"hand-off left the owner at {owner_after!r}; {s.body_text()!r}")
    if "handoff" not in s.find("#timeline").text:
        raise CheckFailed(f"the timeline shows no hand-off: {squash(s.find('#timeline').text)!r}")

    with tempfile.TemporaryDirectory(prefix="tandem-chromium-2-", ignore_cleanup_errors=True) as profile:
        engineer = Session(s.driver_url, profile)
        try:
            sign_in(engineer, base, PROVIDER_ENGINEER, DEMO_PASSWORD)
            engineer.get(f"{base}/tickets?view=all&q={word}")
            rows = engineer.find_all("#queue tbody tr a")
            if not rows:
                raise CheckFailed(f"the engineer's search for {word!r} finds nothing: {engineer.body_text()!r}")
            link = rows[0]
            link.click()
            engineer.wait_until_loaded(old=link)
            if engineer.wait_for("#ticket-label").text.strip() != label:
                raise CheckFailed(f"the engineer opened {engineer.current_url}, not {label}")
            engineer.find('textarea[name="body"]').send_keys("On it: replacing the PoE injector in the comms cabinet.")
            open_form_and_submit(engineer, "#post-comment")
            engineer.find('#ticket-form select[name="status"] option[value="resolved"]').click()
            open_form_and_submit(engineer, "#save-ticket")
            status = engineer.wait_for("#ticket-status").text.strip()
            if status != "resolved":
                raise CheckFailed(f"the engineer's resolve left the status at {status!r}: {engineer.body_text()!r}")
        finally:
            engineer.quit()

    s.get(ticket_url)
    status = s.wait_for("#ticket-status").text.strip()
    timeline = s.find("#timeline").text
    clocks = s.find("#sla-clocks").text
    if status != "resolved" or "PoE injector" not in timeline or PROVIDER_ENGINEER not in timeline:
        raise CheckFailed(f"the client admin sees status {status!r} and timeline {squash(timeline)!r}")
    if "done" not in clocks:
        raise CheckFailed(f"the clocks did not stop: {clocks!r}")
    shot = s.screenshot(ARTIFACTS / "ticket.png")
    return f"{label}: {owner_before} -> {owner_after}, answered and resolved by the engineer; screenshot {shot.relative_to(REPO_ROOT)}"


def check_client_admin_edits_the_split(s: Session, base: str) -> str:
    """The client admin changes who owns network work after hours on the
    split page; the change shows in the matrix and in its history."""
    s.delete_cookies()
    sign_in(s, base, CLIENT_ADMIN, DEMO_PASSWORD)
    s.get(f"{base}/desk")
    s.wait_for("#split-matrix")
    current = s.find('select[name="after_hours"][form="split-network"]').prop("value")
    target = "in_house" if current != "in_house" else "provider"
    s.find(f'select[name="after_hours"][form="split-network"] option[value="{target}"]').click()
    open_form_and_submit(s, 'button[form="split-network"]')
    now = s.wait_for('select[name="after_hours"][form="split-network"]').prop("value")
    if now != target:
        raise CheckFailed(f"after saving, network after hours is {now!r}, expected {target!r}: {s.body_text()!r}")
    history = s.find("#split-history").text
    if "network" not in history or "after_hours" not in history or CLIENT_ADMIN not in history:
        raise CheckFailed(f"the split history does not show the change: {squash(history)!r}")
    shot = s.screenshot(ARTIFACTS / "split.png")
    return f"network after hours {current} -> {target}, in the history; screenshot {shot.relative_to(REPO_ROOT)}"


CHECKS = [
    ("wrong password is refused and stays on /login", "wrong-password", check_wrong_password_refused),
    ("client admin sees a provider engineer's action in the audit log", "audit", check_admin_sees_provider_in_audit),
    ("client admin and provider engineer work one ticket in two sessions", "ticket", check_two_sides_work_one_ticket),
    ("client admin edits the responsibility split and sees it in the history", "split", check_client_admin_edits_the_split),
]


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].startswith(("http://", "https://")):
        print(f"usage: {argv[0]} BASE_URL   (e.g. http://127.0.0.1:18080)", file=sys.stderr)
        return 2
    base = argv[1].rstrip("/")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for stale in [ARTIFACTS / "audit.png", *ARTIFACTS.glob("*-failure.png")]:
        stale.unlink(missing_ok=True)

    passed = failed = 0
    driver: Chromedriver | None = None
    session: Session | None = None
    with tempfile.TemporaryDirectory(prefix="tandem-chromium-", ignore_cleanup_errors=True) as profile:
        try:
            try:
                driver = Chromedriver(CHROMEDRIVER, ARTIFACTS / "chromedriver.log")
                session = Session(driver.url, profile)
            except Exception as e:  # noqa: BLE001 - report and count every check as failed
                for name, _, _ in CHECKS:
                    print(f"FAIL  {name}: browser could not start: {e}")
                    failed += 1
                print(f"{passed} passed, {failed} failed")
                return 1

            for name, slug, check in CHECKS:
                started = time.monotonic()
                try:
                    detail = check(session, base)
                except CheckFailed as e:
                    failed += 1
                    print(f"FAIL  {name} ({time.monotonic() - started:.1f}s): {e}")
                    _failure_screenshot(session, slug)
                except Exception as e:  # noqa: BLE001 - an unexpected error fails this check only
                    failed += 1
                    print(f"FAIL  {name} ({time.monotonic() - started:.1f}s): {type(e).__name__}: {e}")
                    if not isinstance(e, WebDriverError):
                        traceback.print_exc(file=sys.stdout)
                    _failure_screenshot(session, slug)
                else:
                    passed += 1
                    print(f"PASS  {name} ({time.monotonic() - started:.1f}s): {detail}")
                sys.stdout.flush()
        finally:
            if session is not None:
                session.quit()
            if driver is not None:
                driver.stop()

    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def _failure_screenshot(s: Session, slug: str) -> None:
    try:
        path = s.screenshot(ARTIFACTS / f"{slug}-failure.png")
        print(f"      screenshot: {path.relative_to(REPO_ROOT)}; url: {s.current_url}")
    except Exception as e:  # noqa: BLE001
        print(f"      (no screenshot: {e})")


if __name__ == "__main__":
    sys.exit(main(sys.argv))

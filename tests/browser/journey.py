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
  Keyboard, small screens, accessibility:
  - The provider engineer opens the queue's second ticket with j j Enter,
    jumps to the reply with c, opens and closes the shortcut list with ? and
    Escape, and reaches the queue's search box with /.
  - At 375 px (window size, else device emulation) the queue and a ticket page
    do not scroll sideways (narrow-queue.png, narrow-ticket.png).
  - On the main pages of a client admin, a provider engineer and a requester:
    every form field has an accessible name, text meets WCAG AA contrast
    against its effective background, and the first 15 Tab stops show a focus
    outline.

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
# Pages name people; e-mail addresses stay in the audit log.
CLIENT_ADMIN_NAME = "Priya Nair"
PROVIDER_ENGINEER_NAME = "Dev Ramanathan"
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
    if "Hand-off" not in s.find("#timeline").text:
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
            if status != "Resolved":
                raise CheckFailed(f"the engineer's resolve left the status at {status!r}: {engineer.body_text()!r}")
        finally:
            engineer.quit()

    s.get(ticket_url)
    status = s.wait_for("#ticket-status").text.strip()
    timeline = s.find("#timeline").text
    clocks = s.find("#sla-clocks").text
    if status != "Resolved" or "PoE injector" not in timeline or PROVIDER_ENGINEER_NAME not in timeline:
        raise CheckFailed(f"the client admin sees status {status!r} and timeline {squash(timeline)!r}")
    if "Met" not in clocks and "Missed" not in clocks:
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
    if "Network" not in history or "After hours" not in history or CLIENT_ADMIN_NAME not in history:
        raise CheckFailed(f"the split history does not show the change: {squash(history)!r}")
    shot = s.screenshot(ARTIFACTS / "split.png")
    return f"network after hours {current} -> {target}, in the history; screenshot {shot.relative_to(REPO_ROOT)}"


# --------------------------------------------------------------------------
# Keyboard, small screens and accessibility
# --------------------------------------------------------------------------

REQUESTER = "luis.romero@alder.example"

# WebDriver key codes.
KEY_ENTER = "\ue007"
KEY_ESCAPE = "\ue00c"
KEY_TAB = "\ue004"


def press(s: Session, *keys: str) -> None:
    """Type `keys` into whatever has focus, as a real keyboard would (key down, key up)."""
    steps: list[dict[str, str]] = []
    for k in keys:
        steps += [{"type": "keyDown", "value": k}, {"type": "keyUp", "value": k}]
    s.cmd("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": steps}]})
    s.cmd("DELETE", "/actions")


def first_ticket_url(s: Session, base: str) -> str:
    """The ticket of the first row of the signed-in person's whole queue."""
    s.get(f"{base}/tickets?view=all")
    s.wait_until_loaded()
    s.wait_for("#queue")
    links = s.find_all("#queue tbody tr td:first-child a[href]")
    if not links:
        raise CheckFailed(f"the queue at {s.current_url} lists no ticket: {s.body_text()!r}")
    return str(links[0].prop("href"))


def check_keyboard_shortcuts(s: Session, base: str) -> str:
    """j j Enter opens the queue's second ticket; c goes to the reply box;
    ? shows the shortcuts and Escape closes them; / finds the search box."""
    s.delete_cookies()
    sign_in(s, base, PROVIDER_ENGINEER, DEMO_PASSWORD)
    s.get(f"{base}/tickets?view=all")
    s.wait_until_loaded()
    queue = s.wait_for("#queue")
    links = [str(a.prop("href")) for a in s.find_all("#queue tbody tr td:first-child a[href]")]
    if len(links) < 2:
        raise CheckFailed(f"the queue needs two tickets, it lists {len(links)}: {s.body_text()!r}")
    press(s, "j", "j")
    selected = s.execute(
        "return Array.from(document.querySelectorAll('#queue tbody tr'))"
        ".map((r, i) => [i, r.classList.contains('selected'), r.getAttribute('aria-selected')])"
        ".filter((x) => x[1] || x[2] === 'true');"
    )
    if selected != [[1, True, "true"]]:
        raise CheckFailed(f"after j j, expected only row 1 selected (class and aria-selected), got {selected!r}")
    press(s, KEY_ENTER)
    s.wait_until_loaded(old=queue)
    if s.current_url != links[1]:
        raise CheckFailed(f"Enter opened {s.current_url}, expected the second row's {links[1]}")
    s.wait_for("#comment-body")
    press(s, "c")
    active = s.execute("return document.activeElement ? document.activeElement.id : null;")
    if active != "comment-body":
        raise CheckFailed(f"after c the focus is on #{active}, expected #comment-body")
    typed = s.find("#comment-body").prop("value")
    if typed:
        raise CheckFailed(f"the c was typed into the reply box: {typed!r}")
    # ? while typing is a question mark; outside a field it is the help.
    s.execute("document.activeElement.blur();")
    press(s, "?")
    if s.execute("return document.getElementById('shortcuts').open;") is not True:
        raise CheckFailed("? did not open dialog#shortcuts")
    items = s.find("#shortcuts").text
    press(s, KEY_ESCAPE)
    if s.execute("return document.getElementById('shortcuts').open;") is not False:
        raise CheckFailed("Escape did not close dialog#shortcuts")
    # From a ticket, / goes to the queue with the search box focused.
    label = s.find("#ticket-label")
    press(s, "/")
    s.wait_until_loaded(old=label)
    active = s.execute("return document.activeElement ? document.activeElement.id : null;")
    if path_of(s.current_url) != "/tickets" or active != "search":
        raise CheckFailed(f"/ from a ticket led to {s.current_url} with #{active} focused, expected /tickets and #search")
    return f"j j Enter opened {path_of(links[1])}; c focused the reply; ? opened the help ({len(items.splitlines())} lines); / went to the search"


def set_viewport(s: Session, width: int, height: int) -> str:
    """Make the page `width` CSS pixels wide: the window if the browser allows, else device emulation."""
    try:
        s.cmd("POST", "/window/rect", {"width": width, "height": height})
    except WebDriverError:
        pass
    if s.execute("return window.innerWidth;") == width:
        return "window"
    s.cmd(
        "POST",
        "/goog/cdp/execute",
        {
            "cmd": "Emulation.setDeviceMetricsOverride",
            "params": {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": True},
        },
    )
    return "emulation"


def restore_viewport(s: Session) -> None:
    try:
        s.cmd("POST", "/goog/cdp/execute", {"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}})
    finally:
        s.cmd("POST", "/window/rect", {"width": 1280, "height": 1000})


OVERFLOW_JS = """
const w = window.innerWidth;
const wide = [];
for (const el of document.body.querySelectorAll('*')) {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.right > w + 0.5) {
    let p = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.classList.length ? '.' + Array.from(el.classList).join('.') : '');
    wide.push(p + ' right=' + Math.round(r.right));
  }
}
return {inner: w, scroll: document.documentElement.scrollWidth, wide: wide.slice(0, 12)};
"""


def check_narrow_screen(s: Session, base: str) -> str:
    """At 375 px the queue and a ticket page fit the screen: no sideways scrolling."""
    s.delete_cookies()
    sign_in(s, base, CLIENT_ADMIN, DEMO_PASSWORD)
    ticket = first_ticket_url(s, base)
    how = set_viewport(s, 375, 812)
    try:
        seen = []
        for name, url in (("queue", f"{base}/tickets?view=all"), ("ticket", ticket)):
            s.get(url)
            s.wait_until_loaded()
            m = s.execute(OVERFLOW_JS)
            assert isinstance(m, dict)
            shot = s.screenshot(ARTIFACTS / f"narrow-{name}.png")
            if m["inner"] != 375:
                raise CheckFailed(f"{name}: window.innerWidth is {m['inner']}, expected 375 (set by {how})")
            if m["scroll"] > m["inner"]:
                raise CheckFailed(
                    f"{name} at {path_of(url)} overflows: scrollWidth {m['scroll']} > innerWidth {m['inner']}; "
                    f"too wide: {m['wide']!r}; screenshot {shot.relative_to(REPO_ROOT)}"
                )
            seen.append(f"{name} {m['scroll']}<={m['inner']}")
    finally:
        restore_viewport(s)
    return f"{', '.join(seen)} (375 px by {how}); screenshots target/browser/narrow-queue.png, narrow-ticket.png"


# Run on a page: form fields without an accessible name, and text below the
# WCAG AA contrast (4.5:1; 3:1 for large text) against its effective background.
A11Y_JS = r"""
function path(el) {
  const parts = [];
  for (let e = el; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) {
    let p = e.tagName.toLowerCase();
    if (e.id) { parts.unshift(p + '#' + e.id); break; }
    if (e.classList.length) p += '.' + Array.from(e.classList).join('.');
    parts.unshift(p);
  }
  return parts.join(' > ');
}
function rgba(c) {
  const m = /rgba?\(([^)]*)\)/.exec(c || '');
  if (!m) return null;
  const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(parseFloat);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
function over(top, under) {
  const a = top[3];
  return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
}
function background(el) {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const bg = rgba(getComputedStyle(e).backgroundColor);
    if (bg && bg[3] > 0) { layers.push(bg); if (bg[3] >= 1) break; }
  }
  let c = [255, 255, 255, 1];
  for (const l of layers.reverse()) c = over(l, c);
  return c;
}
function lum(c) {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
}
function ratio(a, b) {
  const x = lum(a), y = lum(b);
  return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
}
function shown(el) {
  const st = getComputedStyle(el);
  if (st.visibility !== 'visible' || st.display === 'none') return false;
  const r = el.getBoundingClientRect();
  return r.width > 1 && r.height > 1;
}
function hex(c) { return '#' + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join(''); }
const out = {unnamed: [], contrast: [], texts: 0, fields: 0};
function contrast(el, color, what) {
  const st = getComputedStyle(el);
  const bg = background(el);
  const fg = over(rgba(color), bg);
  const size = parseFloat(st.fontSize);
  const large = size >= 24 || (size >= 18.66 && parseInt(st.fontWeight, 10) >= 700);
  const need = large ? 3 : 4.5;
  const r = ratio(fg, bg);
  out.texts++;
  if (r + 1e-9 < need) {
    out.contrast.push(`${path(el)}${what}: ${hex(fg)} on ${hex(bg)} = ${r.toFixed(2)} < ${need} (${size}px ${st.fontWeight}) "${what ? '' : el.textContent.trim().slice(0, 30)}"`);
  }
}
const skip = new Set(['SCRIPT', 'STYLE', 'OPTION', 'OPTGROUP', 'TITLE', 'NOSCRIPT']);
for (const el of document.body.querySelectorAll('*')) {
  if (skip.has(el.tagName) || !shown(el) || el.closest(':disabled')) continue;
  const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
  if (own) contrast(el, getComputedStyle(el).color, '');
  if (el.matches('input, textarea') && el.placeholder && !el.value) {
    contrast(el, getComputedStyle(el, '::placeholder').color, '::placeholder');
  }
  if (el.matches('input:not([type=checkbox]):not([type=radio]):not([type=file]):not([type=submit]):not([type=button]), select') && (el.value || el.tagName === 'SELECT')) {
    contrast(el, getComputedStyle(el).color, ' (value)');
  }
}
function labelText(l) {
  const c = l.cloneNode(true);
  c.querySelectorAll('input, select, textarea').forEach((x) => x.remove());
  return c.textContent.trim();
}
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type) || !shown(el)) continue;
  out.fields++;
  const by = (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean)
    .map((id) => (document.getElementById(id) || {textContent: ''}).textContent.trim()).join(' ');
  const name = (el.getAttribute('aria-label') || '').trim() || by.trim()
    || Array.from(el.labels || []).map(labelText).join(' ').trim() || (el.title || '').trim();
  if (!name) out.unnamed.push(`${path(el)} name=${el.name}`);
}
return out;
"""

FOCUS_JS = r"""
const el = document.activeElement;
if (!el || el === document.body || el === document.documentElement) return null;
const st = getComputedStyle(el);
let p = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
if (!el.id && el.parentElement) p = el.parentElement.tagName.toLowerCase() + (el.parentElement.id ? '#' + el.parentElement.id : '') + ' > ' + p;
const text = (el.textContent || el.name || '').trim().slice(0, 25);
return {path: p + (text ? ` "${text}"` : ''), style: st.outlineStyle, width: parseFloat(st.outlineWidth) || 0, shadow: st.boxShadow};
"""


def audit_page(s: Session, url: str, tabs: int = 15) -> tuple[list[str], int, int, int]:
    """Problems of the page at `url`, and how many texts, fields and focus stops were checked."""
    s.get(url)
    s.wait_until_loaded()
    if path_of(s.current_url) != path_of(url):
        return [f"expected {path_of(url)}, the browser is at {s.current_url}"], 0, 0, 0
    m = s.execute(A11Y_JS)
    assert isinstance(m, dict)
    problems = [f"unnamed field {u}" for u in m["unnamed"]] + [f"contrast {c}" for c in m["contrast"]]
    stops = 0
    for _ in range(tabs):
        press(s, KEY_TAB)
        f = s.execute(FOCUS_JS)
        if not isinstance(f, dict):
            continue
        stops += 1
        if not ((f["style"] != "none" and f["width"] > 0) or (f["shadow"] and f["shadow"] != "none")):
            problems.append(f"no visible focus on {f['path']}: outline {f['style']} {f['width']}px, box-shadow {f['shadow']}")
    return problems, int(m["texts"]), int(m["fields"]), stops


def check_accessibility(s: Session, base: str) -> str:
    """Every field has a name, text meets WCAG AA contrast, focus is visible,
    on the main pages of a client admin, a provider engineer and a requester."""
    staff_pages = ["/dashboard", "/tickets", "TICKET", "/tickets/new", "/account", "/desk", "/people", "/notifications", "/engagements", "/audit",
                   "/overview", "/documents", "/assets", "/vault"]
    who = [(CLIENT_ADMIN, staff_pages), (PROVIDER_ENGINEER, staff_pages), (REQUESTER, ["/dashboard", "/tickets", "TICKET", "/documents"])]
    problems: list[str] = []
    pages = texts = fields = stops = 0
    for email, paths in who:
        s.delete_cookies()
        sign_in(s, base, email, DEMO_PASSWORD)
        ticket = first_ticket_url(s, base)
        for p in paths:
            url = ticket if p == "TICKET" else f"{base}{p}"
            found, t, f, st = audit_page(s, url)
            pages += 1
            texts += t
            fields += f
            stops += st
            problems += [f"{email} {path_of(url)}: {x}" for x in found]
    if problems:
        unique = list(dict.fromkeys(problems))
        raise CheckFailed(f"{len(unique)} problems on {pages} pages:\n        " + "\n        ".join(unique[:60]))
    return f"{pages} pages: {texts} texts, {fields} fields, {stops} focus stops, all fine"


CLIENT_VIEWER = "helen.achterberg@alder.example"
REQUESTER = "luis.romero@alder.example"


def dashboard_as(s: Session, base: str, email: str) -> None:
    s.delete_cookies()
    sign_in(s, base, email, DEMO_PASSWORD)
    if not path_of(s.current_url).endswith("/dashboard"):
        s.get(f"{base}/dashboard")
        s.wait_until_loaded()


def figure(s: Session, key: str) -> int:
    el = s.find(f'[data-count="{key}"]')
    try:
        return int(el.text.strip())
    except ValueError:
        raise CheckFailed(f"figure {key} is not a number: {el.text!r}") from None


def check_dashboards_per_role(s: Session, base: str) -> str:
    """Each kind of role lands on its own dashboard with plausible figures."""
    found = []
    raw_codes = ("in_house", "in_progress", "waiting_on_", "->")

    # Client admin: the desk by owner side, deadlines, hand-offs, engineers.
    dashboard_as(s, base, CLIENT_ADMIN)
    for section in ("#dash-owner-sides", "#dash-breaching", "#dash-handoffs", "#dash-notifications", "#dash-engineers"):
        s.wait_for(section)
    us, them = figure(s, "waiting-on-us"), figure(s, "waiting-on-provider")
    if us + them == 0:
        raise CheckFailed(f"the demo's open tickets are missing from #dash-owner-sides: {s.body_text()!r}")
    due = s.find_all("#dash-breaching tbody tr time.due")
    if not 1 <= len(due) <= 5:
        raise CheckFailed(f"#dash-breaching lists {len(due)} countdowns, expected 1 to 5")
    if "Dev Ramanathan" not in s.find("#dash-engineers").text:
        raise CheckFailed(f"#dash-engineers does not name the engineer: {squash(s.find('#dash-engineers').text)!r}")
    text = s.find("main").text
    shown = [c for c in raw_codes if c in text]
    if shown:
        raise CheckFailed(f"the client admin's dashboard shows codes {shown!r}")
    s.screenshot(ARTIFACTS / "dashboard-client-admin.png")
    found.append(f"admin {us} ours/{them} provider's")

    # Provider engineer: a row per assigned client, not the others.
    dashboard_as(s, base, PROVIDER_ENGINEER)
    s.wait_for("#dash-clients")
    s.wait_for("#dash-breaching")
    names = [str(x) for x in s.execute(
        "return Array.from(document.querySelectorAll('#dash-clients tbody th')).map((th) => th.textContent.trim());"
    )]
    if sorted(names) != ["Alder & Finch Logistics", "Brightwater Dental Group"]:
        raise CheckFailed(f"#dash-clients rows are {names!r}, expected Dev's two clients only")
    total = figure(s, "open-total")
    if total <= 0:
        raise CheckFailed(f"Dev's clients show no open tickets: {squash(s.find('#dash-clients').text)!r}")
    clients_in_list = [str(x) for x in s.execute(
        "return Array.from(document.querySelectorAll('#dash-breaching tbody td[data-label=\"Client\"]')).map((td) => td.textContent.trim());"
    )]
    if not clients_in_list or any(c not in names for c in clients_in_list):
        raise CheckFailed(f"#dash-breaching lists clients {clients_in_list!r}")
    s.screenshot(ARTIFACTS / "dashboard-provider-engineer.png")
    found.append(f"engineer {len(names)} clients, {total} open")

    # Viewer: SLA results, the server-drawn chart with its numbers, the share.
    dashboard_as(s, base, CLIENT_VIEWER)
    for section in ("#dash-sla", "#dash-weekly-chart", "#dash-share"):
        s.wait_for(section)
    priorities = [str(x) for x in s.execute(
        "return Array.from(document.querySelectorAll('#dash-sla tbody th')).map((th) => th.textContent.trim());"
    )]
    if priorities != ["P1", "P2", "P3", "P4"]:
        raise CheckFailed(f"#dash-sla rows are {priorities!r}")
    chart = s.execute(
        "const svg = document.querySelector('#dash-weekly-chart svg[role=img]');"
        "if (!svg) return null;"
        "const box = svg.getBoundingClientRect();"
        "return {label: svg.getAttribute('aria-label'), title: (svg.querySelector('title') || {}).textContent,"
        " bars: svg.querySelectorAll('rect.bar').length, width: box.width, height: box.height,"
        " rows: Array.from(document.querySelectorAll('#dash-weekly-chart table.chart-data tbody tr'))"
        "   .map((tr) => [tr.querySelector('[data-series=bars]').textContent, tr.querySelector('[data-series=line]').textContent].map(Number))};"
    )
    if not isinstance(chart, dict):
        raise CheckFailed("no svg[role=img] in #dash-weekly-chart")
    if chart["bars"] != 12 or len(chart["rows"]) != 12:
        raise CheckFailed(f"expected 12 weeks in the chart and its table: {chart!r}")
    if chart["width"] < 300 or chart["height"] < 100:
        raise CheckFailed(f"the chart is drawn {chart['width']}x{chart['height']} px")
    opened = sum(r[0] for r in chart["rows"])
    if opened <= 0 or f"{opened} opened" not in (chart["label"] or ""):
        raise CheckFailed(f"the demo's tickets are missing from the chart: {chart!r}")
    resolved_total = figure(s, "resolved-total")
    if resolved_total != figure(s, "resolved-in-house") + figure(s, "resolved-provider"):
        raise CheckFailed(f"#dash-share does not add up: {squash(s.find('#dash-share').text)!r}")
    s.screenshot(ARTIFACTS / "dashboard-client-viewer.png")
    found.append(f"viewer {opened} opened in 12 weeks, {resolved_total} resolved")

    # Requester: their open tickets and a prominent way to open one.
    dashboard_as(s, base, REQUESTER)
    s.wait_for("#dash-my-tickets")
    button = s.wait_for("#open-ticket")
    if path_of(urllib.parse.urljoin(s.current_url, button.attribute("href") or "")) != "/tickets/new":
        raise CheckFailed(f"#open-ticket links to {button.attribute('href')!r}")
    for staff_only in ("#dash-clients", "#dash-owner-sides", "#dash-sla", "#dash-breaching"):
        if s.find_all(staff_only):
            raise CheckFailed(f"the requester's dashboard has {staff_only}")
    mine = len(s.find_all("#dash-my-tickets tbody tr"))
    s.screenshot(ARTIFACTS / "dashboard-requester.png")
    found.append(f"requester {mine} open")
    return "; ".join(found) + "; screenshots target/browser/dashboard-*.png"


# Codes of the store that must never reach a page's text (issue 18).
RAW_CODES = (
    "in_house", "in_progress", "waiting_on_customer", "waiting_on_vendor", "on_hold",
    "provider->in_house", "in_house->provider", "provider_admin", "provider_engineer",
    "client_admin", "client_technician", "client_viewer", "business_hours", "after_hours",
    "Opened via", "help-desk",
)


def expected_local(iso: str, zone: str) -> str:
    """An instant as Tandem's hover text shows it in `zone`, worked out here."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    at = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(ZoneInfo(zone))
    return at.strftime("%a %-d %b %Y, %H:%M %Z")


def check_local_times_and_words(s: Session, base: str) -> str:
    """The client admin reads deadlines in the client's zone, then in one of
    their own choosing; no page of the main set shows a code."""
    s.delete_cookies()
    sign_in(s, base, CLIENT_ADMIN, DEMO_PASSWORD)
    s.get(f"{base}/tickets?view=all")
    footer = s.wait_for("#time-zone").text
    if "America/Chicago" not in footer:
        raise CheckFailed(f"the page does not name the client's zone: {footer!r}")
    dues = s.find_all("#queue time.due[data-due]")
    if not dues:
        raise CheckFailed(f"no countdown in the queue: {s.body_text()!r}")
    due = dues[0]
    iso, title, text = due.attribute("datetime") or "", due.attribute("title") or "", due.text.strip()
    chicago = expected_local(iso, "America/Chicago")
    if title != chicago:
        raise CheckFailed(f"deadline {iso} hovers as {title!r}, expected {chicago!r} (America/Chicago)")
    if not re.match(r"^(due in|overdue by) ", text):
        raise CheckFailed(f"the deadline reads {text!r}, not as a countdown")
    link = s.find("#queue tbody tr a")
    ticket_url = urllib.parse.urljoin(s.current_url, link.attribute("href") or "")

    # A zone of one's own, half an hour off the hour, on the account page.
    s.get(f"{base}/account")
    s.wait_for('#time-zone-choice option[value="Asia/Kolkata"]').click()
    open_form_and_submit(s, "#save-time-zone")
    s.get(ticket_url)
    clock = s.wait_for("#sla-clocks time.due[data-due], #timeline time")
    iso, title = clock.attribute("datetime") or "", clock.attribute("title") or ""
    want = expected_local(iso, "Asia/Kolkata")
    if title != want or "IST" not in title:
        raise CheckFailed(f"after choosing Asia/Kolkata, {iso} hovers as {title!r}, expected {want!r}")
    kolkata = title
    s.get(f"{base}/account")
    s.wait_for('#time-zone-choice option[value=""]').click()
    open_form_and_submit(s, "#save-time-zone")
    if "America/Chicago" not in s.find("#time-zone").text:
        raise CheckFailed(f"back to the organization's zone failed: {s.find('#time-zone').text!r}")

    # Words, not codes, on the main pages of both sides.
    checked = []
    for who in (CLIENT_ADMIN, PROVIDER_ENGINEER):
        s.delete_cookies()
        sign_in(s, base, who, DEMO_PASSWORD)
        for path in ("/dashboard", "/tickets?view=all", "/tickets?view=breaching_soon", ticket_url,
                     "/desk", "/notifications", "/people", "/engagements", "/account"):
            s.get(path if path.startswith("http") else f"{base}{path}")
            s.wait_until_loaded()
            text = str(s.execute("return document.body.innerText;"))
            found = [c for c in RAW_CODES if c in text]
            found += sorted(set(re.findall(r"(?<![A-Za-z0-9])p[1-4](?![A-Za-z0-9])", text)))
            if found:
                raise CheckFailed(f"{who} reads codes {found!r} on {path}: {squash(text)!r}")
            checked.append(path)
    shot = s.screenshot(ARTIFACTS / "words.png")
    return (f"Chicago hover {chicago!r}; own zone {kolkata!r}; {len(checked)} pages without codes; "
            f"screenshot {shot.relative_to(REPO_ROOT)}")


PROVIDER_ADMIN = "mara.okafor@harborlane.example"


def check_agreement_time_and_invoice(s: Session, base: str) -> str:
    """The provider's admin proposes a new agreement and the client's admin
    accepts it; the engineer logs time on a ticket; the provider's admin
    issues last month's draft invoice."""
    s.delete_cookies()
    sign_in(s, base, PROVIDER_ADMIN, DEMO_PASSWORD)
    s.get(f"{base}/agreements")
    rate = s.wait_for('#draft-form input[name="per_user_rate"]')
    rate.clear()
    rate.send_keys("79.00")
    open_form_and_submit(s, "#save-draft")
    propose = s.wait_for("#propose-agreement")
    if s.find_all("#activation-check"):
        raise CheckFailed(f"the demo's terms should be ready to propose: {s.find('#activation-check').text!r}")
    propose.click()
    s.wait_until_loaded(old=propose)

    s.delete_cookies()
    sign_in(s, base, CLIENT_ADMIN, DEMO_PASSWORD)
    s.get(f"{base}/agreements")
    proposal = s.wait_for(".proposal").text
    if "USD 79.00 a month per user" not in proposal:
        raise CheckFailed(f"the proposal does not read as drafted: {squash(proposal)!r}")
    open_form_and_submit(s, "#accept-agreement")
    active = s.wait_for("#active-agreement").text
    if "USD 79.00 a month per user" not in active:
        raise CheckFailed(f"the accepted agreement is not the active one: {squash(active)!r}")

    s.delete_cookies()
    sign_in(s, base, PROVIDER_ENGINEER, DEMO_PASSWORD)
    s.get(f"{base}/tickets?view=all")
    link = s.wait_for("#queue tbody tr a")
    link.click()
    s.wait_until_loaded(old=link)
    before = s.wait_for("#time-totals").text
    s.find('#time-form input[name="minutes"]').send_keys("45")
    s.find('#time-form input[name="note"]').send_keys("Replaced the access point")
    open_form_and_submit(s, "#log-time")
    after = s.wait_for("#time-totals").text
    if after == before or "Replaced the access point" not in s.find("#time-entries").text:
        raise CheckFailed(f"the time did not show: {before!r} -> {after!r}")

    s.delete_cookies()
    sign_in(s, base, PROVIDER_ADMIN, DEMO_PASSWORD)
    s.get(f"{base}/invoices")
    href = None
    for a in s.find_all("#invoice-list tbody tr a"):
        row_text = str(s.execute("return arguments[0].closest('tr').innerText;", {ELEMENT_KEY: a.id}))
        if "Draft" in row_text:
            href = a.attribute("href")
            break
    if href is None:
        raise CheckFailed("no link to a draft invoice")
    s.get(urllib.parse.urljoin(f"{base}/invoices", href))
    total = s.wait_for("#invoice-total").text
    open_form_and_submit(s, "#issue-invoice")
    status = s.wait_for("#invoice-status").text.strip()
    title = s.find("h1").text
    if status != "Issued" or "INV-" not in title:
        raise CheckFailed(f"issuing left {status!r}, {title!r}")
    shot = s.screenshot(ARTIFACTS / "invoice.png")
    return f"agreement at $79 accepted, 45 min logged ({after}), {title} issued for {total}; screenshot {shot.relative_to(REPO_ROOT)}"


def check_alerts_page_is_live(s: Session, base: str) -> str:
    """The client admin adds an intake source on the Alerts page; an alert
    sent with its key appears in the firing list without a reload."""
    s.delete_cookies()
    sign_in(s, base, CLIENT_ADMIN, DEMO_PASSWORD)
    s.get(f"{base}/alerts")
    s.wait_for("#firing-live")
    s.find('input[name="name"]').send_keys("Journey checks")
    s.find('select[name="kind"] option[value="generic"]').click()
    open_form_and_submit(s, "#add-source")
    key = s.wait_for("#source-key").text.strip()
    if not key.startswith("tdi_"):
        raise CheckFailed(f"no key shown after adding a source: {s.body_text()!r}")
    # Leave the form's answer for the page itself, and mark the document:
    # the alert must arrive in this same document, not a new one.
    s.get(f"{base}/alerts")
    s.wait_for("#firing-live")
    s.execute("window.tandemJourneyMark = 'still here';")
    dedup = f"journey-{int(time.time())}"
    req = urllib.request.Request(
        f"{base}/api/v1/intake/events",
        data=json.dumps({"source": "journey", "dedup_key": dedup, "status": "firing", "severity": "warning",
                         "summary": "Journey check: backup job late"}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
    )
    with urllib.request.urlopen(req, timeout=30) as res:
        if res.status != 202:
            raise CheckFailed(f"the intake answered {res.status}")
    row = s.wait_for(f'#firing-alerts tr[data-alert="{dedup}"]', timeout=40)
    if s.execute("return window.tandemJourneyMark;") != "still here":
        raise CheckFailed("the page was reloaded instead of updating its list")
    if "Journey check: backup job late" not in row.text:
        raise CheckFailed(f"the new row does not show the alert: {row.text!r}")
    return "an alert sent with a new source's key appeared in the firing list without a reload"


def check_vault_reveal_is_seen_by_the_client(s: Session, base: str) -> str:
    """A provider engineer reveals one of Alder's credentials; the client
    admin then finds that reveal, with the engineer's name, at the top of
    Alder's reveal log."""
    s.delete_cookies()
    sign_in(s, base, PROVIDER_ENGINEER, DEMO_PASSWORD)
    s.get(f"{base}/vault")
    s.wait_for("#vault-secrets")
    alder = [o for o in s.find_all('select[name="client"] option') if "Alder" in o.text]
    if alder and not alder[0].prop("selected"):
        alder[0].click()
        open_form_and_submit(s, 'form[method="get"][action="/vault"] button')
    links = s.find_all("#vault-secrets tbody tr td:first-child a")
    if not links:
        raise CheckFailed(f"the engineer sees no credential of Alder: {s.body_text()!r}")
    name = links[0].text.strip()
    links[0].click()
    s.wait_until_loaded(old=links[0])
    title = s.wait_for("#secret-title").text.strip()
    if title != name:
        raise CheckFailed(f"opened {title!r}, expected {name!r}")
    if "revealed-secret" in s.page_source:
        raise CheckFailed("the secret is on the page before anyone asked to reveal it")
    record = s.current_url
    open_form_and_submit(s, "#reveal-secret")
    value = s.wait_for("#revealed-secret").prop("value") or ""
    if not value:
        raise CheckFailed(f"the reveal showed no value: {s.body_text()!r}")
    s.get(record)
    s.wait_for("#secret-title")
    if value in s.page_source:
        raise CheckFailed("the secret is still on the page after a reload")

    s.delete_cookies()
    sign_in(s, base, CLIENT_ADMIN, DEMO_PASSWORD)
    s.get(f"{base}/vault")
    log = s.wait_for("#vault-reveal-log")
    log.click()
    s.wait_until_loaded(old=log)
    rows = s.find_all("#reveal-log tbody tr")
    if not rows:
        raise CheckFailed(f"the reveal log is empty: {s.body_text()!r}")
    newest = rows[0].text
    if PROVIDER_ENGINEER_NAME not in newest or name not in newest:
        raise CheckFailed(f"the newest reveal is not {PROVIDER_ENGINEER_NAME}'s of {name!r}: {squash(newest, 300)!r}")
    if value in s.page_source:
        raise CheckFailed("the reveal log shows the secret itself")
    return f"{PROVIDER_ENGINEER_NAME} revealed {name!r}; the client admin's log shows it first: {squash(newest, 160)!r}"


CHECKS = [
    ("wrong password is refused and stays on /login", "wrong-password", check_wrong_password_refused),
    ("client admin sees a provider engineer's action in the audit log", "audit", check_admin_sees_provider_in_audit),
    ("client admin and provider engineer work one ticket in two sessions", "ticket", check_two_sides_work_one_ticket),
    ("client admin edits the responsibility split and sees it in the history", "split", check_client_admin_edits_the_split),
    ("times are in the reader's zone and pages speak words, not codes", "words", check_local_times_and_words),
    ("an agreement is proposed and accepted, time logged and an invoice issued", "billing", check_agreement_time_and_invoice),
    ("provider engineer works the queue and a ticket from the keyboard", "keyboard", check_keyboard_shortcuts),
    ("the queue and a ticket page fit a 375 px screen", "narrow", check_narrow_screen),
    ("fields are named, text contrast meets WCAG AA, focus is visible", "a11y", check_accessibility),
    ("each role lands on its own dashboard with plausible figures", "dashboards", check_dashboards_per_role),
    ("the Alerts page's firing list updates itself", "alerts", check_alerts_page_is_live),
    ("a provider engineer reveals a credential and the client admin sees it in the log", "vault",
     check_vault_reveal_is_seen_by_the_client),
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

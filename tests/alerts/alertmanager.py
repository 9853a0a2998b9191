#!/usr/bin/env python3
"""Tandem against a real Prometheus Alertmanager (Debian's package).

    python3 tests/alertmanager/real.py TANDEM_BIN [ALERTMANAGER_BIN]

Starts `tandem demo` on a fresh SQLite database and Alertmanager beside it,
both on 127.0.0.1, with Alertmanager's webhook receiver pointed at Tandem's
intake under a bearer key made through Tandem's own API. Then it posts
alerts to Alertmanager's API (`/api/v2/alerts`), as Prometheus would, and
checks what Tandem made of Alertmanager's notifications:

1. a new alert opens one ticket, on the client the key belongs to;
2. a second alert of the same group makes Alertmanager notify the group
   again: the first alert is not a second ticket, the new one is its own;
3. a resolved alert is noted on its ticket, and the other stays firing;
4. a key of another client sees none of it.

Bounded: every wait has a deadline, and the whole run takes about 30 s.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

# Each client's in-house admin makes that client's source.
ADMINS = {"alder": "priya.nair@alder.example", "corvid": "ben.adeyemi@corvid.example"}
DEADLINE_S = 40
SOURCES = {"alder": "Alertmanager (test)", "corvid": "Corvid's own Alertmanager"}
# Each source opens its tickets as its own account, named after it.
SOURCE_ACCOUNTS = {f"{name} (monitoring)" for name in SOURCES.values()}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, body=None, token=None, expect=(200,)):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as res:
            status, raw = res.status, res.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    if status not in expect:
        raise AssertionError(f"{method} {url}: {status} {raw[:500]!r}")
    return json.loads(raw) if raw else None


def wait_for(what, check, timeout=DEADLINE_S):
    """Poll `check` until it returns something truthy, or fail naming `what`."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        try:
            last = check()
        except AssertionError as e:
            last = e
        if last and not isinstance(last, AssertionError):
            return last
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


def iso(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Run:
    def __init__(self, tandem_bin, am_bin):
        self.tandem_bin = tandem_bin
        self.am_bin = am_bin
        self.work = tempfile.mkdtemp(prefix="tandem-am.")
        self.procs = []
        self.port = free_port()
        self.am_port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.am = f"http://127.0.0.1:{self.am_port}"
        self.env = dict(
            os.environ,
            TANDEM_DATABASE_URL=f"sqlite://{self.work}/demo.db",
            TANDEM_BIND=f"127.0.0.1:{self.port}",
            TANDEM_LOG="warn",
        )

    def start(self, args, log, env=None):
        out = open(os.path.join(self.work, log), "wb")
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=out, env=env)
        self.procs.append((p, log))
        return p

    def stop(self):
        for p, _ in self.procs:
            if p.poll() is None:
                p.terminate()
        for p, _ in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def logs(self):
        for _, log in self.procs:
            path = os.path.join(self.work, log)
            print(f"---- {log} (last 40 lines) ----")
            with open(path, errors="replace") as f:
                print("".join(f.readlines()[-40:]))

    def tandem(self):
        self.start([self.tandem_bin, "demo"], "tandem.log", self.env)
        wait_for("tandem /readyz", lambda: self.healthy(f"{self.base}/readyz"), 90)
        self.tokens, self.clients = {}, {}
        for slug, email in ADMINS.items():
            self.tokens[slug] = subprocess.run(
                [self.tandem_bin, "token", "create", "--user", email, "--name", "alertmanager test"],
                env=self.env, check=True, capture_output=True, text=True,
            ).stdout.strip()
            (org,) = call("GET", f"{self.base}/api/v1/orgs", token=self.tokens[slug])
            assert org["slug"] == slug, org
            self.clients[slug] = org["id"]

    def source(self, slug, name):
        made = call(
            "POST", f"{self.base}/api/v1/clients/{self.clients[slug]}/alert-sources",
            {"name": name, "kind": "alertmanager", "default_category": "network", "group_alerts": False},
            token=self.tokens[slug], expect=(201,),
        )
        return made["key"]

    def alertmanager(self, key):
        config = f"""
route:
  receiver: tandem
  group_by: ['alertname']
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
receivers:
  - name: tandem
    webhook_configs:
      - url: {self.base}/api/v1/intake/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {key}
"""
        path = os.path.join(self.work, "alertmanager.yml")
        with open(path, "w") as f:
            f.write(config)
        self.start([
            self.am_bin, f"--config.file={path}", f"--storage.path={self.work}/am-data",
            f"--web.listen-address=127.0.0.1:{self.am_port}", "--cluster.listen-address=",
            "--log.level=info",
        ], "alertmanager.log")
        wait_for("alertmanager /-/ready", lambda: self.healthy(f"{self.am}/-/ready"), 30)

    @staticmethod
    def healthy(url):
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def fire(self, name, instance, summary, ends=None):
        now = datetime.now(timezone.utc)
        alert = {
            "labels": {"alertname": name, "instance": instance, "severity": "critical", "job": "node"},
            "annotations": {"summary": summary},
            "startsAt": iso(now - timedelta(minutes=1)),
            "generatorURL": "http://prometheus.example/graph",
        }
        if ends is not None:
            alert["endsAt"] = iso(ends)
        call("POST", f"{self.am}/api/v2/alerts", [alert])

    def alerts(self, slug):
        """The client's firing alerts from this run's sources."""
        rows = call("GET", f"{self.base}/api/v1/clients/{self.clients[slug]}/alerts", token=self.tokens[slug])
        return [a for a in rows if a["source_name"] == SOURCES[slug]]

    def ticket(self, ticket_id):
        return call("GET", f"{self.base}/api/v1/tickets/{ticket_id}", token=self.tokens["alder"])


def alert_tickets(run, slug):
    """The client's tickets opened by this run's sources (the demo has
    alert tickets of its own)."""
    rows = call(
        "GET", f"{run.base}/api/v1/tickets?client_id={run.clients[slug]}&limit=200", token=run.tokens[slug],
    )
    return [t for t in rows if t.get("source") == "alert" and t.get("requester_name") in SOURCE_ACCOUNTS]


def main():
    tandem_bin = sys.argv[1]
    am_bin = sys.argv[2] if len(sys.argv) > 2 else shutil.which("prometheus-alertmanager")
    if not am_bin:
        sys.exit("prometheus-alertmanager not found (Debian: apt-get install prometheus-alertmanager)")
    run = Run(tandem_bin, am_bin)
    started = time.monotonic()
    try:
        run.tandem()
        key = run.source("alder", SOURCES["alder"])
        run.source("corvid", SOURCES["corvid"])
        before_alder = len(alert_tickets(run, "alder"))
        before_corvid = len(alert_tickets(run, "corvid"))
        assert before_alder == before_corvid == 0
        run.alertmanager(key)

        # 1. One alert, one ticket.
        run.fire("DiskFull", "fs01:9100", "Disk /srv is 97% full")
        first = wait_for("the first alert's ticket", lambda: [
            a for a in run.alerts("alder") if a["ticket_label"] and "DiskFull" in a["summary"]
        ])
        assert len(first) == 1, first
        disk_ticket = first[0]["ticket_id"]
        t = run.ticket(disk_ticket)
        assert t["ticket"]["source"] == "alert", t["ticket"]
        assert t["ticket"]["priority"] == "p1", t["ticket"]  # critical → high impact, high urgency
        print(f"ok: Alertmanager's notification opened {first[0]['ticket_label']}")

        # 2. Another alert of the same group: Alertmanager sends both again.
        run.fire("DiskFull", "fs02:9100", "Disk /var is 95% full")
        both = wait_for("the second alert's ticket", lambda: (
            lambda xs: xs if len(xs) == 2 and all(a["ticket_label"] for a in xs) else None
        )([a for a in run.alerts("alder") if "DiskFull" in a["summary"]]))
        tickets = {a["ticket_id"] for a in both}
        assert len(tickets) == 2, both
        assert disk_ticket in tickets, both
        assert len(alert_tickets(run, "alder")) == before_alder + 2, "the repeated alert opened a second ticket"
        print("ok: the group's repeat joined its ticket; the new alert got its own")

        # 3. Resolve the first: noted on its ticket, the other still fires.
        run.fire("DiskFull", "fs01:9100", "Disk /srv is 97% full",
                 ends=datetime.now(timezone.utc) - timedelta(seconds=1))
        wait_for("the resolution on the ticket", lambda: any(
            e.get("kind") == "alert" and "resolved" in e.get("body", "")
            for e in run.ticket(disk_ticket)["timeline"]
        ))
        firing = [a for a in run.alerts("alder") if "DiskFull" in a["summary"]]
        assert [a["ticket_id"] for a in firing] == [t for t in tickets if t != disk_ticket], firing
        assert len(alert_tickets(run, "alder")) == before_alder + 2
        print("ok: the resolved alert was noted on its ticket; the other still fires")

        # 4. Nothing reached the other client.
        assert run.alerts("corvid") == []
        assert len(alert_tickets(run, "corvid")) == before_corvid
        print("ok: the other client saw none of it")
    except BaseException:
        run.logs()
        raise
    finally:
        run.stop()
        shutil.rmtree(run.work, ignore_errors=True)
    print(f"real Alertmanager test passed in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()

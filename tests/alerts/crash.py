#!/usr/bin/env python3
"""Alert intake under SIGKILL: nothing answered 202 is lost or doubled.

    python3 tests/alerts/crash.py TANDEM_BIN [--kills N] [--seed S]

Seeds a fresh demo database, makes a generic intake source for one client,
then runs a load of senders against `tandem serve` and kills the server
with SIGKILL at random moments, N times, restarting it each time. Senders
behave as monitoring tools do: a request that got no answer (the server
died under it) is sent again, unchanged, until it is answered; a 429 waits
for its Retry-After. Each sender fires new alerts, fires earlier ones
again, and resolves some.

Afterwards, read straight from the database:
- every alert that was answered 202 is stored exactly once, and no alert
  that was never sent is;
- every stored alert's ticket exists, once, on the source's client, and no
  alert ticket exists without an alert;
- each alert's last recorded state is the last one it was answered for.

CI runs a short version (`--kills 5`); the long one is run by hand
(`--kills 100`), with its result in the session's note.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

CLIENT_ADMIN = "priya.nair@alder.example"
SENDERS = 4


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method, url, body=None, token=None, timeout=10):
    """(status, parsed body, headers), or None when no answer came."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, json.loads(res.read() or b"null"), res.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null"), e.headers
    except (urllib.error.URLError, OSError, ValueError):
        return None


class Server:
    def __init__(self, binary, work):
        self.binary = binary
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db = os.path.join(work, "crash.db")
        self.log = open(os.path.join(work, "server.log"), "ab")
        self.env = dict(
            os.environ,
            TANDEM_DATABASE_URL=f"sqlite://{self.db}",
            TANDEM_BIND=f"127.0.0.1:{self.port}",
            TANDEM_LOG="warn",
        )
        self.proc = None

    def start(self, command="serve"):
        self.proc = subprocess.Popen(
            [self.binary, command], stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, env=self.env,
        )
        end = time.monotonic() + 90
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"tandem {command} exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.base}/readyz", timeout=2) as res:
                    if res.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError("tandem did not become ready")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Sender(threading.Thread):
    """One monitoring tool: new alerts, repeats and resolutions, each sent
    until answered. Records the last state each of its alerts was
    answered 202 for."""

    def __init__(self, number, server, key, stop, rng):
        super().__init__(daemon=True)
        self.number = number
        self.server = server
        self.key = key
        self.stop_flag = stop
        self.rng = rng
        self.answered = {}  # dedup key -> last status answered 202
        self.sent = set()  # every dedup key ever sent
        self.requests = 0
        self.unanswered = 0
        self.failures = []

    def event(self):
        firing = [k for k, s in self.answered.items() if s == "firing"]
        roll = self.rng.random()
        if firing and roll < 0.3:
            key, status = self.rng.choice(firing), "firing"
        elif firing and roll < 0.45:
            key, status = self.rng.choice(firing), "resolved"
        else:
            key, status = f"crash-{self.number}-{len(self.sent)}", "firing"
        return {
            "source": "crash-test",
            "dedup_key": key,
            "status": status,
            "severity": self.rng.choice(["critical", "warning", "error"]),
            "summary": f"Check {key} is failing",
            "device": f"host-{self.number}",
        }

    def send(self, body):
        while True:
            answer = request("POST", f"{self.server.base}/api/v1/intake/events", body, token=self.key)
            self.requests += 1
            if answer is None:
                # The server died under us (or is restarting): send it again.
                self.unanswered += 1
                time.sleep(0.05)
                continue
            status, parsed, headers = answer
            if status == 202:
                return
            if status == 429:
                time.sleep(float(headers.get("Retry-After", "1")))
                continue
            if status == 503:
                time.sleep(0.1)
                continue
            self.failures.append(f"{status} {parsed} for {body['dedup_key']}")
            return

    def run(self):
        while not self.stop_flag.is_set():
            body = self.event()
            self.sent.add(body["dedup_key"])
            self.send(body)
            if not self.failures:
                self.answered[body["dedup_key"]] = body["status"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    print(f"crash test: {args.kills} kills, seed {seed}")

    work = tempfile.mkdtemp(prefix="tandem-crash.")
    server = Server(os.path.abspath(args.binary), work)
    started = time.monotonic()
    ok = False
    try:
        server.start("demo")
        token = subprocess.run(
            [server.binary, "token", "create", "--user", CLIENT_ADMIN, "--name", "crash test"],
            env=server.env, check=True, capture_output=True, text=True,
        ).stdout.strip()
        status, orgs, _ = request("GET", f"{server.base}/api/v1/orgs", token=token)
        assert status == 200, orgs
        client = orgs[0]["id"]
        status, made, _ = request(
            "POST", f"{server.base}/api/v1/clients/{client}/alert-sources",
            {"name": "Crash test", "kind": "generic", "default_category": "network"}, token=token,
        )
        assert status == 201, made
        key, source_id = made["key"], made["source"]["id"]

        stop = threading.Event()
        senders = [Sender(n, server, key, stop, random.Random(rng.random())) for n in range(SENDERS)]
        for s in senders:
            s.start()
        for k in range(args.kills):
            time.sleep(rng.uniform(0.2, 1.5))
            server.kill()
            server.start()
        time.sleep(rng.uniform(0.5, 1.0))
        stop.set()
        for s in senders:
            s.join(timeout=120)
            assert not s.is_alive(), "a sender never got its answer"
        server.stop()

        failures = [f for s in senders for f in s.failures]
        assert not failures, failures[:10]
        answered = {k: v for s in senders for k, v in s.answered.items()}
        sent = set().union(*(s.sent for s in senders))
        assert answered.keys() == sent, sent - answered.keys()

        db = sqlite3.connect(server.db)
        rows = db.execute(
            "SELECT dedup_key, status, ticket_id, ticket_opened FROM alerts WHERE source_id = ?", (source_id,)
        ).fetchall()
        keys = [r[0] for r in rows]
        doubled = {k for k in keys if keys.count(k) > 1}
        assert not doubled, f"alerts stored twice: {sorted(doubled)[:10]}"
        assert set(keys) == answered.keys(), (
            f"missing: {sorted(answered.keys() - set(keys))[:10]}, unexpected: {sorted(set(keys) - answered.keys())[:10]}"
        )
        wrong = [(k, s, answered[k]) for k, s, _, _ in rows if s != answered[k]]
        assert not wrong, f"alerts whose last state is not the one answered: {wrong[:10]}"
        unwritten = [k for k, _, _, opened in rows if not opened]
        assert not unwritten, f"alerts whose ticket was never written: {unwritten[:10]}"
        ticket_ids = {t for _, _, t, _ in rows}
        tickets = db.execute(
            "SELECT id, client_id FROM tickets WHERE source = 'alert' AND id IN (SELECT ticket_id FROM alerts WHERE source_id = ?)",
            (source_id,),
        ).fetchall()
        assert {t for t, _ in tickets} == ticket_ids, "an alert's ticket is missing"
        assert all(c == client for _, c in tickets), "an alert ticket landed on another client"
        orphans = db.execute(
            "SELECT COUNT(*) FROM tickets WHERE source = 'alert' AND client_id = ? "
            "AND id NOT IN (SELECT ticket_id FROM alerts)",
            (client,),
        ).fetchone()[0]
        assert orphans == 0, f"{orphans} alert tickets without an alert"
        requests = sum(s.requests for s in senders)
        unanswered = sum(s.unanswered for s in senders)
        print(
            f"ok: {len(rows)} alerts on {len(ticket_ids)} tickets, each once, after {args.kills} SIGKILLs; "
            f"{requests} requests, {unanswered} cut off by a kill and sent again"
        )
        ok = True
    finally:
        server.stop()
        if not ok:
            server.log.flush()
            with open(os.path.join(work, "server.log"), errors="replace") as f:
                print("---- server log (last 40 lines) ----")
                print("".join(f.readlines()[-40:]))
        shutil.rmtree(work, ignore_errors=True)
    print(f"crash test passed in {time.monotonic() - started:.1f}s (seed {seed})")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Fault harness: drive a real `tally serve` into storage faults and check it answers as promised.

    tools/faults.py [--tally PATH] [--only NAME]... [--fs tmpfs|ext4] [--disk-mb 8] [--writers 4] [--keep]

Scenarios (each prints PASS or FAIL with its evidence; docs/RELIABILITY.md, "Faults"):

  disk-full     The data directory is on a small filesystem made here (a size-capped tmpfs, or an
                ext4 image on a loop device with --fs ext4), filled almost to the brim by a filler
                file. Writers append raw events and deposit under load until the disk is full, and
                go on for a while: every refused write must be 507 `storage-full` (no 500, no
                other status, no hang, no crash), while stream reads, `/health/live` and a reader
                keep answering 200. The filler is deleted: writes must succeed again. Every event
                a 2xx acknowledged is then read back over HTTP (position, id and `data` byte for
                byte), balances must equal the acknowledged deposits, the async projections must
                catch up, and after a restart the same holds and `tally verify` passes.
  map-grows     `--map-size 1 MiB`: appends under load write far past it; every write succeeds,
                the map grows (the server logs each doubling; `/metrics` shows the size).
  map-limit     `--max-map-size 4 MiB`: appends until the map cannot grow; every refused write is
                507 and reads go on; a restart with a larger limit lets writes resume, and every
                acknowledged event is still there.
  readers-full  Every slot of LMDB's reader table (in the shared `lock.mdb`) is taken by read
                transactions held in this process (liblmdb through ctypes). Reads must answer 503
                `busy` with `Retry-After`, `/health/live` 200, writes go on, and the server must
                not stop (its projection runner is refused a read); once the slots are released,
                reads answer 200 and the projections catch up.
  read-only     The filesystem holding an existing data directory is remounted read-only: `tally
                serve` must exit non-zero within seconds with one line on stderr naming the
                directory (no stack trace, no hang), also for a new directory below it; once
                writable again, it starts and the log is intact.

Needs root (mount) for disk-full and read-only, and liblmdb for readers-full. Python 3 standard
library only. Exit status: 0 if every scenario passed, 1 if any failed, 2 if the harness could not
run (no binary, cannot mount, no liblmdb) — it says which.
"""

import argparse
import ctypes
import ctypes.util
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

DECODER = json.JSONDecoder()
SCENARIOS = ["disk-full", "map-grows", "map-limit", "readers-full", "read-only"]
MIB = 1 << 20


class HarnessError(Exception):
    """The harness itself could not run a scenario (exit 2), as opposed to a broken promise."""


# ----------------------------------------------------------------------------------------------
# JSON with exact spans: `data` must come back byte for byte, so it is compared as source text.


def members_with_spans(text, start=0):
    """A JSON object's members at `start`: parsed values, each value's exact source text, and the end index."""
    values, spans = {}, {}

    def skip(i):
        while text[i] in " \t\r\n":
            i += 1
        return i

    index = skip(start)
    if text[index] != "{":
        raise ValueError("not a JSON object")
    index = skip(index + 1)
    if text[index] == "}":
        return values, spans, index + 1
    while True:
        key, index = DECODER.raw_decode(text, skip(index))
        index = skip(index)
        if text[index] != ":":
            raise ValueError("expected ':'")
        begin = skip(index + 1)
        value, index = DECODER.raw_decode(text, begin)
        values[key], spans[key] = value, text[begin:index]
        index = skip(index)
        if text[index] == "}":
            return values, spans, index + 1
        if text[index] != ",":
            raise ValueError("expected ',' or '}'")
        index += 1


def events_with_data_spans(text):
    """The `events` of a page, each as (parsed event, exact `data` text)."""
    _, spans, _ = members_with_spans(text)
    array, events, index = spans["events"], [], 1
    while True:
        while array[index] in " \t\r\n,":
            index += 1
        if array[index] == "]":
            return events
        values, member_spans, index = members_with_spans(array, index)
        events.append((values, member_spans["data"]))


# ----------------------------------------------------------------------------------------------
# HTTP and the server


class Answer:
    __slots__ = ("status", "headers", "body", "seconds", "error")

    def __init__(self, status, headers, body, seconds, error=None):
        self.status, self.headers, self.body, self.seconds, self.error = status, headers, body, seconds, error

    def slug(self):
        try:
            return json.loads(self.body).get("type", "").rsplit("/", 1)[-1]
        except ValueError:
            return ""

    def label(self):
        return str(self.status) if self.status is not None else f"no answer ({self.error})"


class Client:
    """A keep-alive connection, remade after any failure; never raises for a failed request."""

    def __init__(self, port, token=None, timeout=15):
        self.port, self.token, self.timeout = port, token, timeout
        self.connection = None

    def send(self, method, path, body=None, headers=None):
        all_headers = {"Content-Type": "application/json"}
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        all_headers.update(headers or {})
        started = time.monotonic()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.connection.request(method, path, body=body.encode() if isinstance(body, str) else body,
                                    headers=all_headers)
            response = self.connection.getresponse()
            payload = response.read()
            return Answer(response.status, dict(response.getheaders()), payload, time.monotonic() - started)
        except (OSError, http.client.HTTPException) as error:
            self.close()
            return Answer(None, {}, b"", time.monotonic() - started, error=repr(error))

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One `tally serve` process; its stdout and stderr go to `log_path`."""

    def __init__(self, tally, data_dir, log_path, extra=()):
        self.tally, self.data_dir, self.log_path, self.extra = tally, data_dir, log_path, list(extra)
        self.port = free_port()
        self.process = None

    def start(self, timeout=60):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.tally, "serve", "--data-dir", self.data_dir, "--port", str(self.port)] + self.extra,
                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        probe = Client(self.port, timeout=2)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HarnessError(f"tally serve exited with {self.process.returncode} at start ({self.log_path})")
            if probe.send("GET", "/health/ready").status == 200:
                probe.close()
                return
            time.sleep(0.05)
        raise HarnessError(f"tally serve was not ready within {timeout} s ({self.log_path})")

    @property
    def token(self):
        with open(os.path.join(self.data_dir, "admin.key")) as key:
            return key.read().strip()

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """SIGTERM; returns the exit status (SIGKILL after 30 s counts as a failure: -9)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        status, self.process = self.process.returncode, None
        return status

    def log_text(self):
        with open(self.log_path, errors="replace") as log:
            return log.read()


# ----------------------------------------------------------------------------------------------
# Small filesystems


class Mount:
    """A filesystem of `size_mb` MiB mounted on a new directory: tmpfs, or ext4 in a loop-mounted image."""

    def __init__(self, scratch, name, kind, size_mb):
        self.kind, self.size_mb = kind, size_mb
        self.point = os.path.join(scratch, f"{name}-{kind}")
        self.image = os.path.join(scratch, f"{name}.img")
        os.makedirs(self.point, exist_ok=True)

    def __enter__(self):
        if self.kind == "tmpfs":
            command = ["mount", "-t", "tmpfs", "-o", f"size={self.size_mb}m", "tmpfs", self.point]
        else:
            with open(self.image, "wb") as image:
                image.truncate(self.size_mb * MIB)
            made = subprocess.run(["mkfs.ext4", "-q", "-F", "-m", "0", self.image], capture_output=True, text=True)
            if made.returncode != 0:
                raise HarnessError(f"cannot make an ext4 image: {made.stderr.strip() or made.returncode}")
            command = ["mount", "-o", "loop", self.image, self.point]
        try:
            done = subprocess.run(command, capture_output=True, text=True)
        except FileNotFoundError as error:
            raise HarnessError(f"cannot mount ({error}); this scenario needs root and mount(8)")
        if done.returncode != 0:
            raise HarnessError(f"cannot mount a {self.size_mb} MiB {self.kind} on {self.point} "
                               f"(`{' '.join(command)}`: {done.stderr.strip()}); this scenario needs root")
        return self

    def remount(self, mode):
        done = subprocess.run(["mount", "-o", f"remount,{mode}", self.point], capture_output=True, text=True)
        if done.returncode != 0:
            raise HarnessError(f"cannot remount {self.point} {mode}: {done.stderr.strip()}")

    def free_bytes(self):
        stats = os.statvfs(self.point)
        return stats.f_bavail * stats.f_frsize

    def __exit__(self, *_):
        subprocess.run(["umount", self.point], capture_output=True)
        if os.path.exists(self.image):
            os.remove(self.image)


def fill(path, size):
    """Writes a file of `size` bytes (real blocks: tmpfs and ext4 both count them)."""
    chunk = b"\0" * MIB
    with open(path, "wb") as filler:
        left = size
        while left > 0:
            written = filler.write(chunk[:min(left, MIB)])
            left -= written
        filler.flush()
        os.fsync(filler.fileno())


# ----------------------------------------------------------------------------------------------
# Load: writers that record every acknowledgement, readers that record every answer


def odd_data(rng, writer, sequence, pad):
    """Valid but unusual JSON, so that any re-encoding would show in the read-back."""
    return '{"w": %d,  "seq":%d, "n":[1.50,-0, 1E3],"t":"caf\\u00e9 é","pad":"%s"}' % (writer, sequence, "x" * pad)


class Ledger:
    """What the writers were told: acknowledged raw events and deposits; thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events = []  # (position, id, stream, data text sent)
        self.deposits = {}  # account → acknowledged amount
        self.head = 0

    def acknowledge_append(self, receipt, stream, texts):
        with self.lock:
            for event, text in zip(receipt["events"], texts):
                self.events.append((event["position"], event["id"], stream, text))
            self.head = max(self.head, receipt["positions"]["last"])

    def acknowledge_deposit(self, receipt, account, amount):
        with self.lock:
            self.deposits[account] = self.deposits.get(account, 0) + amount
            self.head = max(self.head, receipt["positions"]["last"])


class Phase:
    """The answers seen in one phase of a scenario, by kind (write, read, live); thread-safe."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.answers = {}  # kind → [(status or None, slug, seconds, retry-after)]

    def record(self, kind, answer):
        with self.lock:
            self.answers.setdefault(kind, []).append(
                (answer.status, answer.slug() if answer.status and answer.status >= 400 else "",
                 answer.seconds, answer.headers.get("Retry-After")))

    def of(self, kind):
        with self.lock:
            return list(self.answers.get(kind, []))

    def statuses(self, kind):
        counts = {}
        for status, slug, _, _ in self.of(kind):
            label = f"{status} {slug}".strip() if status is not None else "no answer"
            counts[label] = counts.get(label, 0) + 1
        return ", ".join(f"{label}: {count}" for label, count in sorted(counts.items())) or "none"

    def slowest(self, kind):
        return max((seconds for _, _, seconds, _ in self.of(kind)), default=0.0)


class Load:
    """Writer and reader threads against one server, recording into the current phase."""

    def __init__(self, port, token, ledger, writers, seed, pad_range=(200, 16000), deposits=True):
        self.port, self.token, self.ledger = port, token, ledger
        self.writers, self.seed, self.pad_range, self.deposits = writers, seed, pad_range, deposits
        self.phase = Phase("start")
        self.stopping = threading.Event()
        self.threads = []

    def switch(self, name):
        self.phase = Phase(name)
        return self.phase

    def start(self):
        for index in range(self.writers):
            self.threads.append(threading.Thread(target=self.write, args=(index,), daemon=True))
        self.threads.append(threading.Thread(target=self.read, daemon=True))
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(60)

    def write(self, index):
        rng = random.Random(self.seed * 100 + index)
        client = Client(self.port, self.token)
        stream, revision, sequence = f"fault-w{index}", None, 0
        account = f"fault-a{index}"
        while not self.stopping.is_set():
            sequence += 1
            phase = self.phase
            if self.deposits and rng.random() < 0.3:
                amount = rng.randint(1, 1000)
                answer = client.send("POST", "/v1/commands/deposit",
                                     '{"account":"%s","amount":%d}' % (account, amount),
                                     {"Idempotency-Key": str(uuid.uuid4())})
                phase.record("write", answer)
                if answer.status in (200, 201):
                    self.ledger.acknowledge_deposit(json.loads(answer.body), account, amount)
                continue
            texts = [odd_data(rng, index, sequence * 10 + n, rng.randint(*self.pad_range))
                     for n in range(rng.randint(1, 3))]
            expected = '"noStream"' if revision is None else str(revision)
            body = '{"expectedRevision":%s,"events":[%s]}' % (
                expected, ",".join('{"type":"faultTested","data":%s}' % text for text in texts))
            answer = client.send("POST", f"/v1/streams/{stream}/events", body)
            phase.record("write", answer)
            if answer.status == 201:
                receipt = json.loads(answer.body)
                self.ledger.acknowledge_append(receipt, stream, texts)
                revision = receipt["streamRevisions"][stream]
            elif answer.status is None or answer.status == 409:
                # No answer: it may have committed; a 409 says it did. Re-read the revision.
                latest = client.send("GET", f"/v1/streams/{stream}/events?direction=backward&limit=1")
                if latest.status == 200:
                    revision = json.loads(latest.body)["headRevision"]

    def read(self):
        client = Client(self.port, self.token)
        health = Client(self.port)
        while not self.stopping.is_set():
            phase = self.phase
            phase.record("read", client.send("GET", "/v1/events?limit=20"))
            phase.record("live", health.send("GET", "/health/live"))
            time.sleep(0.02)


def read_back(client, ledger):
    """Problems with the acknowledged events as the server reads them now (empty: all there, byte for byte)."""
    problems = []
    with ledger.lock:
        expected = sorted(ledger.events)
        deposits = dict(ledger.deposits)
    by_stream = {}
    for position, event_id, stream, text in expected:
        by_stream.setdefault(stream, []).append((position, event_id, text))
    for stream, wanted in by_stream.items():
        stored = {}
        after = None
        readable = True
        while readable:
            path = f"/v1/streams/{stream}/events?limit=1000" + (f"&from={after + 1}" if after is not None else "")
            answer = client.send("GET", path)
            if answer.status != 200:
                problems.append(f"GET {path}: {answer.label()}")
                readable = False
                break
            page = events_with_data_spans(answer.body.decode())
            for event, data in page:
                stored[event["position"]] = (event["id"], data)
                after = event["revision"]
            if not json.loads(answer.body).get("next"):
                break
        if not readable:
            continue  # unread, not missing: the failed GET is the problem
        for position, event_id, text in wanted:
            found = stored.get(position)
            if found is None:
                problems.append(f"{stream}: acknowledged position {position} is missing")
            elif found != (event_id, text):
                problems.append(f"{stream}: position {position} differs: {found[0]} {found[1][:60]!r}")
    for account, amount in deposits.items():
        answer = client.send("GET", f"/v1/projections/account-balances/{account}")
        balance = json.loads(answer.body)["value"]["balance"] if answer.status == 200 else None
        if balance is None or balance < amount:
            problems.append(f"{account}: balance {balance}, acknowledged deposits {amount}")
    return problems, len(expected), sum(deposits.values())


def open_accounts(client, writers):
    for index in range(writers):
        answer = client.send("POST", "/v1/commands/openAccount",
                             '{"id":"fault-a%d","owner":"faults","currency":"EUR"}' % index)
        if answer.status != 201:
            raise HarnessError(f"cannot open account fault-a{index}: {answer.label()} {answer.body[:200]!r}")


# ----------------------------------------------------------------------------------------------
# Reporting


class Report:
    def __init__(self):
        self.results = []  # (scenario, passed, lines)

    def scenario(self, name, checks, evidence):
        """`checks`: [(description, passed)]; prints PASS/FAIL with the evidence and every failed check."""
        passed = all(ok for _, ok in checks)
        print(f"{'PASS' if passed else 'FAIL'} {name}", flush=True)
        for line in evidence:
            print(f"    {line}")
        for description, ok in checks:
            if not ok:
                print(f"    FAILED: {description}")
        sys.stdout.flush()
        self.results.append((name, passed))

    def skipped(self, name, reason):
        print(f"ERROR {name}: {reason}", flush=True)
        self.results.append((name, None))


def refused_only_with(phase, kind, allowed):
    """Whether every answer of `kind` is 2xx or one of `allowed` (status, slug)."""
    return all(status is not None and (200 <= status < 300 or (status, slug) in allowed)
               for status, slug, _, _ in phase.of(kind))


def ok_only(phase, kind):
    return bool(phase.of(kind)) and all(status == 200 for status, _, _, _ in phase.of(kind))


# ----------------------------------------------------------------------------------------------
# Scenarios


def disk_full(args, scratch, report):
    with Mount(scratch, "disk-full", args.fs, args.disk_mb) as mount:
        data = os.path.join(mount.point, "data")
        server = Server(args.tally, data, os.path.join(scratch, "disk-full.log"), ["--log-level", "notice"])
        server.start()
        try:
            token = server.token
            client = Client(server.port, token)
            open_accounts(client, args.writers)
            # Leave ~2 MiB for the log beyond what it holds: the load fills that in seconds.
            filler = os.path.join(mount.point, "filler")
            fill(filler, max(0, mount.free_bytes() - 2 * MIB))
            ledger = Ledger()
            load = Load(server.port, token, ledger, args.writers, args.seed)
            filling = load.switch("filling")
            load.start()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not any(s == 507 for s, _, _, _ in filling.of("write")):
                time.sleep(0.05)
            first_full = any(s == 507 for s, _, _, _ in filling.of("write"))
            full = load.switch("full")
            time.sleep(args.full_seconds)
            alive_when_full = server.alive()
            os.remove(filler)
            freed_at = time.monotonic()
            resuming = load.switch("resuming")
            while time.monotonic() - freed_at < 10 and not any(s == 201 for s, _, _, _ in resuming.of("write")):
                time.sleep(0.05)
            resumed_after = time.monotonic() - freed_at
            resumed = any(s == 201 for s, _, _, _ in resuming.of("write"))
            time.sleep(0.5)
            settled = load.switch("after")
            time.sleep(1.5)
            load.stop()
            problems, event_count, deposited = read_back(client, ledger)
            statements = client.send(
                "GET", f"/v1/projections/account-statements?prefix=fault-a0:&minPosition={ledger.head}")
            status = server.stop()
            try:
                server.start()
                after_restart, _, _ = read_back(Client(server.port, token), ledger)
            except HarnessError as error:
                after_restart = [f"no restart: {error}"]
            verify = subprocess.run([args.tally, "verify", "--data-dir", data], capture_output=True, text=True)
            full_refusals = [s for s, _, _, _ in full.of("write") if s == 507]
            allowed = {(507, "storage-full")}
            checks = [
                ("the disk filled and a write was refused with 507 within 60 s", first_full),
                ("every write while full was 2xx or 507 storage-full (no 500, no other status, no hang)",
                 refused_only_with(filling, "write", allowed) and refused_only_with(full, "write", allowed)
                 and bool(full_refusals)),
                ("reads answered 200 throughout", all(ok_only(p, "read") for p in (filling, full, resuming, settled))),
                ("/health/live answered 200 throughout", all(ok_only(p, "live") for p in (filling, full, resuming, settled))),
                ("the server was running while full", alive_when_full),
                ("writes succeeded within 10 s of freeing space", resumed),
                ("every write succeeded once space was back", bool(settled.of("write"))
                 and all(s in (200, 201) for s, _, _, _ in settled.of("write"))),
                ("every acknowledged event and deposit read back exactly", not problems),
                ("the async projections caught up (account-statements at the head)", statements.status == 200),
                ("SIGTERM stopped the server with status 0", status == 0),
                ("after a restart every acknowledged event read back exactly", not after_restart),
                ("tally verify passed after the restart", verify.returncode == 0),
            ]
            evidence = [
                f"{args.fs} of {args.disk_mb} MiB, {args.writers} writers (raw appends of 0.2-16 KiB events, deposits) + a reader",
                f"filling:  writes {filling.statuses('write')}; reads {filling.statuses('read')}",
                f"full ({args.full_seconds} s): writes {full.statuses('write')}; reads {full.statuses('read')}; "
                f"live {full.statuses('live')}; slowest write {full.slowest('write'):.3f} s",
                f"freed:    first write succeeded {resumed_after:.2f} s after the filler was deleted; "
                f"writes {resuming.statuses('write')}",
                f"after:    writes {settled.statuses('write')}; reads {settled.statuses('read')}",
                f"read back: {event_count} acknowledged events, {deposited} in acknowledged deposits: "
                f"{'all exact' if not problems else '; '.join(problems[:5])}",
                f"restart: exit {status}; read back {'all exact' if not after_restart else '; '.join(after_restart[:5])}; "
                f"tally verify exit {verify.returncode}: {(verify.stdout + verify.stderr).strip().splitlines()[-1:]}",
            ]
            report.scenario("disk-full", checks, evidence)
        finally:
            server.stop()


def map_grows(args, scratch, report):
    data = os.path.join(scratch, "map-grows")
    server = Server(args.tally, data, os.path.join(scratch, "map-grows.log"),
                    ["--log-level", "notice", "--map-size", str(MIB)])
    server.start()
    try:
        client = Client(server.port, server.token)
        open_accounts(client, args.writers)
        ledger = Ledger()
        load = Load(server.port, server.token, ledger, args.writers, args.seed, pad_range=(8000, 30000))
        phase = load.switch("growing")
        load.start()
        deadline = time.monotonic() + 60
        target = args.grow_mb * MIB
        written = 0
        while time.monotonic() < deadline and written < target:
            time.sleep(0.1)
            with ledger.lock:
                written = sum(len(text) for _, _, _, text in ledger.events)
        load.stop()
        metrics = client.send("GET", "/metrics").body.decode(errors="replace")
        map_size = next((float(line.split()[-1]) for line in metrics.splitlines()
                         if line.startswith("tally_map_size_bytes")), 0.0)
        grew = server.log_text().count("Grew the map")
        problems, event_count, _ = read_back(client, ledger)
        checks = [
            (f"{args.grow_mb} MiB of event data were written within 60 s", written >= target),
            ("every write succeeded", ok_writes(phase)),
            ("reads answered 200 throughout", ok_only(phase, "read")),
            ("the map grew past 1 MiB (a 'Grew the map' log line, /metrics)", grew >= 1 and map_size > MIB),
            ("every acknowledged event read back exactly", not problems),
        ]
        report.scenario("map-grows", checks, [
            f"--map-size 1 MiB, {args.writers} writers (8-30 KiB events, deposits) + a reader",
            f"writes {phase.statuses('write')}; reads {phase.statuses('read')}; slowest write {phase.slowest('write'):.3f} s",
            f"{written / MIB:.1f} MiB of data in {event_count} acknowledged events; the map grew {grew} times "
            f"to {map_size / MIB:.0f} MiB (tally_map_size_bytes)",
            f"read back: {'all exact' if not problems else '; '.join(problems[:5])}",
        ])
    finally:
        server.stop()


def ok_writes(phase):
    return bool(phase.of("write")) and all(s in (200, 201) for s, _, _, _ in phase.of("write"))


def map_limit(args, scratch, report):
    data = os.path.join(scratch, "map-limit")
    log = os.path.join(scratch, "map-limit.log")
    server = Server(args.tally, data, log,
                    ["--log-level", "notice", "--map-size", str(MIB), "--max-map-size", str(4 * MIB)])
    server.start()
    try:
        token = server.token
        client = Client(server.port, token)
        open_accounts(client, args.writers)
        ledger = Ledger()
        load = Load(server.port, token, ledger, args.writers, args.seed, pad_range=(8000, 30000))
        filling = load.switch("filling")
        load.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(s == 507 for s, _, _, _ in filling.of("write")):
            time.sleep(0.05)
        full = load.switch("full")
        time.sleep(args.full_seconds)
        load.stop()
        alive = server.alive()
        status = server.stop()
        server.extra[-1] = str(64 * MIB)
        server.start()
        resumed = Client(server.port, token).send(
            "POST", "/v1/streams/fault-limit/events", '{"events":[{"type":"faultTested","data":{"after":"raise"}}]}')
        problems, event_count, _ = read_back(Client(server.port, token), ledger)
        allowed = {(507, "storage-full")}
        refused = [s for s, _, _, _ in full.of("write") if s == 507]
        checks = [
            ("the map reached its limit and a write was refused with 507 within 60 s",
             any(s == 507 for s, _, _, _ in filling.of("write"))),
            ("every write at the limit was 2xx or 507 storage-full",
             refused_only_with(filling, "write", allowed) and refused_only_with(full, "write", allowed) and bool(refused)),
            ("reads and /health/live answered 200 at the limit", ok_only(full, "read") and ok_only(full, "live")),
            ("the server kept running, and stopped with status 0", alive and status == 0),
            ("with --max-map-size 64 MiB after a restart, a write succeeded", resumed.status == 201),
            ("every acknowledged event read back exactly", not problems),
        ]
        report.scenario("map-limit", checks, [
            f"--map-size 1 MiB --max-map-size 4 MiB, {args.writers} writers (8-30 KiB events, deposits) + a reader",
            f"filling: writes {filling.statuses('write')}",
            f"at the limit ({args.full_seconds} s): writes {full.statuses('write')}; reads {full.statuses('read')}; "
            f"live {full.statuses('live')}",
            f"restarted with --max-map-size 64 MiB: append {resumed.label()}; "
            f"read back {event_count} events: {'all exact' if not problems else '; '.join(problems[:5])}",
        ])
    finally:
        server.stop()


class ReaderTable:
    """Read transactions held open on the environment through liblmdb, each in its own reader slot."""

    MDB_RDONLY, MDB_NOTLS, MDB_READERS_FULL = 0x20000, 0x200000, -30790

    def __init__(self, path):
        name = ctypes.util.find_library("lmdb")
        if name is None:
            raise HarnessError("liblmdb is not installed (apt-get install liblmdb0); readers-full needs it")
        self.lib = ctypes.CDLL(name)
        self.lib.mdb_strerror.restype = ctypes.c_char_p
        self.env = ctypes.c_void_p()
        self.txns = []
        self.check(self.lib.mdb_env_create(ctypes.byref(self.env)), "mdb_env_create")
        # Read-only and MDB_NOTLS: each transaction takes a slot of its own, whatever the thread.
        self.check(self.lib.mdb_env_open(self.env, path.encode(), ctypes.c_uint(self.MDB_RDONLY | self.MDB_NOTLS),
                                         0o640), "mdb_env_open")

    def check(self, code, what):
        if code != 0:
            raise HarnessError(f"{what}: {self.lib.mdb_strerror(code).decode()}")

    def take_all(self):
        """Begins read transactions until LMDB refuses one; returns how many are held."""
        while True:
            txn = ctypes.c_void_p()
            code = self.lib.mdb_txn_begin(self.env, None, ctypes.c_uint(self.MDB_RDONLY), ctypes.byref(txn))
            if code == self.MDB_READERS_FULL:
                return len(self.txns)
            self.check(code, "mdb_txn_begin")
            self.txns.append(txn)

    def release(self):
        for txn in self.txns:
            self.lib.mdb_txn_abort(txn)
        self.txns = []

    def close(self):
        self.release()
        self.lib.mdb_env_close(self.env)


def readers_full(args, scratch, report):
    data = os.path.join(scratch, "readers-full")
    server = Server(args.tally, data, os.path.join(scratch, "readers-full.log"), ["--log-level", "notice"])
    server.start()
    table = None
    try:
        token = server.token
        client = Client(server.port, token)
        open_accounts(client, 1)
        table = ReaderTable(data)
        # A slot the server held for a moment is free again a moment later: take it too.
        held, busy = 0, None
        for _ in range(20):
            held = table.take_all()
            busy = client.send("GET", "/v1/streams/account-fault-a0/events")
            if busy.status == 503:
                break
        reads = [client.send("GET", path) for path in
                 ["/v1/events?limit=10", "/v1/streams/fault-r/events", "/v1/projections/account-balances/fault-a0"]]
        live = Client(server.port).send("GET", "/health/live")
        # The writer needs no reader slot, and a receipt is built from the writer's copy: 201.
        event_id, key = str(uuid.uuid4()), str(uuid.uuid4())
        append_body = '{"events":[{"id":"%s","type":"faultTested","data":{}}]}' % event_id
        # The same X-Request-ID on the retry: it becomes the event's correlationId, part of its content.
        request_id = {"X-Request-ID": f"faults-{event_id}"}
        append = client.send("POST", "/v1/streams/fault-r/events", append_body, request_id)
        deposit_body = '{"account":"fault-a0","amount":7}'
        deposit = client.send("POST", "/v1/commands/deposit", deposit_body, {"Idempotency-Key": key})
        time.sleep(2)  # the projection runner wakes on the commit and is refused its read
        alive = server.alive()
        paused = "Projections paused" in server.log_text()
        table.release()
        after = client.send("GET", "/v1/streams/fault-r/events")
        stored_ids = [event["id"] for event, _ in events_with_data_spans(after.body.decode())] if after.status == 200 else []
        # Retried as a client would after a lost answer: the same ids and key must not apply twice.
        append_retry = client.send("POST", "/v1/streams/fault-r/events", append_body, request_id)
        deposit_retry = client.send("POST", "/v1/commands/deposit", deposit_body, {"Idempotency-Key": key})
        balance = client.send("GET", "/v1/projections/account-balances/fault-a0")
        balance_value = json.loads(balance.body)["value"]["balance"] if balance.status == 200 else None
        head = json.loads(deposit_retry.body)["positions"]["last"] if deposit_retry.status in (200, 201) else 0
        caught_up = client.send("GET", f"/v1/projections/account-statements?prefix=fault-a0:&minPosition={head}")
        refused = [busy] + reads
        checks = [
            ("every reader slot was taken and a read was refused", busy is not None and busy.status == 503),
            ("every read while full was 503 busy with Retry-After",
             all(a.status == 503 and a.slug() == "busy" and a.headers.get("Retry-After") for a in refused)),
            ("/health/live answered 200", live.status == 200),
            ("an append and a deposit while full were answered 201 with their events",
             all(a.status == 201 and json.loads(a.body)["events"] for a in (append, deposit))),
            ("both were committed exactly once (read back; retried with the same id and key)",
             stored_ids.count(event_id) == 1 and append_retry.status in (200, 201)
             and deposit_retry.status in (200, 201) and balance_value == 7),
            ("the server kept running 2 s after its projection runner was refused", alive),
            ("reads answered 200 once the slots were released", after.status == 200),
            ("the async projections caught up with the deposit", caught_up.status == 200),
        ]
        report.scenario("readers-full", checks, [
            f"{held} read transactions held in this process (liblmdb, MDB_RDONLY|MDB_NOTLS)",
            "reads while full: " + ", ".join(f"{a.label()} {a.slug()} Retry-After={a.headers.get('Retry-After')}"
                                              for a in refused),
            f"/health/live {live.label()}; append {append.label()} {append.slug()}; deposit {deposit.label()} "
            f"{deposit.slug()}; server running after 2 s: {alive}; 'Projections paused' logged: {paused}",
            f"released: read {after.label()} (the append's id stored {stored_ids.count(event_id)} time(s)); "
            f"retried append {append_retry.label()} {append_retry.slug()}, deposit {deposit_retry.label()}; "
            f"balance {balance_value} (7 deposited); "
            f"account-statements at position {head}: {caught_up.label()}",
        ])
    finally:
        if table is not None:
            table.close()
        server.stop()


def read_only(args, scratch, report):
    with Mount(scratch, "read-only", "tmpfs", 16) as mount:
        data = os.path.join(mount.point, "data")
        server = Server(args.tally, data, os.path.join(scratch, "read-only.log"), ["--log-level", "warning"])
        server.start()
        receipt = Client(server.port, server.token).send(
            "POST", "/v1/streams/fault-ro/events", '{"events":[{"type":"faultTested","data":{"kept": true}}]}')
        first_stop = server.stop()
        mount.remount("ro")
        runs = []
        for directory in (data, os.path.join(mount.point, "new", "data")):
            started = time.monotonic()
            try:
                done = subprocess.run([args.tally, "serve", "--data-dir", directory, "--port", str(free_port())],
                                      capture_output=True, text=True, timeout=20)
                runs.append((directory, done.returncode, done.stderr, time.monotonic() - started))
            except subprocess.TimeoutExpired:
                runs.append((directory, None, "(still running after 20 s)", 20.0))
        mount.remount("rw")
        server.start()
        back = Client(server.port, server.token).send("GET", "/v1/streams/fault-ro/events")
        server.stop()
        checks = [("the data directory was made and written before", receipt.status == 201 and first_stop == 0)]
        for directory, status, stderr, seconds in runs:
            lines = stderr.splitlines()
            checks += [
                (f"{directory}: exited non-zero within 20 s", status not in (None, 0)),
                (f"{directory}: one line on stderr, starting 'tally:' and naming the directory",
                 len(lines) == 1 and lines[0].startswith("tally: ") and directory in lines[0]),
            ]
        checks.append(("writable again, it started and the event was there",
                       back.status == 200 and b'"kept": true' in back.body))
        evidence = [f"{directory}: exit {status} after {seconds:.2f} s; stderr: {stderr.strip()!r}"
                    for directory, status, stderr, seconds in runs]
        evidence.append(f"remounted read-write: GET the stream {back.label()}")
        report.scenario("read-only", checks, evidence)


# ----------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--tally", default=".build/release/tally", help="the tally binary")
    parser.add_argument("--only", action="append", choices=SCENARIOS, help="run only this scenario (repeatable)")
    parser.add_argument("--fs", choices=["tmpfs", "ext4"], default="tmpfs", help="the small filesystem for disk-full")
    parser.add_argument("--disk-mb", type=int, default=64,
                        help="its size in MiB (default 64: large enough that a release build's load cannot fill the "
                             "freed space again before the resume checks)")
    parser.add_argument("--writers", type=int, default=4, help="writer threads (default 4)")
    parser.add_argument("--full-seconds", type=float, default=3, help="how long to write into a full disk or map")
    parser.add_argument("--grow-mb", type=int, default=24, help="event data map-grows writes past a 1 MiB map")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, data)")
    args = parser.parse_args()
    args.tally = os.path.abspath(args.tally)
    if not os.access(args.tally, os.X_OK):
        print(f"faults: no tally binary at {args.tally} (swift build -c release --product tally, or --tally PATH)",
              file=sys.stderr)
        return 2
    scratch = tempfile.mkdtemp(prefix="tally-faults-")
    report = Report()
    runners = {"disk-full": disk_full, "map-grows": map_grows, "map-limit": map_limit,
               "readers-full": readers_full, "read-only": read_only}
    started = time.monotonic()
    for name in args.only or SCENARIOS:
        try:
            runners[name](args, scratch, report)
        except HarnessError as error:
            report.skipped(name, str(error))
    failed = [name for name, passed in report.results if passed is False]
    broken = [name for name, passed in report.results if passed is None]
    print(f"faults: {len(report.results) - len(failed) - len(broken)} passed, {len(failed)} failed"
          + (f", {len(broken)} could not run ({', '.join(broken)})" if broken else "")
          + f", {time.monotonic() - started:.1f} s" + (f"; work directory {scratch}" if failed or broken or args.keep else ""))
    if not (failed or broken or args.keep):
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 2 if broken else 0


if __name__ == "__main__":
    sys.exit(main())

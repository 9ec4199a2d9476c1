#!/usr/bin/env python3
"""Crash-loop harness: kill -9 `tally serve` under concurrent load, restart it, and check the log.

    tools/crash-loop.py [--tally PATH] [--kills 200] [--writers 16] [--seed N] [--verbose] [--json]
    tools/crash-loop.py --self-test          # proves the checker catches what it claims to catch

Each cycle runs N writer threads against the server for a random 50-500 ms (raw single- and
multi-stream appends with expected revisions, ledger commands with Idempotency-Key), then
SIGKILLs the server mid-load, restarts it on the same data directory (timing process start to
`/health/ready`), and checks, against everything the writers sent and were told:

  - every acknowledged event is at its acknowledged position with its id, stream, revision,
    time and exactly the bytes sent; every event checked before is still byte-for-byte the same;
  - positions are 1..head without gaps, ids are unique, each stream's revisions are 0..n;
  - no phantoms: every event in the log matches something a writer sent (committed but
    unacknowledged events are allowed and counted); appends and commands are all-or-nothing;
  - retried in-flight requests (same Idempotency-Key / event ids) answer the committed receipt
    when the original committed, and commit once when it did not;
  - the Merkle root recomputed here from the export (docs/FORMAT.md) equals `tally status`'s
    root and every tree head a receipt acknowledged;
  - the account-balances and trial-balance read models (and, every 20th kill and at the end,
    every account's statement) equal a fold of the log.

Python 3 standard library only. Exit status: 0 if no violation, 1 on any violation (including a
restart slower than --max-restart), 2 if the harness itself could not run.
"""

import argparse
import calendar
import hashlib
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid

DECODER = json.JSONDecoder()
EMPTY_ROOT = hashlib.sha256(b"").digest()
COMPACT = (",", ":")


class HarnessError(Exception):
    """The harness itself could not go on (not a violation of the server's promises)."""


class ServerFailure(HarnessError):
    """The server would not restart, or its log could not be read: a violation that ends the run."""


# ----------------------------------------------------------------------------------------------
# Violations


class Violations:
    """Every broken promise found, by kind; thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = []  # (cycle, kind, message)
        self.cycle = 0

    def add(self, kind, message):
        with self.lock:
            self.items.append((self.cycle, kind, message))

    def count(self):
        with self.lock:
            return len(self.items)

    def kinds(self):
        with self.lock:
            return sorted({kind for _, kind, _ in self.items})


# ----------------------------------------------------------------------------------------------
# The Merkle tree (docs/FORMAT.md) and the export's lines


def u16_text(text):
    encoded = text.encode()
    return struct.pack(">H", len(encoded)) + encoded


def leaf_hash(position, revision, event_id, micros, stream, event_type, tags, data, metadata):
    """The RFC 6962 leaf hash of one event, as docs/FORMAT.md defines its leaf content."""
    content = bytearray(struct.pack(">QBQ", position, 1, revision))
    content += uuid.UUID(event_id).bytes
    content += struct.pack(">q", micros)
    content += u16_text(stream) + u16_text(event_type)
    content += struct.pack(">H", len(tags))
    for tag in tags:
        content += u16_text(tag)
    content += hashlib.sha256(data.encode()).digest() + hashlib.sha256(metadata.encode()).digest()
    return hashlib.sha256(b"\x00" + bytes(content)).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleRoots:
    """The root at every size, grown one leaf at a time from the perfect subtrees (the frontier)."""

    def __init__(self):
        self.frontier = []  # (height, hash), largest first
        self.roots = [EMPTY_ROOT.hex()]

    def append(self, leaf):
        self.frontier.append((0, leaf))
        while len(self.frontier) > 1 and self.frontier[-1][0] == self.frontier[-2][0]:
            height, right = self.frontier.pop()
            _, left = self.frontier.pop()
            self.frontier.append((height + 1, node_hash(left, right)))
        root = self.frontier[-1][1]
        for _, subtree in reversed(self.frontier[:-1]):
            root = node_hash(subtree, root)
        self.roots.append(root.hex())


def micros_since_epoch(timestamp):
    """`2026-11-27T14:05:09.123456Z` → µs since 1970 (exact integer arithmetic)."""
    if not timestamp.endswith("Z") or timestamp[10] != "T":
        raise ValueError(f"not an RFC 3339 UTC time: {timestamp!r}")
    seconds = calendar.timegm((int(timestamp[0:4]), int(timestamp[5:7]), int(timestamp[8:10]),
                               int(timestamp[11:13]), int(timestamp[14:16]), int(timestamp[17:19]), 0, 0, 0))
    fraction = timestamp[20:-1] if timestamp[19] == "." else ""
    return seconds * 1_000_000 + int((fraction + "000000")[:6])


def members_with_spans(text):
    """A JSON object's members, parsed, and each value's exact source text."""
    if not text.startswith("{"):
        raise ValueError("not a JSON object")
    values, spans, index = {}, {}, 1

    def skip(i):
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i

    index = skip(index)
    if text[index] == "}":
        return values, spans
    while True:
        key, index = DECODER.raw_decode(text, skip(index))
        index = skip(index)
        if text[index] != ":":
            raise ValueError("expected ':'")
        start = skip(index + 1)
        value, index = DECODER.raw_decode(text, start)
        values[key], spans[key] = value, text[start:index]
        index = skip(index)
        if text[index] == "}":
            return values, spans
        if text[index] != ",":
            raise ValueError("expected ',' or '}'")
        index += 1


def elements_with_spans(text):
    """A JSON array's elements' exact source texts."""
    if not text.startswith("["):
        raise ValueError("not a JSON array")
    spans, index = [], 1
    while True:
        while text[index] in " \t\r\n,":
            index += 1
        if text[index] == "]":
            return spans
        start = index
        _, index = DECODER.raw_decode(text, start)
        spans.append(text[start:index])


class Record:
    """One event as the export shows it."""

    __slots__ = ("position", "id", "stream", "revision", "type", "tags", "data", "metadata", "recorded_at")

    def __init__(self, line):
        values, spans = members_with_spans(line)
        self.position = values["position"]
        self.id = values["id"]
        self.stream = values["stream"]
        self.revision = values["revision"]
        self.type = values["type"]
        self.tags = values["tags"]
        self.data = spans["data"]
        self.metadata = spans["metadata"]
        self.recorded_at = values["recordedAt"]

    def leaf(self):
        return leaf_hash(self.position, self.revision, self.id, micros_since_epoch(self.recorded_at),
                         self.stream, self.type, self.tags, self.data, self.metadata)


def check_format_vectors():
    """The test vectors of docs/FORMAT.md, so a broken hash here cannot pass for a broken server."""
    vectors = [
        (1, "account-1", 0, "00112233-4455-6677-8899-aabbccddeeff", "deposited", ["currency:EUR"],
         1700000000000000, '{"amount":1250}', "{}"),
        (2, "account-2", 0, "ffeeddcc-bbaa-9988-7766-554433221100", "opened", [],
         1700000000000001, '{"owner":"ada"}', '{"actor":"ada"}'),
        (3, "account-1", 1, "00000000-0000-0000-0000-000000000001", "withdrawn", ["currency:EUR", "big"],
         1700000000500000, '{"amount":50}', "{}"),
    ]
    roots = MerkleRoots()
    for position, stream, revision, event_id, event_type, tags, micros, data, metadata in vectors:
        roots.append(leaf_hash(position, revision, event_id, micros, stream, event_type, tags, data, metadata))
    expected = ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "2e3dfc44607170dcfc28c080e525bbb7489ec51267f0e5dd2601005b0ec63536",
                "1904afb9288d58e97a3f07135d59eeff944f3c88bf2b73d4c2b0601bcbbc18d4",
                "f6204f2eda62e594f96a64cd7735533e81c3bea75dd2fa8a27dde81da512192a"]
    if roots.roots != expected:
        raise HarnessError(f"Merkle code disagrees with docs/FORMAT.md test vectors: {roots.roots}")
    assert micros_since_epoch("2023-11-14T22:13:20.000001Z") == 1700000000000001


# ----------------------------------------------------------------------------------------------
# What the writers sent and were told


class Expected:
    """One event a request should produce: exact data bytes; metadata exact, or as a parsed object."""

    __slots__ = ("stream", "type", "tags", "data", "metadata", "metadata_object", "id")

    def __init__(self, stream, event_type, tags, data, metadata=None, metadata_object=None, event_id=None):
        self.stream, self.type, self.tags, self.data = stream, event_type, tags, data
        self.metadata, self.metadata_object, self.id = metadata, metadata_object, event_id

    def mismatch(self, record):
        """Why `record` is not this event, or None."""
        if record.stream != self.stream:
            return f"stream {record.stream!r}, sent {self.stream!r}"
        if record.type != self.type:
            return f"type {record.type!r}, sent {self.type!r}"
        if record.tags != self.tags:
            return f"tags {record.tags!r}, sent {self.tags!r}"
        if record.data != self.data:
            return f"data {record.data[:120]!r}, sent {self.data[:120]!r}"
        if self.metadata is not None and record.metadata != self.metadata:
            return f"metadata {record.metadata[:120]!r}, sent {self.metadata[:120]!r}"
        if self.metadata is None:
            try:
                parsed = json.loads(record.metadata)
            except ValueError:
                parsed = None
            if parsed != self.metadata_object:
                return f"metadata {record.metadata[:160]!r}, expected {self.metadata_object!r}"
        return None


class Request:
    """One request a writer sent: enough to resend it byte for byte and to recognise its events."""

    __slots__ = ("key", "kind", "path", "body", "headers", "events", "state", "writer", "command_id",
                 "positions", "retried")

    def __init__(self, kind, path, body, headers, events, writer, command_id=None):
        self.kind, self.path, self.body, self.headers = kind, path, body, headers
        self.events, self.writer, self.command_id = events, writer, command_id
        self.state = "sending"  # sending → acked | refused | in-doubt → (retry) acked | abandoned
        self.positions = []  # positions of its events found in the log
        self.retried = None
        self.key = command_id or events[0].id


class Ack:
    __slots__ = ("position", "id", "stream", "revision", "recorded_at", "request")

    def __init__(self, event, request):
        self.position, self.id, self.stream = event["position"], event["id"], event["stream"]
        self.revision, self.recorded_at, self.request = event["revision"], event["recordedAt"], request


class Registry:
    """Everything sent (registered before it is sent) and every acknowledgement."""

    def __init__(self, violations):
        self.lock = threading.Lock()
        self.violations = violations
        self.raw = {}  # event id → (request, index)
        self.commands = {}  # command id → request
        self.requests = []
        self.pending_acks = []
        self.pending_checkpoints = []  # (size, root, what)
        self.acked_ids = set()
        self.acked_requests = 0
        self.in_doubt = []

    def register(self, request):
        with self.lock:
            self.requests.append(request)
            if request.kind == "command":
                self.commands[request.command_id] = request
            else:
                for index, event in enumerate(request.events):
                    self.raw[event.id] = (request, index)

    def acknowledge(self, request, status, receipt, replay_expected=False):
        """Records a 2xx answer; checks the receipt against the request."""
        what = f"{request.kind} {request.path} ({request.key})"
        replayed = receipt.get("replayed")
        if replayed != replay_expected or (status == 201) == replay_expected:
            self.violations.add("receipt", f"{what}: status {status}, replayed {replayed}, expected replayed {replay_expected}")
        events = receipt.get("events", [])
        if len(events) != len(request.events):
            self.violations.add("receipt", f"{what}: receipt has {len(events)} events, expected {len(request.events)}")
        if request.kind == "append":
            sent_ids = sorted(event.id for event in request.events)
            if sorted(event["id"] for event in events) != sent_ids:
                self.violations.add("receipt", f"{what}: receipt ids differ from the ids sent")
        elif receipt.get("commandId") != request.command_id:
            self.violations.add("receipt", f"{what}: commandId {receipt.get('commandId')}")
        positions = [event["position"] for event in events]
        if positions and (receipt.get("positions") or {}).get("first") != min(positions):
            self.violations.add("receipt", f"{what}: positions {receipt.get('positions')} vs events {positions}")
        with self.lock:
            request.state = "acked"
            self.acked_requests += 1
            for event in events:
                self.pending_acks.append(Ack(event, request))
                self.acked_ids.add(event["id"])
            checkpoint = receipt.get("checkpoint")
            if checkpoint:
                self.pending_checkpoints.append((checkpoint["size"], checkpoint["root"], what))

    def mark_in_doubt(self, request):
        with self.lock:
            request.state = "in-doubt"
            self.in_doubt.append(request)


# ----------------------------------------------------------------------------------------------
# HTTP


def http_request(connection, method, path, body=None, headers=None):
    connection.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=headers or {})
    response = connection.getresponse()
    payload = response.read()
    return response.status, payload


class Client:
    """A keep-alive connection to the server, remade after any failure."""

    def __init__(self, port, token, timeout=30):
        self.port, self.token, self.timeout = port, token, timeout
        self.connection = None

    def send(self, method, path, body=None, headers=None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        all_headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        all_headers.update(headers or {})
        try:
            return http_request(self.connection, method, path, body, all_headers)
        except (OSError, http.client.HTTPException):
            self.close()
            raise

    def json(self, path):
        status, payload = self.send("GET", path)
        if status != 200:
            raise ServerFailure(f"GET {path}: {status} {payload[:300]!r}")
        return json.loads(payload)

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# ----------------------------------------------------------------------------------------------
# The server


class Server:
    def __init__(self, tally, data_dir, port, log_path):
        self.tally, self.data_dir, self.port, self.log_path = tally, data_dir, port, log_path
        self.process = None

    def spawn(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.tally, "serve", "--data-dir", self.data_dir, "--port", str(self.port), "--log-level", "warning"],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL)

    def start(self, ready_timeout=60):
        """Starts `tally serve` and waits for /health/ready; returns the seconds that took."""
        started = time.monotonic()
        self.spawn()
        while True:
            if self.process.poll() is not None:
                raise ServerFailure(f"tally serve exited with {self.process.returncode} during start (log: {self.log_path})")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                status, _ = http_request(connection, "GET", "/health/ready")
                connection.close()
                if status == 200:
                    return time.monotonic() - started
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() - started > ready_timeout:
                raise ServerFailure(f"tally serve not ready after {ready_timeout} s (log: {self.log_path})")
            time.sleep(0.005)

    def kill(self):
        """SIGKILL, then reap: nothing of the process survives to flush or clean up."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        if self.process is not None:
            self.process.wait()
        self.process = None

    def stop(self):
        """SIGTERM (graceful drain), falling back to SIGKILL after 30 s."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# ----------------------------------------------------------------------------------------------
# Writers


class Gate:
    """Opens and closes the load; writers park here while the server is down or being checked."""

    def __init__(self, writers):
        self.condition = threading.Condition()
        self.writers = writers
        self.open = False
        self.generation = 0
        self.parked = 0
        self.stopping = False

    def enter(self, generation, failed):
        """Waits until the load is open (and, after a failure, until the next server generation)."""
        with self.condition:
            if self.open and not failed and not self.stopping:
                return self.generation
            self.parked += 1
            self.condition.notify_all()
            while not self.stopping and not (self.open and (not failed or self.generation > generation)):
                self.condition.wait()
            self.parked -= 1
            return None if self.stopping else self.generation

    def close(self):
        with self.condition:
            self.open = False

    def reopen(self):
        with self.condition:
            self.generation += 1
            self.open = True
            self.condition.notify_all()

    def wait_parked(self, timeout):
        with self.condition:
            if not self.condition.wait_for(lambda: self.parked == self.writers or self.stopping, timeout):
                raise HarnessError(f"only {self.parked} of {self.writers} writers stopped within {timeout} s")
            if self.stopping:
                raise ServerFailure("a writer stopped (see the violations before this one)")

    def stop(self):
        with self.condition:
            self.stopping = True
            self.condition.notify_all()


def odd_json(rng, nonce, writer, sequence):
    """A payload in unusual but valid JSON, so that any re-encoding would show."""
    pad = "x" * (rng.choice([0, 0, 0, 10, 200, 3000]) if rng.random() < 0.95 else 40000)
    shape = rng.randrange(4)
    if shape == 0:
        return '{"w": %d,  "seq":%d,"nonce":"%s","txt":"caf\\u00e9 é ✓ \\"q\\"","n":[1.50,-0, 1E3],"pad":"%s"}' % (
            writer, sequence, nonce, pad)
    if shape == 1:
        return '[ "%s" , %d, %d, true, null, {"b":2, "a":1} ]' % (nonce, writer, sequence)
    if shape == 2:
        return '"%s w%d s%d \\n tab\\t"' % (nonce, writer, sequence)
    return '{"nonce":"%s","deep":{"a":[{"b":[{"c":%d}]}]},"pad":"%s"}' % (nonce, sequence, pad)


class Writer(threading.Thread):
    """One client: owns its streams and accounts, so any refusal is a violation, not a race."""

    def __init__(self, index, harness):
        super().__init__(name=f"writer-{index}", daemon=True)
        self.index, self.harness = index, harness
        self.rng = random.Random(harness.seed * 1000 + index)
        self.client = Client(harness.port, harness.token)
        self.streams = {}  # name → next revision (None: no stream yet)
        self.stream_count = 0
        self.accounts = {harness.account_id(index, name): 0 for name in ("x", "y")}
        self.sequence = 0
        self.generation = -1
        self.failed = False
        for _ in range(2):
            self.new_stream()

    def new_stream(self):
        """Starts a stream; only the newest three stay in use, so a resync stays cheap."""
        self.stream_count += 1
        name = f"crash-w{self.index:02d}s{self.stream_count}"
        self.streams[name] = None
        if len(self.streams) > 3:
            del self.streams[next(iter(self.streams))]
        return name

    def run(self):
        try:
            while True:
                generation = self.harness.gate.enter(self.generation, self.failed)
                if generation is None:
                    return
                self.failed = False
                if generation != self.generation:
                    if not self.resync():
                        self.failed = True
                        continue
                    self.generation = generation
                self.step()
        except ServerFailure as error:
            self.harness.violations.add("server-failure", f"writer {self.index}: {error}")
            self.harness.gate.stop()
        except Exception as error:  # a harness bug must not hang the run
            self.harness.violations.add("harness", f"writer {self.index}: {error!r}")
            self.harness.gate.stop()

    def resync(self):
        """After a restart: streams' revisions and balances as the (checked) server has them."""
        self.client.close()  # a keep-alive connection to the killed process would fail the first request
        try:
            for stream in self.streams:
                status, payload = self.client.send("GET", f"/v1/streams/{stream}/events?direction=backward&limit=1")
                if status == 404:
                    self.streams[stream] = None
                elif status == 200:
                    self.streams[stream] = json.loads(payload)["headRevision"] + 1
                else:
                    raise ServerFailure(f"resync {stream}: {status} {payload[:300]!r}")
            for account in self.accounts:
                document = self.client.json(f"/v1/projections/account-balances/{account}")
                self.accounts[account] = document["value"]["balance"]
            return True
        except (OSError, http.client.HTTPException):
            return False

    def step(self):
        self.sequence += 1
        roll = self.rng.random()
        if roll < 0.35:
            self.append_one()
        elif roll < 0.50:
            self.append_many()
        elif roll < 0.75:
            self.movement("deposit", self.rng.choice(list(self.accounts)), self.rng.randint(1, 10000))
        elif roll < 0.85:
            account = self.rng.choice(list(self.accounts))
            if self.accounts[account] > 0:
                self.movement("withdraw", account, self.rng.randint(1, self.accounts[account]))
        else:
            source, target = self.rng.sample(list(self.accounts), 2)
            if self.accounts[source] > 0:
                self.transfer(source, target, self.rng.randint(1, self.accounts[source]))

    def request_id(self):
        return f"cl-w{self.index}-{self.sequence}-{self.rng.getrandbits(32):08x}"

    def raw_event(self, stream, request_id, with_stream):
        event_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        nonce = "%016x" % self.rng.getrandbits(64)
        event_type = self.rng.choice(["thingHappened", "itemAdded", "noteTaken"])
        tags = [f"writer:{self.index}"] + (["crash", f"seq:{self.sequence}"] if self.rng.random() < 0.5 else [])
        data = odd_json(self.rng, nonce, self.index, self.sequence)
        members = ([f'"stream":{json.dumps(stream)}'] if with_stream else []) + [
            f'"id":"{event_id}"', f'"type":"{event_type}"', f'"tags":{json.dumps(tags)}', f'"data":{data}']
        if self.rng.random() < 0.5:
            metadata = '{"source": "crash-loop",  "writer":%d, "nonce":"%s"}' % (self.index, nonce)
            members.append(f'"metadata":{metadata}')
            expected = Expected(stream, event_type, tags, data, metadata=metadata, event_id=event_id)
        else:  # the server fills in correlationId (the X-Request-ID) and actor
            expected = Expected(stream, event_type, tags, data, event_id=event_id,
                                metadata_object={"correlationId": request_id, "actor": self.harness.actor})
        return "{" + ",".join(members) + "}", expected

    def append_one(self):
        if self.rng.random() < 0.03:
            self.new_stream()
        stream = self.rng.choice(list(self.streams))
        request_id = self.request_id()
        texts, events = zip(*(self.raw_event(stream, request_id, False) for _ in range(self.rng.randint(1, 4))))
        revision = self.streams[stream]
        expectation = '"noStream"' if revision is None else str(revision - 1)
        body = '{"expectedRevision":%s,"events":[%s]}' % (expectation, ",".join(texts))
        request = Request("append", f"/v1/streams/{stream}/events", body, {"X-Request-ID": request_id},
                          list(events), self.index)
        receipt = self.send(request)
        if receipt is not None:
            self.streams[stream] = receipt["streamRevisions"][stream] + 1

    def append_many(self):
        streams = self.rng.sample(list(self.streams), 2)
        request_id = self.request_id()
        pairs = [self.raw_event(self.rng.choice(streams), request_id, True) for _ in range(self.rng.randint(2, 5))]
        expectations = {s: ("noStream" if self.streams[s] is None else self.streams[s] - 1) for s in streams}
        body = '{"expectedRevisions":%s,"events":[%s]}' % (
            json.dumps(expectations, separators=COMPACT), ",".join(text for text, _ in pairs))
        request = Request("append", "/v1/events", body, {"X-Request-ID": request_id},
                          [event for _, event in pairs], self.index)
        receipt = self.send(request)
        if receipt is not None:
            for stream, revision in receipt["streamRevisions"].items():
                self.streams[stream] = revision + 1

    def movement(self, command, account, amount):
        body = json.dumps({"account": account, "amount": amount}, separators=COMPACT, sort_keys=True)
        if self.send(self.harness.command_request(command, body, self.request_id(), self.index)) is not None:
            self.accounts[account] += amount if command == "deposit" else -amount

    def transfer(self, source, target, amount):
        body = json.dumps({"from": source, "to": target, "amount": amount}, separators=COMPACT)
        if self.send(self.harness.command_request("transfer", body, self.request_id(), self.index)) is not None:
            self.accounts[source] -= amount
            self.accounts[target] += amount

    def send(self, request):
        """Sends; returns the receipt on 2xx. No answer (or a 503) leaves the request in doubt."""
        harness = self.harness
        harness.registry.register(request)
        try:
            status, payload = self.client.send("POST", request.path, request.body, request.headers)
        except (OSError, http.client.HTTPException):
            harness.registry.mark_in_doubt(request)
            self.failed = True
            return None
        if status in (200, 201):
            receipt = json.loads(payload)
            harness.registry.acknowledge(request, status, receipt)
            return receipt
        if status == 503:  # overloaded or timed out: it may still commit, like a lost answer
            harness.registry.mark_in_doubt(request)
            self.failed = True
            return None
        request.state = "refused"
        harness.violations.add("unexpected-response",
                               f"writer {self.index}: {request.path} answered {status}: {payload[:300]!r}")
        self.failed = True  # resync before going on
        self.generation = -1
        return None


# ----------------------------------------------------------------------------------------------
# The checker


class Checker:
    """Reads the whole log after each restart and holds it to everything acknowledged and sent."""

    def __init__(self, harness):
        self.harness = harness
        self.violations = harness.violations
        self.reset()

    def reset(self):
        self.lines = []
        self.records = []
        self.ids = {}
        self.next_revision = {}
        self.merkle = MerkleRoots()
        self.accounts = {}  # account id → {"balance", "revision", "position"}
        self.statements = {}  # account id → the account-statements entries the log folds to
        self.totals = {"deposits": 0, "withdrawals": 0}
        for request in self.harness.registry.requests:
            request.positions = []

    def export(self):
        result = subprocess.run([self.harness.tally, "export", "--data-dir", self.harness.data_dir],
                                capture_output=True, timeout=600)
        if result.returncode != 0:
            raise ServerFailure(f"tally export failed ({result.returncode}): {result.stderr[-500:]!r}")
        text = result.stdout.decode()
        return text.split("\n")[:-1] if text else []

    def check(self, statements=False):
        """One full check (with every account's statement if `statements`); returns the head."""
        harness, registry = self.harness, self.harness.registry
        lines = self.export()
        known = len(self.lines)
        changed = [p + 1 for p in range(min(known, len(lines))) if lines[p] != self.lines[p]]
        if len(lines) < known:
            self.violations.add("lost", f"the log shrank: head {len(lines)}, {known} events were there before")
        if changed:
            self.violations.add("altered", f"{len(changed)} events changed since the previous check, "
                                           f"first at positions {changed[:5]}")
        with registry.lock:
            acks, registry.pending_acks = registry.pending_acks, []
            checkpoints, registry.pending_checkpoints = registry.pending_checkpoints, []
        if changed or len(lines) < known:
            # Check everything again from position 1, against every acknowledgement so far.
            self.reset()
            acks, checkpoints = harness.all_acks + acks, harness.all_checkpoints + checkpoints
            harness.all_acks, harness.all_checkpoints = [], []
            known = 0
        harness.all_acks.extend(acks)
        harness.all_checkpoints.extend(checkpoints)
        touched = set()
        for line in lines[known:]:
            self.add(line, touched)
        head = len(self.records)
        for request in touched:
            self.check_atomic(request)
        for ack in acks:
            self.check_ack(ack, head)
        for size, root, what in checkpoints:
            if size > head:
                self.violations.add("lost", f"{what}: acknowledged tree size {size}, head is {head}")
            elif self.merkle.roots[size] != root:
                self.violations.add("merkle", f"{what}: acknowledged root at size {size} is {root}, "
                                              f"the log's events give {self.merkle.roots[size]}")
        self.check_status(head)
        self.check_projections(head)
        if statements:
            self.check_statements(head)
        return head

    def add(self, line, touched):
        expected_position = len(self.records) + 1
        try:
            record = Record(line)
        except (ValueError, KeyError) as error:
            self.violations.add("unreadable", f"export line {expected_position}: {error}: {line[:200]!r}")
            return
        self.lines.append(line)
        self.records.append(record)
        if record.position != expected_position:
            self.violations.add("gap", f"export line {expected_position} holds position {record.position}")
        if record.id in self.ids:
            self.violations.add("duplicate", f"id {record.id} at positions {self.ids[record.id]} and {record.position}")
        self.ids[record.id] = record.position
        revision = self.next_revision.get(record.stream, 0)
        if record.revision != revision:
            self.violations.add("revision-gap", f"{record.stream} at position {record.position} has revision "
                                                f"{record.revision}, expected {revision}")
        self.next_revision[record.stream] = record.revision + 1
        self.merkle.append(record.leaf())
        self.match(record, touched)
        self.fold(record)

    def match(self, record, touched):
        """Finds what a writer sent that this event is; anything else is a phantom."""
        registry = self.harness.registry
        found = registry.raw.get(record.id)
        if found is not None:
            request, index = found
        else:
            request = None
            try:
                metadata = json.loads(record.metadata)
                command_id = metadata.get("commandId") if isinstance(metadata, dict) else None
            except ValueError:
                command_id = None
            request = registry.commands.get(command_id) if command_id else None
            if request is None:
                self.violations.add("phantom", f"position {record.position} ({record.stream} {record.type} "
                                               f"{record.id}) matches nothing any writer sent")
                return
            index = len(request.positions)
            if index >= len(request.events):
                self.violations.add("duplicate", f"command {command_id} has an extra event at {record.position}")
                return
        reason = request.events[index].mismatch(record)
        if reason:
            self.violations.add("altered", f"position {record.position} ({record.id}): {reason}")
        request.positions.append(record.position)
        touched.add(request)

    def read_back(self):
        """Reads the whole log again over HTTP (`GET /v1/events` pages): it must equal the export byte for byte."""
        position, client = 0, self.harness.client
        while True:
            status, payload = client.send("GET", f"/v1/events?after={position}&limit=1000")
            if status != 200:
                raise ServerFailure(f"GET /v1/events?after={position}: {status} {payload[:300]!r}")
            values, spans = members_with_spans(payload.decode())
            events = elements_with_spans(spans["events"])
            for text in events:
                position += 1
                if position > len(self.lines) or text != self.lines[position - 1]:
                    self.violations.add("read-mismatch", f"GET /v1/events at position {position} differs from the "
                                                         f"export: {text[:160]!r}")
                    return position
            if not events or values.get("next") is None:
                break
        if position != len(self.lines):
            self.violations.add("read-mismatch", f"GET /v1/events ends at {position}, the export at {len(self.lines)}")
        return position

    def check_atomic(self, request):
        positions = sorted(request.positions)
        if len(positions) != len(request.events):
            self.violations.add("torn", f"{request.kind} {request.key}: {len(positions)} of "
                                        f"{len(request.events)} events in the log ({positions})")
        elif positions != list(range(positions[0], positions[0] + len(positions))):
            self.violations.add("torn", f"{request.kind} {request.key}: events not contiguous: {positions}")

    def check_ack(self, ack, head):
        if ack.position > head:
            self.violations.add("lost", f"acknowledged event {ack.id} at position {ack.position}: head is {head}")
            return
        record = self.records[ack.position - 1]
        found = (record.id, record.stream, record.revision, record.recorded_at)
        acknowledged = (ack.id, ack.stream, ack.revision, ack.recorded_at)
        if found != acknowledged:
            where = self.ids.get(ack.id)
            self.violations.add("moved", f"position {ack.position} acknowledged as {acknowledged}, "
                                         f"holds {found}; the id is at {where}")

    def fold(self, record):
        if not record.stream.startswith("account-"):
            return
        data = json.loads(record.data)
        account = self.accounts.setdefault(data["account"], {"balance": 0})
        amount = data.get("amount", 0)
        delta = {"deposited": amount, "withdrawn": -amount, "transferDebited": -amount,
                 "transferCredited": amount}.get(record.type, 0)
        account["balance"] += delta
        account["revision"], account["position"] = record.revision, record.position
        kind = {"deposited": "deposit", "withdrawn": "withdrawal", "transferDebited": "transferOut",
                "transferCredited": "transferIn"}.get(record.type)
        if kind is not None:
            self.statements.setdefault(data["account"], []).append({
                "account": data["account"], "revision": record.revision, "position": record.position,
                "recordedAt": record.recorded_at, "kind": kind, "amount": delta,
                "balanceAfter": account["balance"], "counterparty": data.get("counterparty")})
        if record.type == "deposited":
            self.totals["deposits"] += amount
        elif record.type == "withdrawn":
            self.totals["withdrawals"] += amount

    def check_statements(self, head):
        """The async account-statements read model: every account's entries, as the log folds them."""
        client = self.harness.client
        for account in sorted(self.accounts):
            found, path = [], f"/v1/projections/account-statements?prefix={account}:&limit=1000&minPosition={head}"
            while path:
                page = client.json(path)
                found.extend(document["value"] for document in page["documents"])
                path = page.get("next")
            folded = self.statements.get(account, [])
            if found != folded:
                first = next((i for i, (a, b) in enumerate(zip(found, folded)) if a != b), min(len(found), len(folded)))
                self.violations.add("projection", f"account-statements/{account}: {len(found)} entries, the log folds "
                                                  f"to {len(folded)}; first difference at entry {first}: "
                                                  f"{found[first] if first < len(found) else None} vs "
                                                  f"{folded[first] if first < len(folded) else None}")

    def check_status(self, head):
        harness = self.harness
        result = subprocess.run([harness.tally, "status", "--data-dir", harness.data_dir, "--output", "json"],
                                capture_output=True, timeout=120)
        if result.returncode != 0:
            raise ServerFailure(f"tally status failed ({result.returncode}): {result.stderr[-500:]!r}")
        status = json.loads(result.stdout)
        harness.status_root = status.get("merkleRoot")
        if status.get("events") != head:
            self.violations.add("lost", f"tally status reports {status.get('events')} events, the export {head}")
        elif status.get("merkleRoot") != self.merkle.roots[head]:
            self.violations.add("merkle", f"tally status root {status.get('merkleRoot')} at size {head}; "
                                          f"a replay of the export gives {self.merkle.roots[head]}")

    def check_projections(self, head):
        client = self.harness.client
        for account, folded in sorted(self.accounts.items()):
            document = client.json(f"/v1/projections/account-balances/{account}?minPosition={head}")["value"]
            found = {key: document.get(key) for key in ("balance", "revision", "position")}
            if found != folded:
                self.violations.add("projection", f"account-balances/{account} is {found}; the log folds to {folded}")
        if self.accounts:
            document = client.json(f"/v1/projections/trial-balance/EUR?minPosition={head}")["value"]
            folded = dict(self.totals, balances=sum(a["balance"] for a in self.accounts.values()),
                          accounts=len(self.accounts))
            found = {key: document.get(key) for key in folded}
            if found != folded:
                self.violations.add("projection", f"trial-balance/EUR is {found}; the log folds to {folded}")


# ----------------------------------------------------------------------------------------------
# The loop


class Harness:
    def __init__(self, options, fault=None):
        self.options = options
        self.fault = fault
        self.tally = os.path.abspath(options.tally)
        self.seed = options.seed
        self.rng = random.Random(self.seed)
        self.scratch = options.scratch or tempfile.mkdtemp(prefix="tally-crash-")
        os.makedirs(self.scratch, exist_ok=True)
        self.data_dir = os.path.join(self.scratch, "data")
        self.port = free_port()
        self.server = Server(self.tally, self.data_dir, self.port, os.path.join(self.scratch, "serve.log"))
        self.violations = Violations()
        self.registry = Registry(self.violations)
        self.all_acks, self.all_checkpoints = [], []
        self.restarts = []
        self.retries = {"replayed": 0, "fresh": 0}
        self.in_doubt_total = 0
        self.in_doubt_committed = 0
        self.kills = 0
        self.startup_kills = 0
        self.status_root = None
        self.token = self.actor = self.client = self.gate = None
        self.checker = None
        self.log = print if options.verbose else (lambda *a, **k: None)

    def account_id(self, writer, name):
        return f"w{writer:02d}-{name}"

    def command_request(self, command, body, request_id, writer):
        """A ledger command with a UUID Idempotency-Key (which is then its commandId)."""
        command_id = str(uuid.uuid4())
        fields = json.loads(body)
        metadata = {"actor": self.actor, "commandId": command_id, "commandType": command, "correlationId": request_id}

        def event(account, event_type, data):
            return Expected(f"account-{account}", event_type, [f"account:{account}"],
                            json.dumps(data, separators=COMPACT, sort_keys=True), metadata_object=metadata)

        if command == "openAccount":
            events = [event(fields["id"], "accountOpened", {"account": fields["id"], "currency": fields["currency"],
                                                            "overdraftLimit": 0, "owner": fields["owner"]})]
        elif command == "transfer":
            amount = fields["amount"]
            events = [event(fields["from"], "transferDebited",
                            {"account": fields["from"], "amount": amount, "counterparty": fields["to"]}),
                      event(fields["to"], "transferCredited",
                            {"account": fields["to"], "amount": amount, "counterparty": fields["from"]})]
        else:
            events = [event(fields["account"], {"deposit": "deposited", "withdraw": "withdrawn"}[command],
                            {"account": fields["account"], "amount": fields["amount"]})]
        headers = {"X-Request-ID": request_id, "Idempotency-Key": command_id}
        return Request("command", f"/v1/commands/{command}", body, headers, events, writer, command_id)

    def run(self):
        options = self.options
        check_format_vectors()
        if not os.access(self.tally, os.X_OK):
            raise HarnessError(f"no tally binary at {self.tally} (build it: swift build -c release, or pass --tally)")
        if os.path.exists(self.data_dir):
            raise HarnessError(f"{self.data_dir} exists: the checker must know every event, so start from nothing")
        self.log(f"crash-loop: seed {self.seed}, {self.tally}, port {self.port}, work directory {self.scratch}",
                 file=sys.stderr, flush=True)
        started = time.monotonic()
        self.gate = Gate(options.writers)
        self.checker = Checker(self)
        try:
            self.restarts.append(self.server.start())
            self.token = open(os.path.join(self.data_dir, "admin.key")).read().strip()
            self.actor = "key:" + self.token.split("_")[1]
            self.client = Client(self.port, self.token)
            self.open_accounts()
            for writer in [Writer(i, self) for i in range(options.writers)]:
                writer.start()
            for kill in range(1, options.kills + 1):
                self.cycle(kill)
                if self.violations.count() and options.stop_on_violation:
                    break
            self.violations.cycle = options.kills + 1
            head = self.checker.check(statements=True)  # the last retries, and a final look
            self.checker.read_back()
            self.replay(head)
        except (ServerFailure, OSError, http.client.HTTPException) as error:
            if not self.restarts:
                raise HarnessError(f"the first start failed: {error}") from error
            self.violations.add("server-failure", f"{error!r} (the run stops here)")
        finally:
            self.gate.stop()
            self.server.stop()
        return self.summary(time.monotonic() - started)

    def open_accounts(self):
        for writer in range(self.options.writers):
            for name in ("x", "y"):
                account = self.account_id(writer, name)
                body = json.dumps({"id": account, "owner": f"Writer {writer}", "currency": "EUR"}, separators=COMPACT)
                request = self.command_request("openAccount", body, f"cl-open-{account}", None)
                self.registry.register(request)
                status, payload = self.client.send("POST", request.path, request.body, request.headers)
                if status != 201:
                    raise HarnessError(f"openAccount {account}: {status} {payload[:300]!r}")
                self.registry.acknowledge(request, status, json.loads(payload))

    def cycle(self, kill):
        options, registry = self.options, self.registry
        self.violations.cycle = kill
        before = (registry.acked_requests, len(self.checker.records))
        load = self.rng.uniform(options.min_load, options.max_load)
        self.gate.reopen()
        time.sleep(load)
        self.server.kill()
        self.kills += 1
        self.gate.close()
        self.gate.wait_parked(timeout=60)
        self.inject("killed", kill)
        if self.rng.random() < options.startup_kills:
            # Also crash while it opens the log (reader check, Merkle frontier, projections).
            self.server.spawn()
            time.sleep(self.rng.uniform(0.0, 0.08))
            self.server.kill()
            self.startup_kills += 1
        restart = self.server.start()
        self.restarts.append(restart)
        if restart > options.max_restart:
            self.violations.add("slow-restart", f"restart took {restart:.3f} s (limit {options.max_restart} s)")
        self.client.close()
        self.inject("restarted", kill)
        check_started = time.monotonic()
        head = self.checker.check(statements=kill % 20 == 0)
        in_doubt, committed, replayed, fresh = self.settle_in_doubt()
        self.log(f"kill {kill}/{options.kills}: load {load * 1000:.0f} ms, acked {registry.acked_requests - before[0]} "
                 f"requests, head {head} (+{head - before[1]}), in doubt {in_doubt} (committed {committed}), "
                 f"retried {replayed + fresh} (replayed {replayed}), restart {restart:.3f} s, "
                 f"check {time.monotonic() - check_started:.2f} s, violations {self.violations.count()}",
                 file=sys.stderr, flush=True)

    def settle_in_doubt(self):
        """Sorts the requests left without an answer into committed or not; retries some of them."""
        registry, checker = self.registry, self.checker
        with registry.lock:
            in_doubt, registry.in_doubt = registry.in_doubt, []
        committed = replayed = fresh = 0
        for request in in_doubt:
            was_committed = len(request.positions) == len(request.events)
            committed += was_committed
            self.in_doubt_committed += was_committed
            if self.rng.random() >= self.options.retry_fraction:
                request.state = "abandoned"
                continue
            status, payload = self.client.send("POST", request.path, request.body, request.headers)
            what = f"retry of {request.kind} {request.key}"
            if status not in (200, 201):
                self.violations.add("retry", f"{what} (committed: {was_committed}) answered {status}: {payload[:300]!r}")
                continue
            receipt = json.loads(payload)
            registry.acknowledge(request, status, receipt, replay_expected=was_committed)
            if was_committed:
                replayed += 1
                positions = sorted(event["position"] for event in receipt["events"])
                if positions != sorted(request.positions):
                    self.violations.add("retry", f"{what}: replayed receipt says positions {positions}, "
                                                 f"the log holds it at {sorted(request.positions)}")
            else:
                fresh += 1
            request.retried = status
        self.in_doubt_total += len(in_doubt)
        self.retries["replayed"] += replayed
        self.retries["fresh"] += fresh
        return len(in_doubt), committed, replayed, fresh

    def inject(self, moment, kill):
        """Self-test faults: break something the checker must then report."""
        if self.fault is None or kill != 2:
            if self.fault == "rollback" and moment == "restarted" and kill == 1:
                self.tally_run("backup", os.path.join(self.scratch, "backup"), "--data-dir", self.data_dir)
            return
        if self.fault in ("flip", "flip-checked") and moment == "killed":
            # Change one byte of an acknowledged event's data in data.mdb (LMDB keeps no checksums):
            # an event acknowledged since the last check, or one an earlier check already passed.
            with self.registry.lock:
                acks = [a for a in self.registry.pending_acks if a.request.kind == "append"]
            if self.fault == "flip-checked" or not acks:
                acks = [a for a in self.all_acks if a.request.kind == "append"]
            target = self.rng.choice(acks)
            expected = self.registry.raw[target.id][0].events[self.registry.raw[target.id][1]]
            nonce = next(part for part in expected.data.replace('"', " ").split() if len(part) == 16 and
                         all(c in "0123456789abcdef" for c in part))
            path = os.path.join(self.data_dir, "data.mdb")
            content = bytearray(open(path, "rb").read())
            flipped = ("f" if nonce[0] != "f" else "e") + nonce[1:]
            start, hits = 0, 0
            while (start := content.find(nonce.encode(), start)) >= 0:
                content[start:start + 16] = flipped.encode()
                hits += 1
            with open(path, "r+b") as file:
                file.write(content)
            self.log(f"self-test: flipped nonce {nonce} of event {target.id} ({hits} copies in data.mdb)", file=sys.stderr)
        elif self.fault == "rollback" and moment == "killed":
            # Put back the backup taken after the first restart: acknowledged events disappear.
            shutil.move(self.data_dir, self.data_dir + ".before-rollback")
            self.tally_run("restore", os.path.join(self.scratch, "backup"), "--data-dir", self.data_dir)
            shutil.copy(os.path.join(self.data_dir + ".before-rollback", "admin.key"), self.data_dir)
            self.log("self-test: restored the data directory from the backup of cycle 1", file=sys.stderr)
        elif self.fault == "phantom" and moment == "restarted":
            # An event no writer sent (the registry never hears of it).
            body = '{"events":[{"type":"rogue","data":{"from":"nobody"}}]}'
            status, _ = self.client.send("POST", "/v1/streams/rogue-1/events", body)
            self.log(f"self-test: appended an unregistered event ({status})", file=sys.stderr)
        elif self.fault == "tamper" and moment == "restarted":
            # The harness's record of one acknowledged position is moved by one.
            with self.registry.lock:
                ack = self.rng.choice(self.registry.pending_acks)
                ack.position += 1
            self.log(f"self-test: moved the acknowledged position of {ack.id}", file=sys.stderr)

    def tally_run(self, *arguments):
        result = subprocess.run([self.tally, *arguments], capture_output=True, timeout=600)
        if result.returncode != 0:
            raise HarnessError(f"tally {' '.join(arguments)} failed ({result.returncode}): {result.stderr[-500:]!r}")
        return result

    def replay(self, head):
        """If this tally has `import`: export, then import into a fresh directory expecting the root."""
        help_text = subprocess.run([self.tally, "--help"], capture_output=True, text=True).stdout
        if "\n  import " not in help_text:
            self.replay_result = "skipped: this tally has no import (the root was recomputed from the export instead)"
            return
        export_path = os.path.join(self.scratch, "events.ndjson")
        with open(export_path, "wb") as file:
            subprocess.run([self.tally, "export", "--data-dir", self.data_dir], stdout=file, check=True, timeout=600)
        fresh = os.path.join(self.scratch, "replay")
        root = self.checker.merkle.roots[head]
        result = subprocess.run([self.tally, "import", export_path, "--data-dir", fresh, "--expect-root", root],
                                capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            self.violations.add("merkle", f"tally import --expect-root {root} failed ({result.returncode}): "
                                          f"{result.stderr.strip()[-300:]}")
            self.replay_result = "failed"
        else:
            self.replay_result = f"ok: {head} events imported into a fresh directory with root {root}"

    def summary(self, elapsed):
        registry, checker = self.registry, self.checker
        times = sorted(self.restarts[1:]) or [0.0]
        log_ids = set(checker.ids)
        acked_in_log = len(registry.acked_ids & log_ids)
        return {
            "seed": self.seed,
            "tally": self.tally,
            "kills": self.kills,
            "startupKills": self.startup_kills,
            "writers": self.options.writers,
            "acknowledgedRequests": registry.acked_requests,
            "acknowledgedEvents": len(registry.acked_ids),
            "committedUnacknowledgedEvents": len(log_ids) - acked_in_log,
            "inDoubtRequests": self.in_doubt_total,
            "inDoubtCommitted": self.in_doubt_committed,
            "retriesReplayed": self.retries["replayed"],
            "retriesFresh": self.retries["fresh"],
            "head": len(checker.records),
            "streams": len(checker.next_revision),
            "merkleRoot": checker.merkle.roots[len(checker.records)],
            "replay": getattr(self, "replay_result", "not run"),
            "restartSeconds": {
                "first": round(self.restarts[0], 3),
                "median": round(statistics.median(times), 3),
                "p99": round(times[min(len(times) - 1, -(-99 * len(times) // 100) - 1)], 3),
                "max": round(times[-1], 3),
                "limit": self.options.max_restart,
            },
            "elapsedSeconds": round(elapsed, 1),
            "violations": self.violations.count(),
            "violationKinds": self.violations.kinds(),
            "firstViolations": [f"cycle {c}: {k}: {m}" for c, k, m in self.violations.items[:20]],
            "scratch": self.scratch,
        }


def print_summary(summary, stream=sys.stdout):
    restart = summary["restartSeconds"]
    print(f"crash-loop: seed {summary['seed']}, {summary['kills']} kills under load (+{summary['startupKills']} "
          f"during start-up), {summary['writers']} writers, {summary['elapsedSeconds']} s", file=stream)
    print(f"  acknowledged:            {summary['acknowledgedRequests']} requests, {summary['acknowledgedEvents']} events",
          file=stream)
    print(f"  committed, unacknowledged: {summary['committedUnacknowledgedEvents']} events "
          f"({summary['inDoubtRequests']} requests in doubt at a kill, {summary['inDoubtCommitted']} of them committed)",
          file=stream)
    print(f"  retried after restart:   {summary['retriesReplayed']} replayed the committed receipt, "
          f"{summary['retriesFresh']} committed once", file=stream)
    print(f"  log:                     head {summary['head']}, {summary['streams']} streams, root {summary['merkleRoot']}",
          file=stream)
    print(f"  replay (import):         {summary['replay']}", file=stream)
    print(f"  restart (start → ready): median {restart['median']} s, p99 {restart['p99']} s, max {restart['max']} s "
          f"(limit {restart['limit']} s; first start {restart['first']} s)", file=stream)
    kinds = f" {summary['violationKinds']}" if summary["violationKinds"] else ""
    print(f"  violations:              {summary['violations']}{kinds}", file=stream)
    for line in summary["firstViolations"]:
        print(f"    {line}", file=stream)


SELF_TEST_FAULTS = {
    "flip": ({"altered", "merkle"}, "one byte of an acknowledged event's data changed in data.mdb while the server is down"),
    "flip-checked": ({"altered", "merkle"}, "the same, to an event an earlier check had already passed"),
    "rollback": ({"lost"}, "the data directory put back to an earlier backup (acknowledged events gone)"),
    "phantom": ({"phantom"}, "an event appended that no writer sent"),
    "tamper": ({"moved"}, "the harness's record of an acknowledged position moved by one"),
}


def self_test(options):
    """Runs a clean short loop, then one per fault; each fault must be reported, the clean run must not."""
    check_format_vectors()
    print("self-test: Merkle code matches the docs/FORMAT.md test vectors", file=sys.stderr)
    failures = 0
    for fault in [None, *SELF_TEST_FAULTS]:
        run_options = argparse.Namespace(**vars(options))
        run_options.kills, run_options.writers, run_options.scratch = 3, min(options.writers, 4), None
        run_options.stop_on_violation = False
        harness = Harness(run_options, fault)
        try:
            summary = harness.run()
        except HarnessError as error:
            print(f"self-test {fault}: harness error: {error}", file=sys.stderr)
            failures += 1
            continue
        kinds = set(summary["violationKinds"])
        if fault is None:
            ok = not kinds
            print(f"self-test clean run: {'PASS' if ok else 'FAIL'} (violations {sorted(kinds)})", file=sys.stderr)
        else:
            wanted, description = SELF_TEST_FAULTS[fault]
            ok = wanted <= kinds
            print(f"self-test {fault} ({description}): {'PASS' if ok else 'FAIL'}: reported {sorted(kinds)}, "
                  f"must include {sorted(wanted)}", file=sys.stderr)
            if ok:
                for line in summary["firstViolations"][:3]:
                    print(f"    {line}", file=sys.stderr)
        failures += not ok
        if ok:
            shutil.rmtree(harness.scratch, ignore_errors=True)
        else:
            print(f"    kept {harness.scratch}", file=sys.stderr)
    print(f"self-test: {'PASS' if not failures else f'{failures} FAILED'}", file=sys.stderr)
    return 0 if not failures else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--tally", default=".build/release/tally", help="the tally binary (default: %(default)s)")
    parser.add_argument("--kills", type=int, default=200, help="SIGKILLs to deliver (default: %(default)s)")
    parser.add_argument("--writers", type=int, default=16, help="concurrent writer threads (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    parser.add_argument("--min-load", type=float, default=0.05, help="least seconds of load before a kill")
    parser.add_argument("--max-load", type=float, default=0.5, help="most seconds of load before a kill")
    parser.add_argument("--startup-kills", type=float, default=0.1,
                        help="share of restarts first killed again 0-80 ms into start-up (default: %(default)s)")
    parser.add_argument("--retry-fraction", type=float, default=0.5,
                        help="share of unanswered requests resent after the restart (default: %(default)s)")
    parser.add_argument("--max-restart", type=float, default=2.0,
                        help="seconds a restart may take, start to /health/ready (default: %(default)s)")
    parser.add_argument("--scratch", help="work directory (default: a new one under $TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory even if all is well")
    parser.add_argument("--stop-on-violation", action="store_true", help="stop at the first cycle with a violation")
    parser.add_argument("--verbose", "-v", action="store_true", help="one line per kill on stderr")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--self-test", action="store_true",
                        help="prove the checker: inject faults (flip, flip-checked, rollback, phantom, tamper) and expect reports")
    options = parser.parse_args()
    if options.seed is None:
        options.seed = random.randrange(1 << 31)
    if options.writers < 1 or options.kills < 0:
        parser.error("--writers must be at least 1 and --kills at least 0")
    random.seed(options.seed)
    if options.self_test:
        try:
            return self_test(options)
        except HarnessError as error:
            print(f"crash-loop: {error}", file=sys.stderr)
            return 2
    harness = Harness(options)
    try:
        summary = harness.run()
    except HarnessError as error:
        print(f"crash-loop: {error}", file=sys.stderr)
        started = os.path.exists(harness.data_dir) or os.path.exists(harness.server.log_path)
        if options.scratch is None and not started:
            shutil.rmtree(harness.scratch, ignore_errors=True)
        else:
            print(f"crash-loop: work directory kept: {harness.scratch} (seed {options.seed})", file=sys.stderr)
        return 2
    if options.json:
        print(json.dumps(summary, indent=2))
    else:
        print_summary(summary)
    failed = summary["violations"] > 0
    if failed or options.keep:
        print(f"crash-loop: work directory kept: {harness.scratch} (seed {options.seed})", file=sys.stderr)
    else:
        shutil.rmtree(harness.scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Load-and-soak harness: sustained mixed load on a real `tally serve`, memory and latency over time.

    tools/soak.py [--tally PATH] [--seconds 600] [--interval 30] [--json]

Starts `tally serve` (default `.build/release/tally`) on a fresh data directory on loopback and
keeps, for `--seconds`, every kind of traffic going at once, each client on its own keep-alive
connection:

  - command clients: `deposit` and `transfer` commands between accounts each owns (so none is
    ever refused), every one with a UUID Idempotency-Key; one in ten is then sent again with the
    same key and must answer 200 with `replayed: true` and the same positions;
  - append clients: raw appends to streams each owns (with `expectedRevision`, a new stream every
    200 appends), one in five over two streams at once (`POST /v1/events`);
  - read clients: pages of the log (`GET /v1/events?after=`), of one stream, of one event type, and
    projection queries (an account's balance and statement, the trial balance);
  - live subscribers: `GET /v1/events/live` as NDJSON from the start of the log; each checks that
    positions arrive one after another without a gap, and reconnects every 10-40 s (`after=` its
    last position), so subscriptions keep being opened and closed.

Every `--interval` seconds it samples the server's memory from /proc/<pid>/status — RssAnon (heap
and stacks: what a leak grows), RssFile (pages of data.mdb mapped in: grows with the log, as the OS
may drop them at will) — its threads and open descriptors, the log's head and size, and each kind's
request count, p50 and p99 latency in that interval, and prints one row. The verdict:

  - no errors: every request answered 2xx as expected, every retry replayed, no subscription gap,
    every subscriber caught up with the head at the end, the server stopped cleanly on SIGTERM;
  - memory plateaus: RssAnon over the second half of the run grew by at most --max-growth-mib
    (default 8 MiB) from the median of the samples around the half-way mark to the median of the
    last three samples.

Python 3 standard library only. Exit status: 0 if the verdict is PASS, 1 if not, 2 if the harness
itself could not run.
"""

import argparse
import http.client
import importlib.util
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

TOOLS = os.path.dirname(os.path.abspath(__file__))
COMPACT = (",", ":")
KINDS = ("command", "retry", "append", "read", "query")


def load_crash_loop():
    """tools/crash-loop.py as a module, for its HTTP client and server handling."""
    spec = importlib.util.spec_from_file_location("crash_loop", os.path.join(TOOLS, "crash-loop.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


crash_loop = load_crash_loop()


class Soak:
    """The shared state of one run: the server, the clients' figures and errors."""

    def __init__(self, options):
        self.options = options
        self.tally = os.path.abspath(options.tally)
        self.scratch = tempfile.mkdtemp(prefix="tally-soak-")
        self.data_dir = os.path.join(self.scratch, "data")
        self.port = crash_loop.free_port()
        self.server = crash_loop.Server(self.tally, self.data_dir, self.port, os.path.join(self.scratch, "serve.log"))
        self.lock = threading.Lock()
        self.latencies = {kind: [] for kind in KINDS}
        self.errors = []
        self.head = 0
        self.streams = []  # every raw stream made so far, for readers
        self.stopping = threading.Event()
        self.token = None
        self.rng = random.Random(options.seed)

    # -- shared figures ----------------------------------------------------------------------------

    def record(self, kind, seconds, positions=()):
        with self.lock:
            self.latencies[kind].append(seconds)
            if positions:
                self.head = max(self.head, max(positions))

    def error(self, message):
        with self.lock:
            self.errors.append(f"{time.monotonic() - self.started:.1f}s {message}")

    def take_latencies(self):
        with self.lock:
            taken = self.latencies
            self.latencies = {kind: [] for kind in KINDS}
            return taken

    # -- clients -----------------------------------------------------------------------------------

    def client(self):
        return crash_loop.Client(self.port, self.token, timeout=60)

    def timed(self, client, kind, method, path, body=None, headers=None, expect=(200, 201)):
        """Sends one request; records its latency; returns the parsed answer, or None after an error."""
        started = time.monotonic()
        try:
            status, payload = client.send(method, path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            self.error(f"{kind} {method} {path}: {error!r}")
            return None
        elapsed = time.monotonic() - started
        if status not in expect:
            self.error(f"{kind} {method} {path}: {status} {payload[:200]!r}")
            return None
        answer = json.loads(payload)
        positions = [event["position"] for event in answer.get("events", []) if "position" in event] \
            if method == "POST" else ()
        self.record(kind, elapsed, positions)
        return answer, status

    def commands(self, index):
        """Deposits and transfers between this client's own two accounts; one in ten retried."""
        rng, client = random.Random(self.options.seed * 100 + index), self.client()
        accounts = {f"soak-c{index}-{name}": 0 for name in ("x", "y")}
        for account in accounts:
            body = json.dumps({"id": account, "owner": f"Soak {index}", "currency": "EUR"}, separators=COMPACT)
            self.timed(client, "command", "POST", "/v1/commands/openAccount", body,
                       {"Idempotency-Key": str(uuid.uuid4())})
        while not self.stopping.is_set():
            source, target = rng.sample(sorted(accounts), 2)
            if rng.random() < 0.5 or accounts[source] == 0:
                command, fields = "deposit", {"account": source, "amount": rng.randint(1, 10_000)}
            else:
                command, fields = "transfer", {"from": source, "to": target, "amount": rng.randint(1, accounts[source])}
            body = json.dumps(fields, separators=COMPACT)
            headers = {"Idempotency-Key": str(uuid.uuid4()), "X-Request-ID": f"soak-c{index}-{uuid.uuid4().hex[:8]}"}
            result = self.timed(client, "command", "POST", f"/v1/commands/{command}", body, headers)
            if result is None:
                continue
            if command == "deposit":
                accounts[source] += fields["amount"]
            else:
                accounts[source] -= fields["amount"]
                accounts[target] += fields["amount"]
            if rng.random() < 0.1:
                again = self.timed(client, "retry", "POST", f"/v1/commands/{command}", body, headers, expect=(200,))
                if again is not None:
                    first = [event["position"] for event in result[0]["events"]]
                    if again[0].get("replayed") is not True or [e["position"] for e in again[0]["events"]] != first:
                        self.error(f"retry of {headers['Idempotency-Key']}: {json.dumps(again[0])[:200]}")

    def appends(self, index):
        """Raw appends with expectedRevision to this client's own streams; a new stream every 200."""
        rng, client = random.Random(self.options.seed * 100 + 50 + index), self.client()
        revisions, count = {}, 0
        while not self.stopping.is_set():
            if count % 200 == 0:
                stream = f"soak-a{index}-{count // 200}"
                revisions = dict(list(revisions.items())[-1:]) | {stream: None}
            count += 1
            events = lambda stream, n: [  # noqa: E731 — small event bodies with a random payload
                {"type": rng.choice(["itemAdded", "noteTaken"]), "tags": [f"soak:{index}"],
                 "data": {"n": count, "text": "x" * rng.choice([10, 100, 1000])},
                 **({"stream": stream} if n else {})} for _ in range(rng.randint(1, 3))]
            if len(revisions) == 2 and rng.random() < 0.2:
                first, second = revisions
                expected = {s: ("noStream" if r is None else r) for s, r in revisions.items()}
                body = json.dumps({"expectedRevisions": expected, "events": events(first, 1) + events(second, 1)},
                                  separators=COMPACT)
                result = self.timed(client, "append", "POST", "/v1/events", body)
            else:
                stream = list(revisions)[-1]
                revision = revisions[stream]
                body = json.dumps({"expectedRevision": "noStream" if revision is None else revision,
                                   "events": events(stream, 0)}, separators=COMPACT)
                result = self.timed(client, "append", "POST", f"/v1/streams/{stream}/events", body)
            if result is not None:
                created = [s for s in result[0]["streamRevisions"] if revisions.get(s) is None]
                revisions.update(result[0]["streamRevisions"])
                with self.lock:
                    self.streams.extend(created)  # readers may read it now that it has events
            else:
                # Resynchronise after an error (already counted) rather than fail every next append.
                for stream in revisions:
                    status, payload = client.send("GET", f"/v1/streams/{stream}/events?direction=backward&limit=1")
                    revisions[stream] = json.loads(payload)["headRevision"] if status == 200 else None

    def reads(self, index):
        """Log pages, stream pages, type pages and projection queries, at random."""
        rng, client = random.Random(self.options.seed * 100 + 80 + index), self.client()
        while not self.stopping.is_set():
            with self.lock:
                head, streams = self.head, self.streams[-20:]
            roll = rng.random()
            if roll < 0.3:
                self.timed(client, "read", "GET", f"/v1/events?after={rng.randint(0, max(0, head - 1))}&limit=100")
            elif roll < 0.45 and streams:
                self.timed(client, "read", "GET", f"/v1/streams/{rng.choice(streams)}/events?limit=50")
            elif roll < 0.55:
                self.timed(client, "read", "GET", f"/v1/events?type=deposited&after={rng.randint(0, max(0, head - 1))}&limit=50")
            else:
                account = f"soak-c{rng.randrange(self.options.command_clients)}-{rng.choice('xy')}"
                path = rng.choice([f"/v1/projections/account-balances/{account}",
                                   f"/v1/projections/account-statements?prefix={account}:&limit=50",
                                   "/v1/projections/trial-balance/EUR"])
                self.timed(client, "query", "GET", path, expect=(200, 404))  # 404: not opened yet

    def subscribe(self, index, state):
        """Follows /v1/events/live; positions must come one after another; reconnects now and then."""
        rng = random.Random(self.options.seed * 100 + 90 + index)
        while not self.stopping.is_set() or state["last"] < state.get("target", float("inf")):
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            state["connection"] = connection
            try:
                connection.request("GET", f"/v1/events/live?after={state['last']}",
                                   headers={"Authorization": f"Bearer {self.token}",
                                            "Accept": "application/x-ndjson"})
                response = connection.getresponse()
                if response.status != 200:
                    self.error(f"subscription {index}: {response.status} {response.read()[:200]!r}")
                    time.sleep(1)
                    continue
                state["connections"] += 1
                until = time.monotonic() + rng.uniform(10, 40)
                while time.monotonic() < until and not (self.stopping.is_set() and
                                                         state["last"] >= state.get("target", float("inf"))):
                    line = response.readline()
                    if not line:
                        if not self.stopping.is_set():  # at the end the harness itself ends it
                            self.error(f"subscription {index}: the server ended the stream")
                        break
                    if line == b"\n":
                        continue  # heartbeat
                    position = json.loads(line)["position"]
                    if position != state["last"] + 1:
                        self.error(f"subscription {index}: position {position} after {state['last']}")
                    state["last"] = position
                    state["events"] += 1
            except (OSError, http.client.HTTPException, ValueError) as error:
                if not self.stopping.is_set():
                    self.error(f"subscription {index}: {error!r}")
            finally:
                connection.close()

    # -- sampling ----------------------------------------------------------------------------------

    def sample(self, subscribers):
        pid = self.server.process.pid
        fields = {}
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                fields[key] = value.split()
        descriptors = len(os.listdir(f"/proc/{pid}/fd"))
        latencies = self.take_latencies()
        with self.lock:
            head = self.head
        row = {
            "t": round(time.monotonic() - self.started, 1),
            "rssAnonMiB": round(int(fields["RssAnon"][0]) / 1024, 1),
            "rssFileMiB": round(int(fields["RssFile"][0]) / 1024, 1),
            "hwmMiB": round(int(fields["VmHWM"][0]) / 1024, 1),
            "threads": int(fields["Threads"][0]),
            "fds": descriptors,
            "head": head,
            "logMiB": round(os.path.getsize(os.path.join(self.data_dir, "data.mdb")) / 1048576, 1),
            "subscriberLag": max(0, max(head - state["last"] for state in subscribers)) if subscribers else 0,
            "errors": len(self.errors),
        }
        for kind, values in latencies.items():
            values.sort()
            row[kind] = {"n": len(values),
                         "p50": round(values[len(values) // 2] * 1000, 1) if values else None,
                         "p99": round(values[min(len(values) - 1, len(values) * 99 // 100)] * 1000, 1) if values else None}
        return row

    # -- the run -----------------------------------------------------------------------------------

    def run(self):
        options = self.options
        if not os.access(self.tally, os.X_OK):
            raise crash_loop.HarnessError(f"no tally binary at {self.tally} (swift build -c release, or --tally)")
        self.started = time.monotonic()
        self.server.start()
        self.token = open(os.path.join(self.data_dir, "admin.key")).read().strip()
        subscribers = [{"last": 0, "events": 0, "connections": 0} for _ in range(options.subscribers)]
        threads = [threading.Thread(target=self.commands, args=(i,), daemon=True)
                   for i in range(options.command_clients)]
        threads += [threading.Thread(target=self.appends, args=(i,), daemon=True) for i in range(options.append_clients)]
        threads += [threading.Thread(target=self.reads, args=(i,), daemon=True) for i in range(options.read_clients)]
        listeners = [threading.Thread(target=self.subscribe, args=(i, state), daemon=True)
                     for i, state in enumerate(subscribers)]
        for thread in threads + listeners:
            thread.start()
        rows = []
        print_header()
        deadline = self.started + options.seconds
        next_sample = self.started + options.interval
        while True:
            time.sleep(max(0.0, min(next_sample, deadline) - time.monotonic()))
            rows.append(self.sample(subscribers))
            print_row(rows[-1])
            if time.monotonic() >= deadline - 0.5:
                break
            next_sample += options.interval
        self.stopping.set()
        for thread in threads:
            thread.join(timeout=120)
        with self.lock:
            final_head = self.head
        for state in subscribers:
            state["target"] = final_head
        caught_up_by = time.monotonic() + 60
        while time.monotonic() < caught_up_by and any(state["last"] < final_head for state in subscribers):
            time.sleep(0.05)
        for index, state in enumerate(subscribers):
            if state["last"] < final_head:
                self.error(f"subscription {index} reached {state['last']} of {final_head} within 60 s of the end")
            # A caught-up subscriber waits in readline for an event that will not come: end it.
            connection = state.get("connection")
            if connection is not None and connection.sock is not None:
                connection.sock.shutdown(socket.SHUT_RDWR)
        for thread in listeners:
            thread.join(timeout=30)
        self.server.process.send_signal(signal.SIGTERM)
        try:
            code = self.server.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.server.kill()
            code = "timeout"
        if code != 0:
            self.error(f"tally serve exited with {code} on SIGTERM")
        return self.verdict(rows, subscribers, final_head)

    def verdict(self, rows, subscribers, head):
        options = self.options
        half = options.seconds / 2
        around_half = [row["rssAnonMiB"] for row in rows if abs(row["t"] - half) <= options.interval * 1.01] or \
            [rows[len(rows) // 2]["rssAnonMiB"]]
        middle, end = statistics.median(around_half), statistics.median([row["rssAnonMiB"] for row in rows[-3:]])
        second_half = [row for row in rows if row["t"] >= half]
        slope = 0.0
        if len(second_half) >= 2:
            times = [row["t"] for row in second_half]
            values = [row["rssAnonMiB"] for row in second_half]
            mean_t, mean_v = statistics.fmean(times), statistics.fmean(values)
            spread = sum((t - mean_t) ** 2 for t in times)
            slope = sum((t - mean_t) * (v - mean_v) for t, v in zip(times, values)) / spread * 60 if spread else 0.0
        growth = round(end - middle, 1)
        plateau = growth <= options.max_growth_mib
        requests = {kind: sum(row[kind]["n"] for row in rows) for kind in KINDS}
        return {
            "seconds": options.seconds,
            "interval": options.interval,
            "clients": {"command": options.command_clients, "append": options.append_clients,
                        "read": options.read_clients, "subscribers": options.subscribers},
            "requests": requests,
            "head": head,
            "subscriptions": {"events": sum(s["events"] for s in subscribers),
                              "connections": sum(s["connections"] for s in subscribers)},
            "rssAnonMiB": {"first": rows[0]["rssAnonMiB"], "half": middle, "end": end, "max": max(r["rssAnonMiB"] for r in rows),
                           "secondHalfGrowth": growth, "secondHalfSlopeMiBPerMinute": round(slope, 2),
                           "bound": options.max_growth_mib},
            "rssFileMiB": {"first": rows[0]["rssFileMiB"], "end": rows[-1]["rssFileMiB"]},
            "logMiB": rows[-1]["logMiB"],
            "errors": len(self.errors),
            "firstErrors": self.errors[:10],
            "memoryPlateaus": plateau,
            "verdict": "PASS" if plateau and not self.errors else "FAIL",
            "series": rows,
            "scratch": self.scratch,
        }


def print_header():
    print(f"{'t s':>6} {'anon':>6} {'file':>6} {'thr':>4} {'fds':>4} {'head':>8} {'logMiB':>7} {'lag':>6}  "
          + "  ".join(f"{kind + ' n p50/p99 ms':>24}" for kind in KINDS) + f" {'err':>4}", flush=True)


def print_row(row):
    cells = []
    for kind in KINDS:
        figures = row[kind]
        cells.append(f"{figures['n']:>7} {figures['p50'] if figures['n'] else '-':>7}/"
                     f"{figures['p99'] if figures['n'] else '-':<8}")
    print(f"{row['t']:>6} {row['rssAnonMiB']:>6} {row['rssFileMiB']:>6} {row['threads']:>4} {row['fds']:>4} "
          f"{row['head']:>8} {row['logMiB']:>7} {row['subscriberLag']:>6}  " + "  ".join(f"{c:>24}" for c in cells)
          + f" {row['errors']:>4}", flush=True)


def print_verdict(result):
    anon = result["rssAnonMiB"]
    print(f"soak: {result['seconds']} s, clients {result['clients']}, head {result['head']}, log {result['logMiB']} MiB")
    print(f"  requests:      {result['requests']}")
    print(f"  subscriptions: {result['subscriptions']['events']} events delivered over "
          f"{result['subscriptions']['connections']} connections, no gaps unless listed below")
    print(f"  RssAnon MiB:   first {anon['first']}, half-way {anon['half']}, end {anon['end']}, max {anon['max']}; "
          f"second-half growth {anon['secondHalfGrowth']} (bound {anon['bound']}), "
          f"slope {anon['secondHalfSlopeMiBPerMinute']} MiB/min")
    print(f"  RssFile MiB:   first {result['rssFileMiB']['first']}, end {result['rssFileMiB']['end']} "
          f"(mapped log pages; the kernel may drop them)")
    print(f"  errors:        {result['errors']}")
    for line in result["firstErrors"]:
        print(f"    {line}")
    print(f"  verdict:       {result['verdict']} (memory {'plateaus' if result['memoryPlateaus'] else 'keeps growing'}, "
          f"{result['errors']} errors)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--tally", default=".build/release/tally", help="the tally binary (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=600, help="how long the load runs (default: %(default)s)")
    parser.add_argument("--interval", type=float, default=30, help="seconds between samples (default: %(default)s)")
    parser.add_argument("--command-clients", type=int, default=2, help="command clients (default: %(default)s)")
    parser.add_argument("--append-clients", type=int, default=2, help="raw append clients (default: %(default)s)")
    parser.add_argument("--read-clients", type=int, default=2, help="read and query clients (default: %(default)s)")
    parser.add_argument("--subscribers", type=int, default=4, help="live subscribers (default: %(default)s)")
    parser.add_argument("--max-growth-mib", type=float, default=8.0,
                        help="most RssAnon growth over the second half (default: %(default)s MiB)")
    parser.add_argument("--seed", type=int, default=1, help="seeds the clients' choices (default: %(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (data, serve.log)")
    parser.add_argument("--json", action="store_true", help="also print the result, with the series, as JSON")
    options = parser.parse_args()
    if options.seconds < 2 * options.interval:
        parser.error("--seconds must be at least two --interval long")
    soak = Soak(options)
    try:
        result = soak.run()
    except (crash_loop.HarnessError, OSError) as error:
        print(f"soak: {error}", file=sys.stderr)
        soak.stopping.set()
        soak.server.kill()
        return 2
    print_verdict(result)
    if options.json:
        print(json.dumps(result, indent=2))
    if result["verdict"] != "PASS" or options.keep:
        print(f"soak: work directory kept: {soak.scratch}", file=sys.stderr)
    else:
        shutil.rmtree(soak.scratch, ignore_errors=True)
    return 0 if result["verdict"] == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())

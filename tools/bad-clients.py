#!/usr/bin/env python3
"""Bad-client harness: slow, oversized and idle connections against a real `tally serve`.

    tools/bad-clients.py [--tally PATH] [--only NAME]... [--idle-timeout 3] [--body-timeout 3]
                         [--slow 50] [--idle 600] [--max-p99-ms 1000]

A well-behaved client (one keep-alive connection: an append, a log read and /health/live in turn)
runs throughout and its latency is measured in each phase. Phases (each prints PASS or FAIL with its
evidence; docs/RELIABILITY.md, "Bad clients"):

  baseline          the well-behaved client alone, for comparison.
  slow-headers      --slow connections send a request head one byte per second. The server must
                    close each within the idle timeout (+ slack): header bytes are not activity.
  slow-body         --slow connections send a head with Content-Length 100000, then one body byte
                    per second: a third to an unauthenticated append (401 before the body), a third
                    to a POST on /health/live (405), a third to an authenticated append (the
                    handler waits for the body). Each must be closed within the body timeout (+ slack).
  oversized-headers 15 connections at once send a 100 KiB header, 2000 header fields, or 8 MiB of
                    header bytes (5 each): each must be answered 400 or 431 and closed, or closed —
                    within 5 s, never a 5xx, never held open.
  idle              --idle connections open and send nothing: each must be closed within the idle
                    timeout (+ slack).

In every phase the well-behaved client must get every request answered 2xx with p99 at most
--max-p99-ms, and the server must still run at the end. Python 3 standard library only. Exit
status: 0 if every phase passed, 1 if any failed, 2 if the harness could not run.
"""

import argparse
import http.client
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

PHASES = ["baseline", "slow-headers", "slow-body", "oversized-headers", "idle"]


class HarnessError(Exception):
    """The harness could not run (exit 2)."""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


class Server:
    """One `tally serve` on a scratch directory; its output goes to `log_path`."""

    def __init__(self, tally, scratch, extra):
        self.tally, self.port = tally, free_port()
        self.data_dir = os.path.join(scratch, "data")
        self.log_path = os.path.join(scratch, "serve.log")
        self.extra = extra
        self.process = None

    def start(self, timeout=60):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.tally, "serve", "--data-dir", self.data_dir, "--port", str(self.port), "--log-level", "warning"]
                + self.extra, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HarnessError(f"tally serve exited with {self.process.returncode} at start ({self.log_path})")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/health/ready")
                ready = connection.getresponse().status == 200
                connection.close()
                if ready:
                    with open(os.path.join(self.data_dir, "admin.key")) as key:
                        return key.read().strip()
            except OSError:
                pass
            time.sleep(0.05)
        raise HarnessError(f"tally serve was not ready within {timeout} s ({self.log_path})")

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else None


class GoodClient(threading.Thread):
    """One keep-alive connection sending an append, a log read and /health/live in turn, timing each."""

    def __init__(self, port, token):
        super().__init__(name="good-client", daemon=True)
        self.port, self.token = port, token
        self.lock = threading.Lock()
        self.samples = []  # (phase, status or None, seconds)
        self.phase = "baseline"
        self.stopping = threading.Event()

    def run(self):
        connection, revision, turn = None, None, 0
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        while not self.stopping.is_set():
            turn += 1
            if turn % 3 == 0:
                expected = '"noStream"' if revision is None else str(revision)
                request = ("POST", "/v1/streams/good-1/events",
                           '{"expectedRevision":%s,"events":[{"type":"goodClient","data":{"turn":%d}}]}' % (expected, turn))
            elif turn % 3 == 1:
                request = ("GET", "/v1/events?limit=5", None)
            else:
                request = ("GET", "/health/live", None)
            phase = self.phase
            started = time.monotonic()
            status = None
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request(*request, headers=headers)
                response = connection.getresponse()
                body = response.read()
                status = response.status
                if status == 201:
                    revision = int(body.split(b'"streamRevisions":{"good-1":', 1)[1].split(b"}", 1)[0])
            except (OSError, http.client.HTTPException, ValueError, IndexError):
                if connection is not None:
                    connection.close()
                connection = None
            with self.lock:
                self.samples.append((phase, status, time.monotonic() - started))
            time.sleep(0.01)

    def of(self, phase):
        with self.lock:
            return [(status, seconds) for name, status, seconds in self.samples if name == phase]


class Attackers:
    """Raw connections, each with the bytes it still has to send; watches when the server closes each."""

    def __init__(self, port):
        self.port = port
        self.sockets, self.payloads, self.sent, self.opened, self.closed, self.received = [], [], [], [], [], []

    def open(self, payload):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.setblocking(False)
        self.sockets.append(sock)
        self.payloads.append(payload)
        self.sent.append(0)
        self.opened.append(time.monotonic())
        self.closed.append(None)
        self.received.append(b"")

    def watch(self, seconds, drip_interval=1.0):
        """For `seconds` or until all are closed: sends one byte per connection per `drip_interval`
        (none if 0), and records when the server closes each."""
        deadline = time.monotonic() + seconds
        next_drip = time.monotonic()
        while time.monotonic() < deadline and any(closed is None for closed in self.closed):
            drip = drip_interval > 0 and time.monotonic() >= next_drip
            if drip:
                next_drip += drip_interval
            for index, sock in enumerate(self.sockets):
                if self.closed[index] is not None:
                    continue
                try:
                    data = sock.recv(65536)
                    if data == b"":
                        self.closed[index] = time.monotonic() - self.opened[index]
                        continue
                    self.received[index] += data
                except BlockingIOError:
                    pass
                except OSError:
                    self.closed[index] = time.monotonic() - self.opened[index]
                    continue
                if drip and self.sent[index] < len(self.payloads[index]):
                    try:
                        self.sent[index] += sock.send(self.payloads[index][self.sent[index]:self.sent[index] + 1])
                    except BlockingIOError:
                        pass
                    except OSError:
                        self.closed[index] = time.monotonic() - self.opened[index]
            time.sleep(0.05)

    def close_all(self):
        for sock in self.sockets:
            sock.close()

    def summary(self):
        times = [closed for closed in self.closed if closed is not None]
        still = sum(1 for closed in self.closed if closed is None)
        answers = {}
        for data in self.received:
            label = data.split(b"\r\n", 1)[0].decode(errors="replace")[9:12] if data else "none"
            answers[label] = answers.get(label, 0) + 1
        return times, still, ", ".join(f"{label}: {count}" for label, count in sorted(answers.items()))


def oversized(port, payload):
    """Sends `payload` as fast as the server takes it and reads the answer: (outcome, seconds)."""
    started = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        sock.sendall(payload)
    except OSError:
        pass  # the server may close while the rest is in flight: that is a clean refusal too
    received = b""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                break
            received += data
    except socket.timeout:
        sock.close()
        return "held open (no close within 5 s)", time.monotonic() - started
    except OSError:
        pass
    sock.close()
    status = received.split(b"\r\n", 1)[0].decode(errors="replace")[9:12] if received else ""
    return (f"{status} then closed" if status else "closed without an answer"), time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--tally", default=".build/release/tally", help="the tally binary")
    parser.add_argument("--only", action="append", choices=PHASES[1:], help="run only this phase (repeatable)")
    parser.add_argument("--idle-timeout", type=int, default=3, help="tally serve --idle-timeout (default 3)")
    parser.add_argument("--body-timeout", type=int, default=3, help="tally serve --body-timeout (default 3)")
    parser.add_argument("--slow", type=int, default=50, help="slow connections per slow phase (default 50)")
    parser.add_argument("--idle", type=int, default=600, help="idle connections (default 600)")
    parser.add_argument("--max-p99-ms", type=float, default=1000, help="the well-behaved client's p99 bound (default 1000)")
    parser.add_argument("--phase-seconds", type=float, default=3, help="baseline length (default 3)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    args.tally = os.path.abspath(args.tally)
    if not os.access(args.tally, os.X_OK):
        print(f"bad-clients: no tally binary at {args.tally} (swift build -c release --product tally, or --tally PATH)",
              file=sys.stderr)
        return 2
    # Every idle and slow connection is a descriptor here too.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = args.idle + 3 * args.slow + 100
    if soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            print(f"bad-clients: needs {wanted} open files, the hard limit is {hard}", file=sys.stderr)
            return 2
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))

    scratch = tempfile.mkdtemp(prefix="tally-bad-clients-")
    help_text = subprocess.run([args.tally, "serve", "--help"], capture_output=True, text=True).stdout
    # An older binary without --body-timeout can still be measured: its slow-body phase shows why it was added.
    body_timeout = ["--body-timeout", str(args.body_timeout)] if "--body-timeout" in help_text else []
    server = Server(args.tally, scratch, ["--idle-timeout", str(args.idle_timeout)] + body_timeout)
    try:
        token = server.start()
    except HarnessError as error:
        print(f"bad-clients: {error}", file=sys.stderr)
        return 2
    good = GoodClient(server.port, token)
    good.start()
    results = []
    slack = 2 + args.idle_timeout / 2
    started = time.monotonic()

    def finish(phase, checks, evidence):
        samples = good.of(phase)
        latencies = [seconds for _, seconds in samples]
        failures = [status for status, _ in samples if status is None or not 200 <= status < 300]
        p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
        checks = checks + [
            ("the well-behaved client got every request answered 2xx", bool(samples) and not failures),
            (f"its p99 was at most {args.max_p99_ms:.0f} ms", p99 <= args.max_p99_ms),
            ("the server was still running", server.alive()),
        ]
        passed = all(ok for _, ok in checks)
        print(f"{'PASS' if passed else 'FAIL'} {phase}", flush=True)
        print(f"    well-behaved client: {len(samples)} requests, {len(failures)} not 2xx; "
              f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {max(latencies, default=0) * 1000:.1f} ms")
        for line in evidence:
            print(f"    {line}")
        for description, ok in checks:
            if not ok:
                print(f"    FAILED: {description}")
        sys.stdout.flush()
        results.append((phase, passed))

    def run_slow(phase, payloads, bound, drip):
        good.phase = phase
        attackers = Attackers(server.port)
        for payload in payloads:
            attackers.open(payload)
        attackers.watch(bound + 3, drip_interval=drip)
        times, still, answers = attackers.summary()
        attackers.close_all()
        return times, still, answers

    try:
        good.phase = "baseline"
        time.sleep(args.phase_seconds)
        finish("baseline", [], [f"{args.phase_seconds:.0f} s alone; tally serve --idle-timeout {args.idle_timeout} "
                                f"{' '.join(body_timeout) or '(no --body-timeout in this binary)'}"])
        phases = args.only or PHASES[1:]

        if "slow-headers" in phases:
            head = b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000 + b"\r\n\r\n"
            bound = args.idle_timeout + slack
            times, still, answers = run_slow("slow-headers", [head] * args.slow, bound, 1.0)
            finish("slow-headers", [
                (f"every connection was closed by the server within {bound:.1f} s", still == 0
                 and max(times, default=0) <= bound),
            ], [f"{args.slow} connections, one header byte per second; closed after "
                f"median {percentile(times, 0.5):.1f} s, max {max(times, default=0):.1f} s; still open: {still}; "
                f"answers: {answers}"])

        if "slow-body" in phases:
            length = b"Content-Length: 100000\r\n"
            heads = [
                b"POST /v1/streams/slow-1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + length,
                b"POST /health/live HTTP/1.1\r\nHost: x\r\n" + length,
                (b"POST /v1/streams/slow-2/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Authorization: Bearer " + token.encode() + b"\r\n" + length),
            ]
            # The head goes at once (the first drip sends it whole), then the body a byte at a time.
            payloads = [heads[index % 3] + b"\r\n" + b" " * 100000 for index in range(args.slow)]
            good.phase = "slow-body"
            attackers = Attackers(server.port)
            for payload in payloads:
                attackers.open(payload)
                attackers.sent[-1] = attackers.sockets[-1].send(payload[:payload.index(b"\r\n\r\n") + 4])
            bound = (args.body_timeout if body_timeout else args.idle_timeout) + slack
            attackers.watch(bound + 3 if body_timeout else 20, drip_interval=1.0)
            times, still, answers = attackers.summary()
            kinds = ["unauthenticated append", "POST /health/live", "authenticated append"]
            per_kind = []
            for kind_index, kind in enumerate(kinds):
                closed = [attackers.closed[i] for i in range(kind_index, len(payloads), 3)]
                done = [c for c in closed if c is not None]
                per_kind.append(f"{kind}: {len(done)}/{len(closed)} closed, max {max(done, default=0):.1f} s")
            attackers.close_all()
            finish("slow-body", [
                (f"every connection was closed by the server within {bound:.1f} s", still == 0
                 and max(times, default=0) <= bound),
            ], [f"{args.slow} connections, one body byte per second after the head; answers: {answers}"] + per_kind)

        if "oversized-headers" in phases:
            good.phase = "oversized-headers"
            payloads = {
                "one 100 KiB header": b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 102400 + b"\r\n\r\n",
                "2000 header fields": b"GET /health/live HTTP/1.1\r\nHost: x\r\n"
                + b"".join(b"X-F%d: v\r\n" % n for n in range(2000)) + b"\r\n",
                "8 MiB of header bytes": b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Flood: " + b"a" * (8 << 20),
            }
            outcomes = []
            lock = threading.Lock()

            def send_one(name, payload):
                outcome, seconds = oversized(server.port, payload)
                with lock:
                    outcomes.append((name, outcome, seconds))

            senders = [threading.Thread(target=send_one, args=item) for item in payloads.items() for _ in range(5)]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join(30)
            clean = all(outcome.startswith(("400", "431", "closed without")) and seconds <= 5
                        for _, outcome, seconds in outcomes)
            finish("oversized-headers", [
                ("each was answered 400/431 and closed, or closed, within 5 s (no 5xx, none held open)", clean),
            ], [f"{name}: " + ", ".join(sorted({f'{o}' for n, o, _ in outcomes if n == name}))
                + f" (slowest {max(s for n, _, s in outcomes if n == name):.2f} s)" for name in payloads])

        if "idle" in phases:
            bound = args.idle_timeout + slack
            times, still, _ = run_slow("idle", [b""] * args.idle, bound, 0)
            finish("idle", [
                (f"every idle connection was closed by the server within {bound:.1f} s", still == 0
                 and max(times, default=0) <= bound),
            ], [f"{args.idle} idle connections (of --max-connections 1024); closed after median "
                f"{percentile(times, 0.5):.1f} s, max {max(times, default=0):.1f} s; still open: {still}"])
    finally:
        good.stopping.set()
        good.join(30)
        status = server.stop()
    failed = [phase for phase, passed in results if not passed]
    print(f"bad-clients: {len(results) - len(failed)} passed, {len(failed)} failed, "
          f"{time.monotonic() - started:.1f} s; server exit status {status}"
          + (f"; work directory {scratch}" if failed or args.keep else ""))
    if not (failed or args.keep):
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

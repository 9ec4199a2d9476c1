#!/usr/bin/env python3
"""Power-loss harness: cut the power under `tally serve` under load, restart it, and check the log.

    tools/power-loss.py [--tally PATH] [--cuts 30] [--writers 8] [--seed N] [--verbose] [--json]
    tools/power-loss.py --unsafe-no-sync ...  # the same against `tally serve --unsafe-no-sync`
    tools/power-loss.py --self-test           # durable must come through clean, no-sync must be caught

The data directory lives on tools/powercut_fs.py, a FUSE file system that keeps every write since
the file's last fsync/fdatasync (or outside an O_DSYNC descriptor) in memory, in front of a backing
directory that plays the disk; a thread writes pending pages back now and then, as the kernel's
flusher would. Each cycle runs tools/crash-loop.py's writers against the server, then cuts the
power: SIGKILL to the server, then the file system keeps a random share of the pages still pending
(none at half the cuts), in random order, drops the rest and exits; it is unmounted (dropping the
kernel's page cache of those files) and mounted again on the backing directory, which now holds only
what was synced, written back or kept. The server restarts on that, and crash-loop.py's checker holds
the log to everything acknowledged: every acknowledged event at its position, byte for byte, no
phantoms, atomic requests, gap-free positions and revisions, retries, the Merkle root, the read models.

Durable mode (the default) must show no violation. `--unsafe-no-sync` runs the server with LMDB's
MDB_NOSYNC: the same checker must catch it losing acknowledged events (or corrupting the log).
`--self-test` runs durable (must be clean), then no-sync with cuts that keep no pending page (must
report `lost`: the log went back to the last write-back), then no-sync with the usual cuts (must
report a loss of some kind; torn pages often leave a log that LMDB or Tally refuses to open).

Needs /dev/fuse, permission to mount (root), libfuse2 (Debian: apt-get install libfuse2) and the
fusepy package (installed with pip into ~/.cache/tally-tools when missing). Where those are not to
be had the harness says why and exits 77 (skipped). Otherwise: 0 if no violation (self-test: both
runs as required), 1 on a violation, 2 if the harness itself could not run.
"""

import argparse
import importlib.util
import io
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time

TOOLS = os.path.dirname(os.path.abspath(__file__))
FUSEPY = "fusepy==3.0.1"
SKIPPED = 77  # automake's "skipped"


def load_crash_loop():
    """tools/crash-loop.py as a module (its name has a dash; its main() runs only as a script)."""
    spec = importlib.util.spec_from_file_location("crash_loop", os.path.join(TOOLS, "crash-loop.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


crash_loop = load_crash_loop()


class Unavailable(Exception):
    """This machine cannot run a FUSE file system here: the harness is skipped, not failed."""


# ----------------------------------------------------------------------------------------------
# The FUSE disk


def fusepy_path():
    """A directory holding fusepy (for the file system's PYTHONPATH), installing it with pip if needed."""
    probe = subprocess.run([sys.executable, "-c", "import fuse"], capture_output=True, text=True)
    if probe.returncode == 0:
        return None
    cache = os.path.join(os.path.expanduser("~"), ".cache", "tally-tools", "python")
    probe = subprocess.run([sys.executable, "-c", "import fuse"], capture_output=True, text=True,
                           env=dict(os.environ, PYTHONPATH=cache))
    if probe.returncode != 0 and "No module named 'fuse'" in probe.stderr:
        install = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                  "--target", cache, FUSEPY], capture_output=True, text=True)
        if install.returncode != 0:
            raise Unavailable(f"cannot install {FUSEPY} with pip: {install.stderr.strip()[-300:]}")
        probe = subprocess.run([sys.executable, "-c", "import fuse"], capture_output=True, text=True,
                               env=dict(os.environ, PYTHONPATH=cache))
    if probe.returncode != 0:
        # fusepy raises "Unable to find libfuse" when libfuse.so.2 is missing.
        reason = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "import fuse failed"
        raise Unavailable(f"fusepy cannot load libfuse2 ({reason}); on Debian: apt-get install libfuse2")
    return cache


def mounted(path):
    """Whether `path` is a mount point now (from /proc/self/mounts: stat fails on a dead FUSE mount)."""
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1] == path for line in mounts)


class PowerCutDisk:
    """tools/powercut_fs.py mounted on `<scratch>/mnt` over `<scratch>/disk`; cut, then mounted again."""

    def __init__(self, scratch, writeback, seed):
        self.backing = os.path.join(scratch, "disk")
        self.mountpoint = os.path.join(scratch, "mnt")
        self.control = os.path.join(scratch, "powercut.sock")
        self.log_path = os.path.join(scratch, "powercut.log")
        self.writeback, self.rng = writeback, random.Random(seed)
        self.process = None
        self.mounts = 0
        os.makedirs(self.backing, exist_ok=True)
        os.makedirs(self.mountpoint, exist_ok=True)

    def mount(self, python_path):
        if not os.path.exists("/dev/fuse"):
            raise Unavailable("/dev/fuse does not exist (no FUSE in this kernel or container)")
        if os.path.exists(self.control):
            os.unlink(self.control)
        environment = dict(os.environ)
        if python_path:
            environment["PYTHONPATH"] = python_path
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, os.path.join(TOOLS, "powercut_fs.py"), self.backing, self.mountpoint,
                 "--control", self.control, "--writeback", str(self.writeback),
                 "--seed", str(self.rng.getrandbits(32))],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=environment)
        deadline = time.monotonic() + 30
        while not (mounted(self.mountpoint) and os.path.exists(self.control)):
            if self.process.poll() is not None:
                with open(self.log_path, errors="replace") as log:
                    lines = log.read().strip().splitlines()
                self.process = None
                # libfuse says why on a line of its own ("fuse: failed to open /dev/fuse: …").
                reason = next((line for line in lines if line.startswith("fuse:")), lines[-1] if lines else "no message")
                raise Unavailable(f"the FUSE file system would not mount: {reason}")
            if time.monotonic() > deadline:
                self.close()
                raise Unavailable(f"the FUSE file system was not mounted within 30 s (log: {self.log_path})")
            time.sleep(0.02)
        self.mounts += 1

    def request(self, line):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(120)
            connection.connect(self.control)
            connection.sendall((line + "\n").encode())
            answer = connection.makefile("r").readline()
        if not answer:
            raise crash_loop.HarnessError(f"the FUSE file system did not answer {line!r} (log: {self.log_path})")
        return json.loads(answer)

    def cut(self, fraction):
        """Drops the un-synced writes (but a random `fraction` of pages, in random order); unmounts."""
        report = self.request(f"cut {fraction:.3f} {self.rng.getrandbits(32)}")
        self.process.wait(timeout=30)
        self.process = None
        self.unmount()
        return report

    def unmount(self):
        if mounted(self.mountpoint):
            # Lazy: the dead file system's page cache goes with the last reference to it.
            result = subprocess.run(["umount", "-l", self.mountpoint], capture_output=True, text=True)
            if result.returncode != 0:
                raise crash_loop.HarnessError(f"umount -l {self.mountpoint}: {result.stderr.strip()}")

    def stats(self):
        return self.request("stats")

    def close(self):
        """Ends the file system (its pending writes do not matter any more) and unmounts it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None
        self.unmount()


# ----------------------------------------------------------------------------------------------
# The harness: crash-loop's, with a power cut at each kill


class Server(crash_loop.Server):
    """crash-loop's server, with extra `tally serve` arguments."""

    def __init__(self, tally, data_dir, port, log_path, arguments):
        super().__init__(tally, data_dir, port, log_path)
        self.arguments = arguments

    def spawn(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.tally, "serve", "--data-dir", self.data_dir, "--port", str(self.port), "--log-level", "warning",
                 *self.arguments], stdout=log, stderr=log, stdin=subprocess.DEVNULL)


class PowerLossHarness(crash_loop.Harness):
    """Every kill is a power cut: the server dies and the disk loses what was not synced."""

    def __init__(self, options, python_path):
        super().__init__(options)
        self.python_path = python_path
        self.disk = PowerCutDisk(self.scratch, options.writeback, self.seed)
        self.data_dir = os.path.join(self.disk.mountpoint, "data")
        arguments = ["--unsafe-no-sync"] if options.unsafe_no_sync else []
        self.server = Server(self.tally, self.data_dir, self.port, os.path.join(self.scratch, "serve.log"), arguments)
        self.cuts = []  # the file system's report at each cut
        self.final_stats = None

    def run(self):
        try:
            self.disk.mount(self.python_path)
        except Unavailable:
            if self.options.scratch is None:
                shutil.rmtree(self.scratch, ignore_errors=True)
            raise
        try:
            summary = super().run()
            try:
                self.final_stats = self.disk.stats()
            except (OSError, ValueError, crash_loop.HarnessError):
                self.final_stats = None
            return summary
        finally:
            self.disk.close()

    def inject(self, moment, kill):
        if moment != "killed":
            return
        fraction = self.options.cut_keeps
        if fraction is None:
            fraction = 0.0 if self.rng.random() < 0.5 else round(self.rng.random(), 3)
        report = self.disk.cut(fraction)
        self.cuts.append(report)
        self.log(f"cut {kill}: pending pages {report['pendingPages']}, kept {report['keptPages']} "
                 f"(fraction {fraction})", file=sys.stderr, flush=True)
        self.disk.mount(self.python_path)

    def summary(self, elapsed):
        summary = super().summary(elapsed)
        pending = {}
        kept = {}
        for report in self.cuts:
            for name, count in report["pendingPages"].items():
                pending[name] = pending.get(name, 0) + count
            for name, count in report["keptPages"].items():
                kept[name] = kept.get(name, 0) + count
        totals = {}
        for report in self.cuts + ([self.final_stats] if self.final_stats else []):
            for key in ("writes", "fdatasyncs", "fsyncs", "pagesSynced", "writebacks", "pagesWrittenBack"):
                totals[key] = totals.get(key, 0) + report[key]
        summary["mode"] = "unsafe-no-sync" if self.options.unsafe_no_sync else "durable"
        summary["powerCuts"] = {
            "cuts": len(self.cuts),
            "cutsLosingLogPages": sum(1 for r in self.cuts
                                      if r["pendingPages"].get("data/data.mdb", 0) > r["keptPages"].get("data/data.mdb", 0)),
            "pendingPagesAtCuts": pending,
            "keptPagesAtCuts": kept,
            "writebackSeconds": self.options.writeback,
            "fileSystem": totals,
        }
        return summary


def print_summary(summary):
    text = io.StringIO()
    crash_loop.print_summary(summary, stream=text)
    print(text.getvalue().replace("crash-loop:", "power-loss:", 1).replace(" kills under load", " power cuts under load", 1),
          end="")
    cuts = summary["powerCuts"]
    files = cuts["fileSystem"]
    print(f"  mode:                    {summary['mode']}")
    print(f"  power cuts:              {cuts['cuts']}, {cuts['cutsLosingLogPages']} of them dropped pages of data.mdb")
    print(f"  pages pending at cuts:   {cuts['pendingPagesAtCuts']} (kept: {cuts['keptPagesAtCuts']})")
    print(f"  file system saw:         {files.get('writes', 0)} writes, {files.get('fdatasyncs', 0)} fdatasyncs, "
          f"{files.get('fsyncs', 0)} fsyncs ({files.get('pagesSynced', 0)} pages synced); "
          f"{files.get('writebacks', 0)} write-backs ({files.get('pagesWrittenBack', 0)} pages)")


# ----------------------------------------------------------------------------------------------
# Entry points

# What losing acknowledged writes looks like to the checker (any of these counts as caught).
LOSS_KINDS = {"lost", "moved", "altered", "torn", "gap", "revision-gap", "merkle", "unreadable", "server-failure",
              "projection", "read-mismatch"}


def run_once(options, python_path):
    harness = PowerLossHarness(options, python_path)
    return harness, harness.run()


SELF_TEST_RUNS = [
    # (what, --unsafe-no-sync, --cut-keeps, what the checker must report)
    ("durable", False, None, "nothing"),
    ("unsafe-no-sync, cuts keep nothing", True, 0.0, "lost"),
    ("unsafe-no-sync, cuts keep a random share", True, None, "any loss"),
]


def self_test(options, python_path):
    """Durable must come through clean; no-sync, under the same cuts and checker, must be caught."""
    failures = 0
    for what, unsafe, keeps, wanted in SELF_TEST_RUNS:
        run_options = argparse.Namespace(**vars(options))
        run_options.unsafe_no_sync, run_options.cut_keeps, run_options.scratch = unsafe, keeps, None
        run_options.stop_on_violation = unsafe  # once caught, enough
        harness, summary = run_once(run_options, python_path)
        kinds = set(summary["violationKinds"])
        ok = {"nothing": not kinds, "lost": "lost" in kinds, "any loss": bool(kinds & LOSS_KINDS)}[wanted]
        cuts = summary["powerCuts"]
        print(f"self-test {what}: {'PASS' if ok else 'FAIL'}: {cuts['cuts']} cuts ({cuts['cutsLosingLogPages']} "
              f"dropped pages of data.mdb), {summary['acknowledgedEvents']} acknowledged events, head "
              f"{summary['head']}; reported {sorted(kinds) or 'nothing'}, must report {wanted}", file=sys.stderr)
        for line in summary["firstViolations"][:2]:
            print(f"    {line[:240]}", file=sys.stderr)
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
    parser.add_argument("--cuts", type=int, default=30, help="power cuts to deliver (default: %(default)s)")
    parser.add_argument("--writers", type=int, default=8, help="concurrent writer threads (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    parser.add_argument("--min-load", type=float, default=0.1, help="least seconds of load before a cut")
    parser.add_argument("--max-load", type=float, default=0.6, help="most seconds of load before a cut")
    parser.add_argument("--writeback", type=float, default=0.25, metavar="SECONDS",
                        help="the file system writes pending pages back about this often (0: never; default: %(default)s)")
    parser.add_argument("--cut-keeps", type=float, default=None, metavar="FRACTION",
                        help="share of pending pages a cut writes to the disk (default: none at half the cuts, "
                             "a random share at the others)")
    parser.add_argument("--retry-fraction", type=float, default=0.5,
                        help="share of unanswered requests resent after the restart (default: %(default)s)")
    parser.add_argument("--max-restart", type=float, default=10.0,
                        help="seconds a restart may take, start to /health/ready (default: %(default)s; the "
                             "file system is Python, so reads are slower than a disk's)")
    parser.add_argument("--unsafe-no-sync", action="store_true", help="run tally serve --unsafe-no-sync")
    parser.add_argument("--scratch", help="work directory (default: a new one under $TMPDIR)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory even if all is well")
    parser.add_argument("--stop-on-violation", action="store_true", help="stop at the first cycle with a violation")
    parser.add_argument("--verbose", "-v", action="store_true", help="one line per cut on stderr")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--self-test", action="store_true",
                        help="run durable (must be clean), then --unsafe-no-sync twice (must be caught)")
    options = parser.parse_args()
    if options.seed is None:
        options.seed = random.randrange(1 << 31)
    if options.writers < 1 or options.cuts < 0:
        parser.error("--writers must be at least 1 and --cuts at least 0")
    # crash-loop's harness reads these; each kill here is a power cut, and no extra kill during start-up.
    options.kills, options.startup_kills = options.cuts, 0.0
    random.seed(options.seed)
    try:
        python_path = fusepy_path()
        if options.self_test:
            return self_test(options, python_path)
        harness, summary = run_once(options, python_path)
    except Unavailable as reason:
        print(f"power-loss: SKIPPED: FUSE is not available here: {reason}", file=sys.stderr)
        return SKIPPED
    except crash_loop.HarnessError as error:
        print(f"power-loss: {error}", file=sys.stderr)
        return 2
    if options.json:
        print(json.dumps(summary, indent=2))
    else:
        print_summary(summary)
    failed = summary["violations"] > 0
    if failed or options.keep:
        print(f"power-loss: work directory kept: {harness.scratch} (seed {options.seed})", file=sys.stderr)
    else:
        shutil.rmtree(harness.scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

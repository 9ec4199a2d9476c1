#!/usr/bin/env bash
# HTTP load benchmark: deposit commands and projection reads over loopback against a release
# `tally serve`, with wrk at 64 connections, and in the same run the in-process deposit figure at
# 64 callers (tally-bench --commands-only), so that commands over HTTP are reported as a ratio
# (the disk's sync latency swings 10x between runs; a ratio measured together does not).
#
#   tools/http-bench.sh [--runs N] [--duration SECONDS] [--connections N]
#
# Each run measures: in-process deposits, HTTP deposits, HTTP reads. Prints each run, then the
# medians and the ratio of medians. wrk is installed from Debian when missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=3
duration=10
connections=64
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        *) echo "usage: tools/http-bench.sh [--runs N] [--duration SECONDS] [--connections N]" >&2; exit 64 ;;
    esac
done

command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
swift build -c release --product tally >&2
swift build -c release --product tally-bench >&2
bin=$(swift build -c release --show-bin-path)

scratch=$(mktemp -d /tmp/tally-http-bench.XXXXXX)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$scratch"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 40000))
"$bin/tally" serve --data-dir "$scratch/data" --port "$port" --log-level warning >"$scratch/serve.log" 2>"$scratch/serve.err" &
server=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/health/live" >/dev/null && break
    sleep 0.1
done
token=$(cat "$scratch/data/admin.key")

# The same ledger the in-process figure uses: 1000 accounts, each funded (not measured).
python3 - "$port" "$token" <<'PY'
import http.client, sys
port, token = int(sys.argv[1]), sys.argv[2]
connection = http.client.HTTPConnection("127.0.0.1", port)
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
for n in range(1000):
    for path, body in (("openAccount", f'{{"id":"acc-{n}","owner":"acc-{n}","currency":"EUR"}}'),
                       ("deposit", f'{{"account":"acc-{n}","amount":1000000000}}')):
        connection.request("POST", f"/v1/commands/{path}", body, headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 201, (path, response.status)
PY

wrk_run() {  # script → "requests_per_second p50_ms p99_ms"
    wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Authorization: Bearer $token" \
        -s "tools/wrk/$1.lua" "http://127.0.0.1:$port" 2>"$scratch/wrk.err" | python3 -c '
import re, sys
text = sys.stdin.read()
def ms(label):
    value, unit = re.search(r"^\s+" + label + r"\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
p50, p99 = ms("50%"), ms("99%")
print("%.0f %.2f %.2f %s" % (rps, p50, p99, errors.group(1) if errors else 0))'
}

results="$scratch/results"
for run in $(seq 1 "$runs"); do
    inprocess=$("$bin/tally-bench" --commands-only --runs 1 2>/dev/null \
        | python3 -c 'import json, sys
for line in sys.stdin:
    if line.startswith("{") and "\"command-deposit-64\"" in line:
        print("%.0f" % json.loads(line)["median"])')
    read -r http_rps http_p50 http_p99 http_errors <<<"$(wrk_run deposit)"
    read -r read_rps read_p50 read_p99 read_errors <<<"$(wrk_run read)"
    if [ "$http_errors" != 0 ] || [ "$read_errors" != 0 ]; then
        echo "tools/http-bench.sh: unexpected statuses (deposits $http_errors, reads $read_errors):" >&2
        head -5 "$scratch/wrk.err" >&2
        exit 1
    fi
    echo "$run $inprocess $http_rps $http_p50 $http_p99 $http_errors $read_rps $read_p50 $read_p99 $read_errors" >>"$results"
    echo "run $run: in-process deposits@64 $inprocess/s | HTTP deposits@$connections $http_rps/s p50 ${http_p50} ms p99 ${http_p99} ms (non-2xx $http_errors) | HTTP reads@$connections $read_rps/s p50 ${read_p50} ms p99 ${read_p99} ms (non-200 $read_errors)"
done

python3 - "$results" "$connections" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
connections = sys.argv[2]
column = lambda index: [float(row[index]) for row in rows]
inprocess, http, p99, reads = column(1), column(2), column(4), column(6)
ratio = statistics.median(http) / statistics.median(inprocess)
per_run = ", ".join(f"{h / i:.2f}" for h, i in zip(http, inprocess))
print(f"\nmedians over {len(rows)} runs:")
print(f"  in-process deposits @64 callers     {statistics.median(inprocess):>10,.0f} commands/s")
print(f"  HTTP deposits @{connections} connections       {statistics.median(http):>10,.0f} commands/s  p50 {statistics.median(column(3)):.2f} ms  p99 {statistics.median(p99):.2f} ms")
print(f"  HTTP projection reads @{connections}           {statistics.median(reads):>10,.0f} reads/s     p50 {statistics.median(column(7)):.2f} ms  p99 {statistics.median(column(8)):.2f} ms")
print(f"  HTTP / in-process deposits          {ratio:>10.2f}x  (per run: {per_run}; target >= 0.4x)")
print(f"  deposit p99 target <= 25 ms (disk in fast mode): median {statistics.median(p99):.2f} ms")
print(f"  projection reads target >= 40,000/s: median {statistics.median(reads):,.0f}/s")
PY

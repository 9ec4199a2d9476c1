#!/usr/bin/env bash
# Fuzzes a real `tally serve` over HTTP with schemathesis, driven by the OpenAPI document it serves:
#   tools/http-fuzz.sh [--tally PATH] [--max-examples N] [--max-time SECONDS] [--seed N] [--workers N]
# Starts the server on a scratch data folder and a free loopback port, authenticates with the admin key
# it writes, and checks every answer: no 5xx, status codes, content types, headers and bodies as the
# document describes them, authentication enforced. Exits non-zero on any finding, if the server died
# or no longer answers /health/live, or if a request took longer than 30 s (a hang).
# Defaults: .build/release/tally, 20 examples per operation, no time limit. schemathesis comes from
# PyPI into .build-http-fuzz/venv on first use.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tally=.build/release/tally
max_examples=20
max_time=""
seed=""
workers=1
while [ $# -gt 0 ]; do
    case "$1" in
        --tally) tally="$2"; shift 2 ;;
        --max-examples) max_examples="$2"; shift 2 ;;
        --max-time) max_time="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        --workers) workers="$2"; shift 2 ;;
        *) echo "usage: tools/http-fuzz.sh [--tally PATH] [--max-examples N] [--max-time S] [--seed N] [--workers N]" >&2
           exit 64 ;;
    esac
done
[ -x "$tally" ] || { echo "tools/http-fuzz.sh: no tally binary at $tally (swift build -c release, or --tally)" >&2; exit 64; }

venv=.build-http-fuzz/venv
if [ ! -x "$venv/bin/st" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis>=4,<5" >&2
fi

scratch=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$tally" serve --data-dir "$scratch/data" --port "$port" >"$scratch/serve.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    curl -sf "$base/health/ready" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { echo "tools/http-fuzz.sh: tally serve exited" >&2; cat "$scratch/serve.log" >&2; exit 1; }
    sleep 0.2
done
key=$(cat "$scratch/data/admin.key")

# Left out: the live feed (GET /v1/events/live) streams until the client leaves, so every request to it
# would end in the client's timeout; tests in Tests/TallyHTTPTests cover it.
args=(
    run "$base/v1/openapi.json" --url "$base"
    -H "Authorization: Bearer $key"
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,ignored_auth,missing_required_header,unsupported_method
    --exclude-operation-id subscribeEvents
    --max-examples "$max_examples" --workers "$workers" --request-timeout 30
    --suppress-health-check all --no-color --output-truncate true --generation-database none
)
[ -n "$max_time" ] && args+=(--max-time "$max_time")
[ -n "$seed" ] && args+=(--seed "$seed")
status=0
# From the scratch folder: schemathesis keeps a cache (.schemathesis/) in its working directory.
repository=$(pwd)
(cd "$scratch" && "$repository/$venv/bin/st" "${args[@]}") || status=$?

if ! kill -0 "$server" 2>/dev/null; then
    echo "tools/http-fuzz.sh: FAILED: tally serve died during the run" >&2
    tail -20 "$scratch/serve.log" >&2
    exit 1
fi
if ! curl -sf --max-time 5 "$base/health/live" >/dev/null; then
    echo "tools/http-fuzz.sh: FAILED: tally serve no longer answers /health/live" >&2
    exit 1
fi
if grep -q '"level":"error"\|"level":"critical"' "$scratch/serve.log"; then
    echo "tools/http-fuzz.sh: the server logged errors:" >&2
    grep '"level":"error"\|"level":"critical"' "$scratch/serve.log" | head -5 >&2
fi
exit "$status"

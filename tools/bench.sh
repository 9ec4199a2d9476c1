#!/usr/bin/env bash
# Runs Tally's benchmark in release mode from the repository root, passing every argument on:
#   tools/bench.sh [--runs N] [--events N] [--quick] [--log-only | --commands-only | --rebuild-only | --verify-only]
# The human table and one JSON line per figure go to stdout; progress goes to stderr.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
exec swift run -c release tally-bench "$@"

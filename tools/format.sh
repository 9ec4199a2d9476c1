#!/usr/bin/env bash
# Formats every Swift file with the toolchain's swift-format and the committed .swift-format;
# `tools/format.sh --lint` only reports.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--lint" ]; then
    exec swift format lint --recursive Package.swift Sources Projections Tests tools
fi
exec swift format --in-place --recursive Package.swift Sources Projections Tests tools

#!/usr/bin/env bash
# Prints line coverage per module from the last `swift test --enable-code-coverage`, and fails
# if a guarded module (the store, its LMDB layer, the verifier, the domain, the read models, HTTP) is below 85%.
set -euo pipefail
cd "$(dirname "$0")/.."
report=$(swift test --show-codecov-path)
[ -f "$report" ] || { echo "coverage.sh: no coverage data at $report; run 'swift test --enable-code-coverage' first" >&2; exit 66; }
python3 - "$report" "$PWD" <<'PY'
import json, sys, collections
report, root = sys.argv[1], sys.argv[2].rstrip("/") + "/"
guarded = {"TallyLMDB": 85.0, "TallyStore": 85.0, "TallyVerify": 85.0, "TallyCore": 85.0, "Ledger": 85.0, "LedgerProjection": 85.0, "TallyHTTP": 85.0}
lines = collections.defaultdict(lambda: [0, 0])
for data in json.load(open(report))["data"]:
    for file in data["files"]:
        name = file["filename"]
        if not name.startswith(root):
            continue
        parts = name[len(root):].split("/")
        if parts[0] not in ("Sources", "Projections") or len(parts) < 3:
            continue
        # A projection's folder is named for its read model; its module is <ReadModel>Projection.
        module = parts[1] if parts[0] == "Sources" else parts[1] + "Projection"
        summary = file["summary"]["lines"]
        lines[module][0] += summary["covered"]
        lines[module][1] += summary["count"]
failed = []
print(f"{'module':<20} {'lines':>8} {'covered':>8} {'coverage':>9}")
for module, (covered, count) in sorted(lines.items()):
    percent = 100.0 * covered / count if count else 100.0
    floor = guarded.get(module)
    mark = "" if floor is None else (f"  (floor {floor:.0f}%)" if percent >= floor else f"  BELOW FLOOR {floor:.0f}%")
    print(f"{module:<20} {count:>8} {covered:>8} {percent:>8.1f}%{mark}")
    if floor is not None and percent < floor:
        failed.append(module)
if failed:
    print("coverage below the floor for: " + ", ".join(failed), file=sys.stderr)
    sys.exit(1)
PY

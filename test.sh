#!/usr/bin/env bash
# Builds once and runs every test project (unit, and integration over real processes on 127.0.0.1).
# Prints a closing "N passed, N failed, N skipped" line and exits non-zero on any failure.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
dotnet build Weft.slnx -nologo -v quiet || exit 1
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet test Weft.slnx --no-build -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
awk '/^(Passed|Failed)!/ {
       for (i = 1; i <= NF; i++) {
         if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1)
       }
     }
     END { gsub(",", "", p); printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$status"

#!/usr/bin/env bash
# bench/run-peer-baseline.sh [VARIANT...] — runs the shared harness (../shared/bench/peer-baseline.sh,
# or $PEER_BASELINE) with this repository's variants (bench/variants) and writes the report into
# bench/results/. Also samples the machine with vmstat every 5 s during the run and saves it beside
# the report (REPORT.vmstat.txt) with the CPU idle share before and during the run: the machine is
# shared, and a run with little idle CPU left measures the neighbours as much as the proxies.
#
#   bench/run-peer-baseline.sh                                   # direct nginx-pair haproxy-pair weft-pair
#   bench/run-peer-baseline.sh direct nginx-pair weft-pair weft-wks
#   RATES="1000 4000" DURATION=15 bench/run-peer-baseline.sh ... # any harness setting passes through
#   WAIT_IDLE=60 WAIT_MAX=1800 bench/run-peer-baseline.sh ...     # first wait until the CPU is >= 60 % idle over 10 s
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
harness=${PEER_BASELINE:-$repo/../shared/bench/peer-baseline.sh}
[[ -x $harness ]] || { echo "no harness at $harness (set PEER_BASELINE)" >&2; exit 2; }
variants=${*:-"direct nginx-pair haproxy-pair weft-pair"}
results=$repo/bench/results
mkdir -p "$results"
if [[ -n ${WAIT_IDLE:-} ]]; then
  deadline=$((SECONDS + ${WAIT_MAX:-1800}))
  until idle=$(vmstat 10 2 | awk 'END { print $15 }'); ((idle >= WAIT_IDLE)); do
    if ((SECONDS >= deadline)); then echo "the CPU never got $WAIT_IDLE % idle (last $idle %); running anyway" >&2; break; fi
  done
  echo "waited $SECONDS s for an idle machine (last 10 s: $idle % idle)" >&2
fi
samples=$(mktemp)
idle_before=$(vmstat 1 3 | awk 'NR > 3 { s += $15; n++ } END { printf "%.0f", s / n }')
vmstat -t 5 >"$samples" &
vmstat_pid=$!
trap 'kill "$vmstat_pid" 2>/dev/null || true; rm -f "$samples"' EXIT
before=$(ls -1 "$results"/peer-baseline-*.md 2>/dev/null | sort | tail -1 || true)
EXTRA_VARIANTS_DIRS="$repo/bench/variants" RESULTS_DIR="$results" VARIANTS="$variants" "$harness"
report=$(ls -1 "$results"/peer-baseline-*.md | sort | tail -1)
[[ $report != "$before" ]] || { echo "the harness wrote no new report" >&2; exit 1; }
kill "$vmstat_pid" 2>/dev/null || true
idle_during=$(awk 'NR > 2 { s += $15; n++ } END { if (n) printf "%.0f", s / n; else print "?" }' "$samples")
{
  echo "CPU idle % (vmstat): before the run $idle_before, mean during the run $idle_during; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  cat "$samples"
} >"${report%.md}.vmstat.txt"
echo "machine: CPU idle before $idle_before %, during $idle_during % (samples in ${report%.md}.vmstat.txt)"

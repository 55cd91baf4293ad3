#!/usr/bin/env bash
# bench/chaos.sh [SCENARIO…] — failures under a steady load, each run ending by itself.
#
# Every scenario runs `weft up` on its own copy of examples/payments (loopback only, its own state
# directory), sends `weft bench --from checkout http://payments/ --rate $RATE` through checkout's
# sidecar for the scenario's window, breaks something on a schedule, and adds a row to a report
# under bench/results/: requests, failed (sent − 200s), p99 over the window, and what happened.
#
# Scenarios (all by default):
#   churn         100 edits/min of the canary weights for $CHURN_SECONDS (120), every 5th one a broken file
#   ca            certificates of 30 s lifetime (renewed every 15 s) and `weft ca rotate` at 15 s, 60 s
#   kill-replica  payments-v1 with 2 replicas: kill -9 one's app at 5 s, then its sidecar at 20 s, 40 s
#   kill-canary   kill -9 payments-v2's only app (the 10 % subset) at 5 s, 20 s
#   rollout       payments-v1 with 2 replicas: `weft restart payments-v1` at 5 s, 40 s
#   hung          payments-v2 with 2 replicas, one hangs every request from 5 s; route timeout 2 s,
#                 outlier detection (2 consecutive errors) ejects it, 30 s
#
#   RATE=200 bench/chaos.sh churn rollout      # the rate and the scenarios
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
weft="$root/weft"
RATE="${RATE:-200}"
CHURN_SECONDS="${CHURN_SECONDS:-120}"
all=(churn ca kill-replica kill-canary rollout hung)
scenarios=("$@")
[[ ${#scenarios[@]} -gt 0 ]] || scenarios=("${all[@]}")
for s in "${scenarios[@]}"; do
  [[ " ${all[*]} " == *" $s "* ]] || { echo "chaos.sh: unknown scenario '$s' (${all[*]})" >&2; exit 2; }
done

mkdir -p "$root/bench/results"
report="$root/bench/results/chaos-$(date -u +%Y-%m-%dT%H%M%SZ).md"
"$weft" --help > /dev/null # build once, before any timing
{
  echo "# bench/chaos.sh ${scenarios[*]} — $(date -u '+%Y-%m-%d %H:%M UTC'), $RATE rps"
  echo
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| scenario | requests | failed | p99 during (ms) | errors | what happened |"
  echo "|---|---|---|---|---|---|"
} > "$report"

up_pid="" bench_pid="" work=""
cleanup() {
  [[ -n "$bench_pid" ]] && kill "$bench_pid" 2> /dev/null || true
  if [[ -n "$up_pid" ]] && kill -0 "$up_pid" 2> /dev/null; then
    kill -TERM "$up_pid"; wait "$up_pid" 2> /dev/null || true
  fi
  up_pid="" bench_pid=""
}
trap cleanup EXIT

status_json() { "$weft" status --state-dir "$work/state" -o json; }

# field WORKLOAD KEY: a field of one instance in `weft status -o json` (appPid, sidecarPid, restarts…).
field() {
  status_json | python3 -c "import json,sys; w=[w for w in json.load(sys.stdin)['workloads'] if w['workload']=='$1'][0]; print(w['$2'])"
}

app_port() {
  status_json | python3 -c "import json,sys; w=[w for w in json.load(sys.stdin)['workloads'] if w['workload']=='$1'][0]; print(list(w['appPorts'].values())[0])"
}

restarts() {
  status_json | python3 -c "import json,sys; print(', '.join(f\"{w['workload']} {w['restarts']}\" for w in json.load(sys.stdin)['workloads'] if w['restarts']) or 'none')"
}

start_mesh() {
  "$weft" up "$work/config" --state-dir "$work/state" "$@" > "$work/up.log" 2>&1 &
  up_pid=$!
  local deadline=$((SECONDS + 120))
  until [[ -f "$work/state/mesh.json" ]] && status_json 2> /dev/null | python3 -c "import json,sys; sys.exit(0 if all(w['ready'] for w in json.load(sys.stdin)['workloads']) else 1)"; do
    ((SECONDS < deadline)) || { echo "chaos.sh: the mesh did not become ready; see $work/up.log" >&2; exit 1; }
    kill -0 "$up_pid" 2> /dev/null || { cat "$work/up.log" >&2; exit 1; }
    sleep 0.5
  done
}

start_load() {
  "$weft" bench --from checkout http://payments/ --rate "$RATE" --duration "${1}s" --state-dir "$work/state" -o json > "$work/bench.json" &
  bench_pid=$!
  sleep 0.2
}

# row SCENARIO NOTE: waits for the load to end, stops the mesh, and writes the row.
row() {
  wait "$bench_pid" || true
  bench_pid=""
  local note="$2; restarts: $(restarts)"
  cleanup
  python3 - "$work/bench.json" "$1" "$note" >> "$report" << 'EOF'
import json, sys
b = json.load(open(sys.argv[1]))
errors = dict((f"{k}", v) for k, v in b["statusErrors"].items())
if b["connectionErrors"]: errors["connection"] = b["connectionErrors"]
if b["timeouts"]: errors["timeout"] = b["timeouts"]
p99 = b["latencyUs"]["p99"] / 1000 if b.get("latencyUs") else float("nan")
failed = b["sent"] - b["ok"]
text = ", ".join(f"{k}: {v}" for k, v in errors.items()) or "-"
print(f"| {sys.argv[2]} | {b['sent']} | {failed} ({100 * failed / max(b['sent'], 1):.2f} %) | {p99:.1f} | {text} | {sys.argv[3]} |")
EOF
  tail -1 "$report"
}

# replicas WORKLOAD N: sets the Workload's replicas in the copied manifests.
replicas() {
  python3 - "$work/config/workloads.yaml" "$1" "$2" << 'EOF'
import sys
path, name, n = sys.argv[1:]
docs = open(path).read().split("\n---\n")
docs = [d.replace("spec:\n", f"spec:\n  replicas: {n}\n", 1) if f"name: {name}\n" in d else d for d in docs]
open(path, "w").write("\n---\n".join(docs))
EOF
}

# weights V1 V2: rewrites the canary split, atomically (a hidden temporary file is not read).
weights() {
  sed -e "s/weight: 90/weight: $1/" -e "s/weight: 10/weight: $2/" "$work/traffic.yaml.orig" > "$work/config/.traffic.tmp"
  mv "$work/config/.traffic.tmp" "$work/config/traffic.yaml"
}

for scenario in "${scenarios[@]}"; do
  work="$(mktemp -d /tmp/weft-chaos-XXXXXX)"
  mkdir -p "$work/config"
  cp "$root/examples/payments/"*.yaml "$work/config/"
  cp "$work/config/traffic.yaml" "$work/traffic.yaml.orig"
  echo "== $scenario ($work)" >&2
  case "$scenario" in
    churn)
      start_mesh
      start_load "$CHURN_SECONDS"
      edits=0 broken=0
      end=$((SECONDS + CHURN_SECONDS - 2))
      while ((SECONDS < end)); do
        edits=$((edits + 1))
        if ((edits % 5 == 0)); then
          printf 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: broken, namespace: payments}\nspec:\n  hosts: [payments\n' > "$work/config/broken.yaml"
          broken=$((broken + 1))
        else
          rm -f "$work/config/broken.yaml"
          w=$((50 + (edits * 7) % 50))
          weights "$w" $((100 - w))
        fi
        sleep 0.6
      done
      rm -f "$work/config/broken.yaml"
      row churn "$edits edits in ${CHURN_SECONDS}s, $broken of them broken (refused, the last good config stayed)"
      ;;
    ca)
      start_mesh --cert-lifetime 30s
      start_load 60
      sleep 15
      "$weft" ca rotate --state-dir "$work/state" > "$work/rotate.txt" 2>&1 || true
      row ca "30 s certificates renewed every 15 s; $(head -1 "$work/rotate.txt")"
      ;;
    kill-replica)
      replicas payments-v1 2
      start_mesh
      start_load 40
      sleep 5
      kill -9 "$(field payments-v1 appPid)"
      sleep 15
      kill -9 "$(field payments-v1 sidecarPid)"
      row kill-replica "kill -9 of payments-v1's app at 5 s, of its sidecar at 20 s (2 replicas of v1, 90 % of traffic)"
      ;;
    kill-canary)
      start_mesh
      start_load 20
      sleep 5
      kill -9 "$(field payments-v2 appPid)"
      row kill-canary "kill -9 of payments-v2's app (the only v2 replica, 10 % of traffic) at 5 s"
      ;;
    rollout)
      replicas payments-v1 2
      start_mesh
      start_load 40
      sleep 5
      "$weft" restart payments-v1 --state-dir "$work/state" > "$work/restart.txt" 2>&1 || true
      row rollout "weft restart payments-v1 (2 replicas) at 5 s: $(tr '\n' ' ' < "$work/restart.txt" | sed 's/  */ /g')"
      ;;
    hung)
      replicas payments-v2 2
      python3 - "$work/config/traffic.yaml" << 'EOF'
import sys
path = sys.argv[1]
text = open(path).read()
text = text.replace("    retries:\n      attempts: 2\n", "    timeout: 2s\n    retries:\n      attempts: 2\n", 1)
text = text.replace("spec:\n  host: payments\n", "spec:\n  host: payments\n  trafficPolicy:\n    outlierDetection: {consecutive5xxErrors: 2, interval: 1s, baseEjectionTime: 30s, maxEjectionPercent: 50}\n", 1)
open(path, "w").write(text)
EOF
      start_mesh
      start_load 30
      sleep 5
      curl -sf -X PUT "http://127.0.0.1:$(app_port payments-v2)/demo/behavior?hang=1" > /dev/null
      row hung "payments-v2 (one of 2 v2 replicas) hangs every request from 5 s; route timeout 2 s, perTryTimeout 1 s, outlier detection ejects it"
      ;;
  esac
  rm -rf "$work"
done

echo "report: $report" >&2

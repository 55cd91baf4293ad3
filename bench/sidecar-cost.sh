#!/usr/bin/env bash
# bench/sidecar-cost.sh — where a sidecar pair's CPU and memory go, per request, beside nginx's pair.
#
# The harness (run-peer-baseline.sh) says how much each pair costs; this says what the cost is made
# of, on the same topology, ports, certificates, backend and load generator:
#
#   load -> client sidecar (:20381 / nginx :20181) =(mTLS)=> server sidecar (:20382 / :20182) -> backend (:20080)
#
# For each pair, after a warm-up: CPU time split into user and kernel (/proc/PID/stat) per request,
# per sidecar; the resident set split into anonymous and file-backed memory. With --strace, a second
# run counts each sidecar's system calls per request (strace -c; it slows the proxy, so that run's
# latency means nothing). With --perf, a third run samples the client sidecar's user-space time
# (perf record -g) and charges each sample to OpenSSL when it is there, else to the innermost layer of
# the stack it was in: Weft's code, YARP, HttpClient, Kestrel, SslStream, sockets... (a NativeAOT
# binary carries its symbols).
#
#   bench/sidecar-cost.sh [--rate R] [--duration S] [--connections C] [--strace] [--perf] PAIR...
#   PAIR: nginx | weft-aot (the published weft-proxy, as `weft up --proxy` runs it) | weft-jit (as `weft up` runs it)
#   bench/sidecar-cost.sh --rate 3000 --strace --perf nginx weft-aot
#
# Needs nginx, strace and perf for the options that use them, and the shared harness beside this
# repository (../shared/bench, or $PEER_BASELINE_DIR) for its certificates script, nginx configs and
# load generator. It uses the harness's ports: do not run it while the harness runs.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${PEER_BASELINE_DIR:-$repo/../shared/bench}
RATE=3000 DURATION=10 CONNECTIONS=16 STRACE=0 PERF=0 PAIRS=()
while (($#)); do
  case $1 in
    --rate) RATE=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --strace) STRACE=1; shift ;;
    --perf) PERF=1; shift ;;
    nginx | weft-aot | weft-jit) PAIRS+=("$1"); shift ;;
    *) echo "sidecar-cost.sh: unknown argument '$1' (pairs: nginx, weft-aot, weft-jit)" >&2; exit 2 ;;
  esac
done
((${#PAIRS[@]})) || { echo "usage: bench/sidecar-cost.sh [--rate R] [--duration S] [--connections C] [--strace] [--perf] nginx|weft-aot|weft-jit..." >&2; exit 2; }
[[ -f $BENCH_DIR/peer-baseline.sh ]] || { echo "no harness in $BENCH_DIR (set PEER_BASELINE_DIR)" >&2; exit 2; }

T0=$SECONDS
RUN=$(mktemp -d /tmp/sidecar-cost.XXXXXX)
log() { printf '[%3ds] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
render() { # render TEMPLATE OUT KEY=VALUE...: @KEY@ -> VALUE
  local text kv
  text=$(<"$1")
  for kv in "${@:3}"; do text=${text//@${kv%%=*}@/${kv#*=}}; done
  printf '%s\n' "$text" >"$2"
}
# shellcheck source=variants/weft-pair.sh
source "$repo/bench/variants/weft-pair.sh" # weft_build

PIDS=()
cleanup() { ((${#PIDS[@]})) && kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$RUN"; }
trap cleanup EXIT
start() { "${@:2}" >"$RUN/$1.out" 2>&1 & PIDS+=("$!"); }
stop_all() { kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; PIDS=(); }
wait_ready() { # wait_ready PORT: a request through the pair succeeds
  local deadline=$((SECONDS + 15))
  until curl -fsS -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null; do
    ((SECONDS < deadline)) || { tail -5 "$RUN"/*.out >&2; die "the pair on :$1 does not answer after 15 s"; }
    sleep 0.1
  done
}

CERTS=$RUN/certs SERVER_NAME=server.peer-baseline.test
bash "$BENCH_DIR/gen-certs.sh" "$CERTS" "$SERVER_NAME" >/dev/null
LOADGEN_DLL=$BENCH_DIR/loadgen/bin/Release/net10.0/loadgen.dll
if [[ ! -f $LOADGEN_DLL ]]; then
  log "building the harness's load generator"
  dotnet build "$BENCH_DIR/loadgen/loadgen.csproj" -c Release -nologo -v q >"$RUN/loadgen-build.log" 2>&1 ||
    { cat "$RUN/loadgen-build.log" >&2; die "loadgen build failed"; }
fi
BODY='peer-baseline backend: a fixed 100-byte body so every variant moves the same payload...............'
load() { # load PORT RATE SECONDS -> the loadgen's RESULT line
  env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 dotnet "$LOADGEN_DLL" --url "http://127.0.0.1:$1/" \
    --rates "$2" --duration "$3" --warmup 0 --connections "$CONNECTIONS" 2>/dev/null | grep '^RESULT' | tail -1
}
field() { grep -o "$1=[^ ]*" <<<"$2" | head -1 | cut -d= -f2; }

# start_pair PAIR: backend and both sidecars; sets FRONT (the client sidecar's port) and SIDECARS
# (client, server: the processes doing the work — nginx's worker, not its master).
start_pair() {
  local pair=$1 d
  for d in backend client server; do mkdir -p "$RUN/$pair-$d/tmp"; done
  render "$BENCH_DIR/conf/backend-nginx.conf.tmpl" "$RUN/$pair-backend/nginx.conf" DIR="$RUN/$pair-backend" LISTEN_PORT=20080 BODY="$BODY"
  start backend nginx -p "$RUN/$pair-backend/" -e "$RUN/$pair-backend/error.log" -c "$RUN/$pair-backend/nginx.conf"
  case $pair in
    nginx)
      local common=(CERTS="$CERTS" SERVER_NAME="$SERVER_NAME" BACKEND_PORT=20080)
      render "$BENCH_DIR/conf/nginx-server-sidecar.conf.tmpl" "$RUN/$pair-server/nginx.conf" DIR="$RUN/$pair-server" LISTEN_PORT=20182 "${common[@]}"
      render "$BENCH_DIR/conf/nginx-client-sidecar.conf.tmpl" "$RUN/$pair-client/nginx.conf" DIR="$RUN/$pair-client" LISTEN_PORT=20181 UPSTREAM_PORT=20182 "${common[@]}"
      start server nginx -p "$RUN/$pair-server/" -e "$RUN/$pair-server/error.log" -c "$RUN/$pair-server/nginx.conf"
      local server_master=${PIDS[-1]}
      start client nginx -p "$RUN/$pair-client/" -e "$RUN/$pair-client/error.log" -c "$RUN/$pair-client/nginx.conf"
      local client_master=${PIDS[-1]}
      FRONT=20181
      wait_ready $FRONT
      SIDECARS=("$(pgrep -P "$client_master")" "$(pgrep -P "$server_master")")
      ;;
    weft-aot | weft-jit)
      local exe env=(DOTNET_PROCESSOR_COUNT=1 DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1)
      if [[ $pair == weft-aot ]]; then
        exe=$(weft_build aot-proxy)
      else
        exe=$(weft_build jit)
        env+=(DOTNET_gcServer=0 DOTNET_GCgen0size=400000) # what `weft up` gives a JIT sidecar
      fi
      render "$repo/bench/conf/weft-server.json.tmpl" "$RUN/$pair-server/config.json" BACKEND_PORT=20080
      render "$repo/bench/conf/weft-client.json.tmpl" "$RUN/$pair-client/config.json" OUTBOUND_PORT=20381 SERVER_PORT=20382
      start server env "${env[@]}" "$exe" proxy --workload server --namespace bench --config "$RUN/$pair-server/config.json" \
        --cert "$CERTS/server.crt" --key "$CERTS/server.key" --trust-bundle "$CERTS/ca.crt" --inbound 8080=20382 --admin-port 20384
      local server=${PIDS[-1]}
      start client env "${env[@]}" "$exe" proxy --workload client --namespace bench --config "$RUN/$pair-client/config.json" \
        --cert "$CERTS/client.crt" --key "$CERTS/client.key" --trust-bundle "$CERTS/ca.crt" --outbound-port 20381 --admin-port 20383
      FRONT=20381
      wait_ready $FRONT
      SIDECARS=("${PIDS[-1]}" "$server")
      ;;
  esac
}

ticks() { awk '{ print $14, $15 }' "/proc/$1/stat"; } # user, system, in clock ticks
hz=$(getconf CLK_TCK)

measure_cpu() { # measure_cpu PAIR
  local pair=$1 before=() after=() i line n
  start_pair "$pair"
  load $FRONT "$RATE" 3 >/dev/null # warm-up (JIT tiers, connection pools)
  for i in 0 1; do before[i]=$(ticks "${SIDECARS[i]}"); done
  line=$(load $FRONT "$RATE" "$DURATION")
  for i in 0 1; do after[i]=$(ticks "${SIDECARS[i]}"); done
  n=$(field ok "$line")
  printf '%-9s %6s rps  p50 %7s µs  p99 %8s µs' "$pair" "$(field achieved_rps "$line")" "$(field p50_us "$line")" "$(field p99_us "$line")"
  for i in 0 1; do
    read -r u0 s0 <<<"${before[i]}"
    read -r u1 s1 <<<"${after[i]}"
    printf '  | %s user %4d sys %4d µs/req' "$([[ $i == 0 ]] && echo client || echo server)" \
      $(((u1 - u0) * 1000000 / hz / n)) $(((s1 - s0) * 1000000 / hz / n))
  done
  echo
  for i in 0 1; do
    printf '%-9s %s RSS now %s\n' "" "$([[ $i == 0 ]] && echo client || echo server)" \
      "$(awk '/^(VmHWM|RssAnon|RssFile):/ { printf "%s %.1f MiB  ", $1, $2 / 1024 }' "/proc/${SIDECARS[i]}/status")"
  done
  stop_all
}

measure_syscalls() { # measure_syscalls PAIR
  local pair=$1 i line n
  start_pair "$pair"
  load $FRONT "$RATE" 3 >/dev/null
  for i in 0 1; do
    strace -f -c -o "$RUN/strace-$i.txt" -p "${SIDECARS[i]}" 2>/dev/null &
    PIDS+=("$!")
  done
  sleep 1
  line=$(load $FRONT "$RATE" "$DURATION")
  n=$(field ok "$line")
  kill -INT "${PIDS[-1]}" "${PIDS[-2]}"
  wait "${PIDS[-1]}" "${PIDS[-2]}" 2>/dev/null || true
  for i in 0 1; do
    printf '%-9s %s system calls per request (%s requests):' "$pair" "$([[ $i == 0 ]] && echo client || echo server)" "$n"
    awk -v n="$n" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" {
        calls = $4; errs = ($5 ~ /^[0-9]+$/) ? $5 : 0
        if (calls / n >= 0.05) { printf "  %s %.2f", $NF, calls / n; if (errs) printf " (%.2f failed)", errs / n; total += calls / n }
      } END { printf "  = %.1f\n", total }' "$RUN/strace-$i.txt"
  done
  stop_all
}

# perf's samples, charged to the innermost layer named in their stack (the frame nearest the leaf).
LAYERS='Weft_=Weft Yarp_=YARP System_Net_Http=HttpClient Microsoft_AspNetCore_Server_Kestrel=Kestrel
  System_Net_Security=SslStream System_Net_Sockets=sockets System_IO_Pipelines=pipelines S_P_Uri=Uri
  Microsoft_AspNetCore=ASP.NET-hosting Microsoft_Extensions=extensions ngx_=nginx'
measure_profile() { # measure_profile PAIR
  local pair=$1
  start_pair "$pair"
  load $FRONT "$RATE" 3 >/dev/null
  perf record -q -e cpu-clock:u -F 2000 -g -p "${SIDECARS[0]}" -o "$RUN/perf.data" -- sleep "$DURATION" 2>/dev/null &
  local recorder=$!
  load $FRONT "$RATE" "$DURATION" >/dev/null
  wait "$recorder" || true
  echo "$pair client sidecar, user-space time by innermost layer:"
  perf script -i "$RUN/perf.data" -F ip,sym,dso 2>/dev/null | awk -v layers="$LAYERS" '
    BEGIN { n = split(layers, kv, /[ \n]+/); for (i = 1; i <= n; i++) if (split(kv[i], p, "=") == 2) { pre[++m] = p[1]; name[m] = p[2] } }
    function flush() { if (!frames) return; total++; owner = (dso[1] ~ /libcrypto|libssl/) ? "OpenSSL" : ""
      for (f = 1; f <= frames && owner == ""; f++) for (j = 1; j <= m; j++) if (index(sym[f], pre[j]) == 1) { owner = name[j]; break }
      if (owner == "") owner = "runtime (GC, casts, dispatch), libc"
      count[owner]++; frames = 0 }
    /^$/ { flush(); next }
    { frames++; sym[frames] = $2; dso[frames] = $NF }
    END { flush(); for (o in count) printf "  %5.1f %%  %s\n", 100 * count[o] / total, o | "sort -rn"; close("sort -rn"); printf "  (%d samples)\n", total }'
  stop_all
}

for pair in "${PAIRS[@]}"; do
  log "$pair: CPU and memory at $RATE rps for $DURATION s"
  measure_cpu "$pair"
  if ((STRACE)); then log "$pair: system calls"; measure_syscalls "$pair"; fi
  if ((PERF)); then log "$pair: profile"; measure_profile "$pair"; fi
done

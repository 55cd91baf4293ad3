# bench/variants/weft-pair.sh — Weft's sidecar pair for the shared harness peer-baseline.sh:
#
#   load -> weft client sidecar (outbound, :20381) =(mTLS, TLS 1.3, ECDSA P-256)=> weft server sidecar
#        (inbound, :20382, PeerAuthentication STRICT) -> backend ($BACKEND_PORT)
#
# Two real `weft proxy` processes (the same binary and code path `weft up` runs), built in Release,
# each with DOTNET_PROCESSOR_COUNT=1 (the harness gives every proxy one worker/thread). They run in
# static mode (`weft proxy --config FILE --cert --key --trust-bundle`): the config is a ProxyConfig
# of the shape the mesh compiler emits for bench/mesh (see bench/conf/weft-*.json.tmpl) and the
# certificates are the harness's test PKI, so the harness's mTLS refusal check applies unchanged.
#
# Run from the repository root:
#   EXTRA_VARIANTS_DIRS="$PWD/bench/variants" RESULTS_DIR="$PWD/bench/results" \
#     VARIANTS="direct nginx-pair haproxy-pair weft-pair" /work/shared/bench/peer-baseline.sh
#
# Knobs (environment of the harness):
#   WEFT_ENV="K=V ..."   extra environment for both sidecars (GC and JIT settings, see bench/README.md)
#   WEFT_BUILD=jit|r2r|aot|aot-proxy
#                        jit (default): `dotnet build -c Release`; r2r: `dotnet publish -c Release
#                        -p:PublishReadyToRun=true` into bench/.build/r2r (precompiled framework-dependent);
#                        aot: the whole CLI published with NativeAOT into bench/.build/aot (only `weft proxy`
#                        is AOT-clean, see bench/README.md); aot-proxy: src/Weft.ProxyAot, the proxy alone
#                        with NativeAOT (`weft-proxy proxy ARGS`), into bench/.build/aot-proxy
# NativeAOT reads DOTNET_ GC settings as bare hex digits: DOTNET_GCgen0size=400000, not 0x400000 (which
# it silently ignores); the JIT runtime accepts both.
# Extra variants with fixed knobs (one harness run compares them under the same conditions) are in
# weft-knobs.sh.

WEFT_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# weft_build KIND -> prints the path of the weft executable, building it when needed.
weft_build() {
  local kind=$1 log="$RUN/weft-build-$1.log"
  case $kind in
    jit)
      dotnet build "$WEFT_REPO_ROOT/src/Weft.Cli" -c Release -nologo -v q >"$log" 2>&1 ||
        { cat "$log" >&2; die "weft build failed"; }
      echo "$WEFT_REPO_ROOT/src/Weft.Cli/bin/Release/net10.0/weft"
      ;;
    r2r)
      dotnet publish "$WEFT_REPO_ROOT/src/Weft.Cli" -c Release -r linux-x64 --self-contained false \
        -p:PublishReadyToRun=true -o "$WEFT_REPO_ROOT/bench/.build/r2r" -nologo -v q >"$log" 2>&1 ||
        { cat "$log" >&2; die "weft ReadyToRun publish failed"; }
      echo "$WEFT_REPO_ROOT/bench/.build/r2r/weft"
      ;;
    aot)
      # NativeAOT. TreatWarningsAsErrors=false: the CLI's other commands (status, stat, analyze, up, demo-app…)
      # still serialize JSON by reflection and warn (IL2026/IL3050); the proxy's own projects are kept
      # warning-free by IsAotCompatible in the normal build. ILC is incremental: a second publish is quick.
      # Each AOT kind builds in its own artifacts tree: sharing bin/obj with the other kinds (whose
      # global properties differ) would rebuild the libraries and redo the minutes-long ILC step each time.
      dotnet publish "$WEFT_REPO_ROOT/src/Weft.Cli" -c Release -r linux-x64 -p:PublishAot=true \
        -p:TreatWarningsAsErrors=false --artifacts-path "$WEFT_REPO_ROOT/bench/.build/artifacts-aot" \
        -o "$WEFT_REPO_ROOT/bench/.build/aot" -nologo -v q >"$log" 2>&1 ||
        { cat "$log" >&2; die "weft NativeAOT publish failed"; }
      echo "$WEFT_REPO_ROOT/bench/.build/aot/weft"
      ;;
    aot-proxy)
      dotnet publish "$WEFT_REPO_ROOT/src/Weft.ProxyAot" -c Release -r linux-x64 \
        --artifacts-path "$WEFT_REPO_ROOT/bench/.build/artifacts-aot-proxy" \
        -o "$WEFT_REPO_ROOT/bench/.build/aot-proxy" -nologo -v q >"$log" 2>&1 ||
        { cat "$log" >&2; die "weft-proxy NativeAOT publish failed"; }
      echo "$WEFT_REPO_ROOT/bench/.build/aot-proxy/weft-proxy"
      ;;
    *) die "WEFT_BUILD must be jit, r2r, aot or aot-proxy, not '$kind'" ;;
  esac
}

# weft_pair_start BUILD ENV...: starts the pair; ENV are K=V settings for both sidecars.
weft_pair_start() {
  local build=$1
  shift
  local out=20381 in=20382 admin_client=20383 admin_server=20384 exe p
  for p in $out $in $admin_client $admin_server; do free_port_check "$p"; done
  log "weft-pair: building ($build)"
  exe=$(weft_build "$build")
  mkdir -p "$RUN/weft-server" "$RUN/weft-client"
  render "$WEFT_REPO_ROOT/bench/conf/weft-server.json.tmpl" "$RUN/weft-server/config.json" BACKEND_PORT="$BACKEND_PORT"
  render "$WEFT_REPO_ROOT/bench/conf/weft-client.json.tmpl" "$RUN/weft-client/config.json" OUTBOUND_PORT="$out" SERVER_PORT="$in"
  local knobs=(DOTNET_PROCESSOR_COUNT=1 "$@")
  log "weft-pair: ${knobs[*]}"
  start_proc server weft-server env "${knobs[@]}" "$exe" proxy --workload server --namespace bench \
    --config "$RUN/weft-server/config.json" --cert "$CERTS/server.crt" --key "$CERTS/server.key" --trust-bundle "$CERTS/ca.crt" \
    --inbound "8080=$in" --admin-port "$admin_server"
  wait_port "$in" "$LAST_PID"
  start_proc client weft-client env "${knobs[@]}" "$exe" proxy --workload client --namespace bench \
    --config "$RUN/weft-client/config.json" --cert "$CERTS/client.crt" --key "$CERTS/client.key" --trust-bundle "$CERTS/ca.crt" \
    --outbound-port "$out" --admin-port "$admin_client"
  FRONT_PORT=$out
  MTLS_PORT=$in
}

variant_weft_pair() {
  # shellcheck disable=SC2086 # WEFT_ENV is a list of K=V words
  weft_pair_start "${WEFT_BUILD:-jit}" ${WEFT_ENV:-}
}

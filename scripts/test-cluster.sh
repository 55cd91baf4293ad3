#!/usr/bin/env bash
# A real single-node Kubernetes for Weft's tests, built from Debian's own packages (no registry, no
# Docker): Kubernetes 1.20.2 compiled from Debian's `kubernetes` source package with Debian's Go, etcd,
# containerd, runc and the CNI plugins from Debian, images imported from local tarballs.
#
#   scripts/test-cluster.sh build         compile the binaries once per machine (cached, see CACHE_ROOT)
#   scripts/test-cluster.sh up            build if needed, start everything, print the kubeconfig path last
#   scripts/test-cluster.sh load-images   (re)import weft:dev and pause into containerd (after a rebuild)
#   scripts/test-cluster.sh status        what runs; exit 0 only when the API server answers
#   scripts/test-cluster.sh down          stop and remove everything `up` made (the build cache stays)
#
# Needs root (network namespaces, iptables, containerd). The recipe and its measurements are in
# ../shared/research/kubernetes-here.md; why each flag is there is said where it is set.
set -euo pipefail

K8S_VERSION=1.20.2
# The orig tarball of Debian's kubernetes 1.20.5+really1.20.2 (the full upstream tree with vendor/).
SRC_VERSION=1.20.5+really1.20.2
SRC_SHA256=b83c0780efb182d928dc63d46488a847f161f04e40a94b96bf5247dd671ecdfc
# Bump when the build steps change, so a machine's cached binaries are rebuilt.
RECIPE=2
CACHE_ROOT=${WEFT_TEST_CLUSTER_CACHE:-/var/cache/weft-test-cluster}
BIN_DIR=$CACHE_ROOT/$K8S_VERSION-${SRC_SHA256:0:12}-r$RECIPE/bin
STATE=${WEFT_TEST_CLUSTER_STATE:-/var/run/weft-test-cluster}
KUBECONFIG_PATH=$STATE/admin.kubeconfig
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SELF=$REPO/scripts/$(basename "${BASH_SOURCE[0]}")

# Addresses. The node needs a non-loopback IP the kubelet accepts; 198.18.0.0/15 is the benchmarking
# range (RFC 2544), never routed, so nothing here can collide with a real network.
NODE_IP=198.18.0.1
POD_CIDR=198.18.1.0/24
BRIDGE=weft-cni0
BRIDGE_IP=198.18.1.1
SERVICE_CIDR=10.96.0.0/24
KUBERNETES_SVC_IP=10.96.0.1
CLUSTER_DOMAIN=cluster.local
ETCD_PORT=12379
ETCD_PEER_PORT=12380
APISERVER_PORT=16443
NODE_NAME=weft-node

log() { echo "test-cluster: $*" >&2; }
die() { log "$*"; exit 1; }
need_root() { [[ $(id -u) == 0 ]] || die "must run as root (network namespaces, iptables, containerd)"; }

# ---------------------------------------------------------------------------------------------------
# Packages

APT_PACKAGES=(etcd-server golang-go golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev
  containerd runc containernetworking-plugins iptables conntrack iproute2 util-linux dnsmasq-base openssl curl jq
  gcc libc6-dev ca-certificates)

install_packages() {
  local missing=() p
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  (( ${#missing[@]} == 0 )) && return 0
  log "installing Debian packages: ${missing[*]}"
  # A package's post-install would start its system service (containerd, etcd); this script runs its own.
  local created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
  fi
  apt-get update -qq >/dev/null || true
  local rc=0
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || rc=$?
  if [[ $created_policy == 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
  (( rc == 0 )) || die "apt-get install ${missing[*]} failed"
}

# ---------------------------------------------------------------------------------------------------
# Build (once per machine)

# The source package comes through a private apt state (its own sources list and lists directory), so
# the machine's apt configuration gains no deb-src line and later `apt-get update` runs are unaffected.
fetch_source() {
  local dest=$1 tarball=$CACHE_ROOT/src/kubernetes_$SRC_VERSION.orig.tar.gz
  if [[ -f $tarball ]] && echo "$SRC_SHA256  $tarball" | sha256sum -c --status; then
    echo "$tarball"; return
  fi
  mkdir -p "$CACHE_ROOT/src" "$dest/apt/lists/partial"
  local suite
  suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
  # bookworm carries 1.20.5+really1.20.2-1.1+deb12u1, bullseye 1.20.5+really1.20.2-1: the same orig tarball.
  local s
  for s in $(printf '%s\n' "$suite" bookworm | sort -u); do
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $s main"
  done > "$dest/apt/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$dest/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$dest/apt/lists" -o "Dir::Cache=$dest/apt/cache")
  apt-get "${opts[@]}" update -qq >/dev/null
  (cd "$CACHE_ROOT/src" && apt-get "${opts[@]}" source --download-only -qq "kubernetes=$(apt-cache "${opts[@]}" showsrc kubernetes \
      | awk '/^Version: 1\.20\.5\+really1\.20\.2/ {print $2; exit}')" >/dev/null)
  echo "$SRC_SHA256  $tarball" | sha256sum -c --status || die "$tarball: sha256 is not $SRC_SHA256"
  echo "$tarball"
}

build() {
  need_root
  if [[ -x $BIN_DIR/kube-apiserver && -x $BIN_DIR/kubelet && -x $BIN_DIR/kube-proxy ]]; then
    log "binaries cached in $BIN_DIR"; return
  fi
  install_packages
  local work=$CACHE_ROOT/build
  rm -rf "$work"; mkdir -p "$work"
  local tarball; tarball=$(fetch_source "$work")
  local started=$SECONDS
  local k=$work/gopath/src/k8s.io/kubernetes
  mkdir -p "$k"
  tar -xzf "$tarball" -C "$k" --strip-components=1
  cd "$k"
  # REQUIRED: the vendored reflect2 1.0.1 with Go 1.19 crashes the API server on the first custom-object
  # create (fatal error: fault in reflect2.(*UnsafeMapType).UnsafeIterate); Debian's newer copies work.
  local d
  for d in github.com/modern-go/reflect2 github.com/json-iterator/go; do
    rm -rf "vendor/$d"; cp -r "/usr/share/gocode/src/$d" "vendor/$d"
  done
  # GOPATH mode: module mode fails with "updates to go.mod needed" on this tree and Go.
  export GOPATH=$work/gopath GO111MODULE=off GOPROXY=off CGO_ENABLED=0 GOFLAGS= GOCACHE=$work/gocache
  local go=(nice -n 10 go)
  "${go[@]}" build -o "$work/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
  # The packages whose types the API server publishes in its OpenAPI document (what the Makefile's
  # generated-files rule gives openapi-gen), as GOPATH import paths.
  local inputs
  inputs=$(grep -rl --include='*.go' '^// *+k8s:openapi-gen=' pkg cmd staging/src vendor 2>/dev/null \
    | grep -v -e '/_' -e '/testdata/' -e '_test\.go$' | xargs -n1 dirname | sort -u \
    | sed -e 's#^staging/src/#vendor/#' -e 's#^#k8s.io/kubernetes/#' | sort -u | paste -sd, -)
  "${go[@]}" run ./vendor/k8s.io/kube-openapi/cmd/openapi-gen --help >/dev/null 2>&1 || true
  nice -n 10 "$work/openapi-gen" -i "$inputs" -p k8s.io/kubernetes/pkg/generated/openapi -O zz_generated.openapi \
    --go-header-file hack/boilerplate/boilerplate.generatego.txt --output-base "$GOPATH/src" \
    -r "$work/openapi-violations.txt"
  # The version every component reports (the API server's /version comes from client-go's copy; the
  # kubelet's from component-base's). The paths need the vendor/ prefix in GOPATH mode, or they say
  # v0.0.0-master with no major/minor.
  local ldflags="-s -w" v
  for v in k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
    ldflags+=" -X $v.gitVersion=v$K8S_VERSION -X $v.gitMajor=${K8S_VERSION%%.*} -X $v.gitMinor=$(cut -d. -f2 <<<"$K8S_VERSION")"
    ldflags+=" -X $v.gitTreeState=clean -X $v.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  done
  mkdir -p "$work/bin"
  # providerless: no cloud providers (nothing here talks to a cloud), a smaller and faster build.
  "${go[@]}" build -p 2 -trimpath -tags providerless -ldflags "$ldflags" -o "$work/bin/" \
    ./cmd/kube-apiserver ./cmd/kube-controller-manager ./cmd/kube-scheduler ./cmd/kubelet ./cmd/kube-proxy
  mkdir -p "$(dirname "$BIN_DIR")"
  rm -rf "$BIN_DIR"; mv "$work/bin" "$BIN_DIR"
  # Binaries of earlier recipes are not used again.
  local old
  for old in "$CACHE_ROOT"/*-r*/; do
    [[ ${old%/} == "$(dirname "$BIN_DIR")" ]] || rm -rf "$old"
  done
  cd /; rm -rf "$work"
  log "built Kubernetes $K8S_VERSION in $((SECONDS - started)) s into $BIN_DIR"
}

# ---------------------------------------------------------------------------------------------------
# Running it

# What `up` makes outside $STATE, so `down` can take it away again.
VARLIB=/var/lib/weft-test-cluster
CONTAINERD_SOCK=$STATE/containerd/containerd.sock
PAUSE_IMAGE=docker.io/weft/pause:dev
IMAGE_DIR=${WEFT_IMAGE_DIR:-$CACHE_ROOT/images}
# Host settings the kubelet and kube-proxy change; their values before `up` are restored by `down`.
SYSCTLS=(net.ipv4.ip_forward net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables
  vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes)

kubectl_admin() { kubectl --kubeconfig "$KUBECONFIG_PATH" "$@"; }
pid_of() { [[ -f $STATE/pids/$1 ]] && cat "$STATE/pids/$1"; }
alive() { local pid; pid=$(pid_of "$1") && [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; }

# Starts a component in its own session (so `down` can end it and its children), logging to $STATE/logs.
start() {
  local name=$1; shift
  if alive "$name"; then return; fi
  setsid "$@" > "$STATE/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE/pids/$name"
}

fail() {
  local name=$1; shift
  log "$*"
  if [[ -f $STATE/logs/$name.log ]]; then
    log "last lines of $STATE/logs/$name.log:"
    tail -n 40 "$STATE/logs/$name.log" >&2
  fi
  exit 1
}

# wait_for COMPONENT SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds, the deadline
# passes or the component's process exits.
wait_for() {
  local name=$1 seconds=$2 what=$3; shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    alive "$name" || fail "$name" "$name exited while waiting for $what"
    (( SECONDS < deadline )) || fail "$name" "$what: not within ${seconds} s"
    sleep 0.5
  done
}

cert() { # cert NAME SUBJECT [SANS]: a key and a certificate signed by the cluster CA
  local name=$1 subject=$2 sans=${3:-} ext=$STATE/pki/$1.ext
  [[ -f $STATE/pki/$name.crt ]] && return
  openssl genrsa -out "$STATE/pki/$name.key" 2048 2>/dev/null
  openssl req -new -key "$STATE/pki/$name.key" -subj "$subject" -out "$STATE/pki/$name.csr" 2>/dev/null
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n $sans ]]; then echo "extendedKeyUsage=serverAuth,clientAuth"; echo "subjectAltName=$sans"
    else echo "extendedKeyUsage=clientAuth"; fi; } > "$ext"
  openssl x509 -req -in "$STATE/pki/$name.csr" -CA "$STATE/pki/ca.crt" -CAkey "$STATE/pki/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$ext" -out "$STATE/pki/$name.crt" 2>/dev/null
  rm -f "$STATE/pki/$name.csr" "$ext"
}

write_pki() {
  mkdir -p "$STATE/pki"; chmod 700 "$STATE/pki"
  if [[ ! -f $STATE/pki/ca.crt ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$STATE/pki/ca.key" -out "$STATE/pki/ca.crt" -days 3650 \
      -subj "/CN=weft-test-cluster-ca" -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
  fi
  cert apiserver "/CN=kube-apiserver" "IP:$NODE_IP,IP:$KUBERNETES_SVC_IP,IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.$CLUSTER_DOMAIN"
  cert kubelet "/CN=$NODE_NAME" "IP:$NODE_IP,DNS:$NODE_NAME"
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  if [[ ! -f $STATE/pki/sa.key ]]; then
    openssl genrsa -out "$STATE/pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$STATE/pki/sa.key" -pubout -out "$STATE/pki/sa.pub" 2>/dev/null
  fi
  # Every component authenticates with a static token (one a user, in its groups): no client
  # certificates to rotate for a cluster that lives for one CI run.
  if [[ ! -f $STATE/pki/tokens.csv ]]; then
    local user groups
    while read -r user groups; do
      echo "$(openssl rand -hex 24),$user,$user,\"$groups\""
    done > "$STATE/pki/tokens.csv" <<EOF
admin system:masters
system:node:$NODE_NAME system:nodes
system:kube-controller-manager system:authenticated
system:kube-scheduler system:authenticated
system:kube-proxy system:authenticated
EOF
  fi
  local name
  for name in admin kubelet kube-controller-manager kube-scheduler kube-proxy; do
    local user=$name
    case $name in kubelet) user=system:node:$NODE_NAME ;; kube-*) user=system:$name ;; esac
    local token; token=$(awk -F, -v u="$user" '$2 == u {print $1}' "$STATE/pki/tokens.csv")
    cat > "$STATE/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: weft-test
  cluster:
    server: https://$NODE_IP:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 "$STATE/pki/ca.crt")
users:
- name: $user
  user:
    token: $token
contexts:
- name: weft-test
  context: {cluster: weft-test, user: "$user"}
current-context: weft-test
EOF
    chmod 600 "$STATE/$name.kubeconfig"
  done
}

save_sysctls() {
  [[ -f $STATE/sysctl.saved ]] && return
  local key
  for key in "${SYSCTLS[@]}"; do
    [[ -e /proc/sys/${key//.//} ]] && echo "$key=$(cat "/proc/sys/${key//.//}")"
  done > "$STATE/sysctl.saved"
}

setup_network() {
  ip -o addr show dev lo | grep -q " $NODE_IP/" || ip addr add "$NODE_IP/32" dev lo
  # Pods reach services through the node: DNAT and forwarding between the bridge's ports.
  echo 1 > /proc/sys/net/ipv4/ip_forward
  [[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] && echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables
  mkdir -p "$STATE/cni/net.d" "$STATE/cni/ipam"
  # The bridge plugin makes the bridge on the first pod; no masquerade: pods talk to each other, the
  # node and services only, never beyond the node.
  cat > "$STATE/cni/net.d/10-weft-test.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "weft-test",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$STATE/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$BRIDGE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    }
  ]
}
EOF
}

start_etcd() {
  mkdir -p "$VARLIB/etcd"
  start etcd etcd --name default --data-dir "$VARLIB/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "default=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync=true
  wait_for etcd 30 "etcd healthy" curl -fsS "http://127.0.0.1:$ETCD_PORT/health"
}

start_apiserver() {
  start kube-apiserver "$BIN_DIR/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address="$NODE_IP" --advertise-address="$NODE_IP" --secure-port="$APISERVER_PORT" --insecure-port=0 \
    --tls-cert-file="$STATE/pki/apiserver.crt" --tls-private-key-file="$STATE/pki/apiserver.key" \
    --client-ca-file="$STATE/pki/ca.crt" --token-auth-file="$STATE/pki/tokens.csv" \
    --kubelet-client-certificate="$STATE/pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$STATE/pki/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$STATE/pki/ca.crt" --kubelet-preferred-address-types=InternalIP,Hostname \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --service-account-issuer="https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --service-account-key-file="$STATE/pki/sa.pub" --service-account-signing-key-file="$STATE/pki/sa.key" \
    --api-audiences="https://kubernetes.default.svc.$CLUSTER_DOMAIN" \
    --authorization-mode=Node,RBAC --allow-privileged=true \
    --enable-admission-plugins=NamespaceLifecycle,LimitRanger,ServiceAccount,DefaultTolerationSeconds,NodeRestriction,Priority,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ResourceQuota \
    --profiling=false --v=1
  wait_for kube-apiserver 90 "kube-apiserver /readyz" curl -fsS --cacert "$STATE/pki/ca.crt" "https://$NODE_IP:$APISERVER_PORT/readyz"
}

start_controllers() {
  start kube-controller-manager "$BIN_DIR/kube-controller-manager" --kubeconfig="$STATE/kube-controller-manager.kubeconfig" \
    --service-account-private-key-file="$STATE/pki/sa.key" --root-ca-file="$STATE/pki/ca.crt" \
    --use-service-account-credentials=true --service-cluster-ip-range="$SERVICE_CIDR" \
    --cluster-signing-cert-file="$STATE/pki/ca.crt" --cluster-signing-key-file="$STATE/pki/ca.key" \
    --leader-elect=false --port=0 --secure-port=0 --profiling=false --v=1
  start kube-scheduler "$BIN_DIR/kube-scheduler" --kubeconfig="$STATE/kube-scheduler.kubeconfig" \
    --leader-elect=false --port=0 --secure-port=0 --profiling=false --v=1
}

start_containerd() {
  mkdir -p "$STATE/containerd" "$VARLIB/containerd"
  cat > "$STATE/containerd/config.toml" <<EOF
version = 2
root = "$VARLIB/containerd/root"
state = "$STATE/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"
[debug]
  address = "$CONTAINERD_SOCK.debug"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # root here lacks CAP_SYS_RESOURCE: without this runc fails "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  enable_cdi = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ""
EOF
  start containerd containerd --config "$STATE/containerd/config.toml"
  wait_for containerd 30 "containerd answering" ctr --address "$CONTAINERD_SOCK" version
}

load_images() {
  need_root
  [[ -S $CONTAINERD_SOCK ]] || die "containerd is not running (scripts/test-cluster.sh up)"
  "$REPO/scripts/build-images.sh" pause >/dev/null
  local tar
  for tar in "$IMAGE_DIR"/pause.tar "$IMAGE_DIR"/weft.tar; do
    if [[ -f $tar ]]; then
      ctr --address "$CONTAINERD_SOCK" -n k8s.io images import --no-unpack=false "$tar" >/dev/null
      log "imported $(basename "$tar")"
    elif [[ $tar == */weft.tar ]]; then
      log "no $tar: build it with scripts/build-images.sh weft, then run scripts/test-cluster.sh load-images"
    fi
  done
}

start_kubelet() {
  mkdir -p "$VARLIB/kubelet" "$STATE/kubelet"
  # Pods with dnsPolicy Default read this; nothing is resolved beyond the cluster.
  echo "nameserver $NODE_IP" > "$STATE/kubelet/resolv.conf"
  cat > "$STATE/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$STATE/pki/ca.crt"}
authorization: {mode: Webhook}
tlsCertFile: "$STATE/pki/kubelet.crt"
tlsPrivateKeyFile: "$STATE/pki/kubelet.key"
cgroupDriver: cgroupfs
clusterDomain: $CLUSTER_DOMAIN
clusterDNS: [$NODE_IP]
resolvConf: "$STATE/kubelet/resolv.conf"
failSwapOn: false
# Images come from local tarballs, not a registry: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
serializeImagePulls: false
maxPods: 110
EOF
  start kubelet "$BIN_DIR/kubelet" --config="$STATE/kubelet/config.yaml" --kubeconfig="$STATE/kubelet.kubeconfig" \
    --container-runtime=remote --container-runtime-endpoint="unix://$CONTAINERD_SOCK" \
    --node-ip="$NODE_IP" --hostname-override="$NODE_NAME" --root-dir="$VARLIB/kubelet" \
    --cert-dir="$STATE/kubelet" --v=1
  wait_for kubelet 120 "node $NODE_NAME Ready" node_ready
}

node_ready() {
  [[ $(kubectl_admin get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

start_proxy() {
  cat > "$STATE/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: "$STATE/kube-proxy.kubeconfig"}
hostnameOverride: $NODE_NAME
bindAddress: $NODE_IP
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# NodePorts only on the node's own address, never on the machine's other addresses.
nodePortAddresses: ["$NODE_IP/32"]
# Leave the machine's conntrack settings alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
  start kube-proxy "$BIN_DIR/kube-proxy" --config="$STATE/kube-proxy.yaml" --v=1
  wait_for kube-proxy 60 "kube-proxy /healthz" curl -fsS http://127.0.0.1:10256/healthz
}

# Cluster DNS: Debian has no CoreDNS, so dnsmasq (dnsmasq-base) on the node address answers
# <service>.<namespace>.svc.cluster.local (and headless services' endpoints) from a hosts file that a
# small loop keeps in step with the API server (within 2 s); dnsmasq rereads its --hostsdir on change.
start_dns() {
  mkdir -p "$STATE/dns/hosts"
  : > "$STATE/dns/hosts/services"
  start dnsmasq dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
    --listen-address="$NODE_IP" --bind-interfaces --port=53 --user=root \
    --hostsdir="$STATE/dns/hosts" --local="/$CLUSTER_DOMAIN/" --domain-needed --log-facility=- \
    --pid-file="$STATE/dns/dnsmasq.pid"
  start dns-feeder "$SELF" dns-feeder
  wait_for dns-feeder 30 "cluster DNS records (kubernetes.default)" \
    grep -q "^$KUBERNETES_SVC_IP kubernetes.default.svc.$CLUSTER_DOMAIN\$" "$STATE/dns/hosts/services"
  alive dnsmasq || fail dnsmasq "dnsmasq exited"
}

# The loop behind cluster DNS: every 2 s, services (and headless services' endpoints) as hosts lines.
# curl and jq rather than kubectl, whose start each second cost ~5 % of a core; this costs < 1 %.
dns_feeder() {
  shopt -s extglob
  local api=https://$NODE_IP:$APISERVER_PORT token
  token=$(awk -F, '$2 == "admin" {print $1}' "$STATE/pki/tokens.csv")
  local filter='
    (.[0].items | map(select(.spec.clusterIP == "None") | "\(.metadata.namespace)/\(.metadata.name)")) as $headless
    | (.[0].items[] | select((.spec.clusterIP // "None") != "None" and .spec.clusterIP != "")
        | "\(.spec.clusterIP) \(.metadata.name).\(.metadata.namespace).svc.\($domain)"),
      (.[1].items[] | select("\(.metadata.namespace)/\(.metadata.name)" as $k | $headless | index($k))
        | . as $e | (.subsets // [])[] | (.addresses // [])[]
        | "\(.ip) \($e.metadata.name).\($e.metadata.namespace).svc.\($domain)",
          (select(.hostname) | "\(.ip) \(.hostname).\($e.metadata.name).\($e.metadata.namespace).svc.\($domain)"))'
  local out=$STATE/dns/hosts/services lists previous_lists="" current
  local get=(curl -fsS --cacert "$STATE/pki/ca.crt" -H "Authorization: Bearer $token")
  while true; do
    # Only when an object changed (resource versions aside) is jq run: its start costs more than the fetch.
    if lists=$("${get[@]}" "$api/api/v1/services" "$api/api/v1/endpoints" 2>/dev/null) \
        && [[ ${lists//\"resourceVersion\":\"+([0-9])\"/} != "$previous_lists" ]] \
        && current=$(jq -rs --arg domain "$CLUSTER_DOMAIN" "$filter" <<<"$lists" | sort) && [[ -n $current ]]; then
      printf '%s\n' "$current" > "$out.tmp" && mv "$out.tmp" "$out"
      previous_lists=${lists//\"resourceVersion\":\"+([0-9])\"/}
    fi
    sleep 2
  done
}

up() {
  need_root
  if [[ -f $KUBECONFIG_PATH ]] && alive kube-apiserver && alive kubelet \
      && kubectl_admin get --raw /readyz >/dev/null 2>&1; then
    echo "$KUBECONFIG_PATH"; return
  fi
  install_packages
  build
  local started=$SECONDS
  mkdir -p "$STATE/logs" "$STATE/pids"
  save_sysctls
  write_pki
  setup_network
  start_etcd
  start_apiserver
  log "kube-apiserver ready at https://$NODE_IP:$APISERVER_PORT ($((SECONDS - started)) s)"
  start_controllers
  start_containerd
  load_images
  start_proxy
  start_dns
  start_kubelet
  wait_for kube-controller-manager 60 "the default ServiceAccount" kubectl_admin -n default get serviceaccount default
  alive kube-scheduler || fail kube-scheduler "kube-scheduler exited"
  log "cluster up in $((SECONDS - started)) s; logs in $STATE/logs"
  echo "$KUBECONFIG_PATH"
}

stop() { # stop NAME: TERM its session, KILL after 10 s
  local pid; pid=$(pid_of "$1") || return 0
  [[ -n $pid ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$STATE/pids/$1"
}

# Removes the iptables rules kube-proxy and the kubelet added (chains KUBE-*, and the jumps to them).
clean_iptables() {
  local table
  for table in filter nat mangle; do
    local rules; rules=$(iptables-save -t "$table" 2>/dev/null) || continue
    local rule
    while read -r rule; do
      [[ -n $rule ]] || continue
      # shellcheck disable=SC2086 # the saved rule is split into iptables arguments as written
      eval "iptables -t $table ${rule/-A/-D}" 2>/dev/null || true
    done < <(grep -E '^-A [A-Z]+ .*-j KUBE-' <<<"$rules" | grep -vE '^-A KUBE-' || true)
    local chain
    for chain in $(grep -oE '^:KUBE-[A-Z0-9-]+' <<<"$rules" | tr -d :); do iptables -t "$table" -F "$chain" 2>/dev/null || true; done
    for chain in $(grep -oE '^:KUBE-[A-Z0-9-]+' <<<"$rules" | tr -d :); do iptables -t "$table" -X "$chain" 2>/dev/null || true; done
  done
}

down() {
  need_root
  stop kubelet
  if [[ -S $CONTAINERD_SOCK ]]; then
    local c
    for c in $(ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
      ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
    done
    for c in $(ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
      local i; for i in $(seq 1 20); do ctr --address "$CONTAINERD_SOCK" -n k8s.io tasks delete "$c" >/dev/null 2>&1 && break; sleep 0.25; done
    done
    for c in $(ctr --address "$CONTAINERD_SOCK" -n k8s.io containers ls -q 2>/dev/null); do
      ctr --address "$CONTAINERD_SOCK" -n k8s.io containers delete "$c" >/dev/null 2>&1 || true
    done
  fi
  local ns
  for ns in $(ip netns list 2>/dev/null | awk '/^cni-/ {print $1}'); do ip netns delete "$ns" 2>/dev/null || true; done
  stop dns-feeder; stop dnsmasq; stop kube-proxy; stop kube-scheduler; stop kube-controller-manager
  stop kube-apiserver; stop etcd; stop containerd
  # Leftover shims (containerd-shim-runc-v2 runs in its own session) of this containerd.
  local pid
  for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $CONTAINERD_SOCK" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  local m
  # /proc/mounts names real paths (/run, not /var/run).
  for m in $(awk -v a="$(realpath -m "$VARLIB")/" -v b="$(realpath -m "$STATE")/" 'index($2, a) == 1 || index($2, b) == 1 {print $2}' /proc/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link delete "$BRIDGE"
  ip addr del "$NODE_IP/32" dev lo 2>/dev/null || true
  [[ -x $BIN_DIR/kube-proxy ]] && "$BIN_DIR/kube-proxy" --cleanup >/dev/null 2>&1 || true
  clean_iptables
  # The kubelet's pod cgroups (cgroupfs driver).
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [[ -d $hierarchy ]] && find "$hierarchy" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  rm -rf /var/log/pods /var/log/containers
  # What runc, the shims and the CNI library keep outside the configured directories: runc's state in
  # /run/containerd/runc/k8s.io, the shims' sockets in /run/containerd/s, the CNI results cache. Left
  # alone when a system containerd runs beside this one.
  if [[ ! -S /run/containerd/containerd.sock ]]; then
    rm -rf /run/containerd/runc/k8s.io /run/containerd/s
    rmdir /run/containerd/runc /run/containerd 2>/dev/null || true
  fi
  rm -f /var/lib/cni/results/weft-test-* /var/lib/cni/results/cni-loopback-*
  rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null || true
  if [[ -f $STATE/sysctl.saved ]]; then
    local line
    while IFS== read -r key value; do
      echo "$value" > "/proc/sys/${key//.//}" 2>/dev/null || true
    done < "$STATE/sysctl.saved"
  fi
  rm -rf "$STATE" "$VARLIB"
  log "down: everything removed (build cache kept in $CACHE_ROOT)"
}

status() {
  local name rc=0
  for name in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kube-proxy dnsmasq dns-feeder kubelet; do
    if alive "$name"; then echo "$name: running (pid $(pid_of "$name"))"; else echo "$name: not running"; fi
  done
  if [[ -f $KUBECONFIG_PATH ]] && kubectl_admin get --raw /readyz >/dev/null 2>&1; then
    echo "api server: ready at https://$NODE_IP:$APISERVER_PORT"
    kubectl_admin get nodes --no-headers 2>/dev/null | sed 's/^/node: /'
    echo "kubeconfig: $KUBECONFIG_PATH"
  else
    echo "api server: not answering"; rc=1
  fi
  return $rc
}

main() {
  local cmd=${1:-}
  case $cmd in
    build) build ;;
    up) up ;;
    down) down ;;
    status) status ;;
    load-images) load_images ;;
    dns-feeder) dns_feeder ;;
    *) die "usage: $SELF build|up|down|status|load-images" ;;
  esac
}
main "$@"

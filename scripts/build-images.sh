#!/usr/bin/env bash
# Weft's container images without a registry or a Docker engine: image tarballs (Docker archive
# format, which `ctr images import` and `docker load` read) built from this checkout's publish and
# the host's own files.
#
#   scripts/build-images.sh [weft|pause|all]     (default all)
#   WEFT_SOURCE=DIR   publish DIR's src/ instead of this checkout's; WEFT_IMAGE_DIR=DIR   where the tarballs go
#
#   docker.io/weft/weft:dev   -> $WEFT_IMAGE_DIR/weft.tar  the `weft` CLI (self-contained, linux-x64:
#                                control plane, `weft proxy`, `weft demo-app`) at /usr/local/bin/weft,
#                                the NativeAOT sidecar at /usr/local/bin/weft-proxy, and for the init
#                                container that installs the capture rules iptables(-restore/-save, nft
#                                backend) and setpriv; /bin/sh is dash. No entrypoint arguments: pods name
#                                the command (`weft demo-app ...`, `weft-proxy ...`).
#   docker.io/weft/pause:dev  -> $WEFT_IMAGE_DIR/pause.tar  the pod sandbox (a static C program).
#
# The root filesystem is the published files plus exactly the shared libraries `ldd` says they load
# (glibc, libstdc++, libgcc_s, zlib) and the ones .NET opens at run time (libssl3/libcrypto3), copied
# from this Debian host, with its CA certificates. ICU is not there: Weft builds with
# InvariantGlobalization. Load into the test cluster with `scripts/test-cluster.sh load-images`.
#
# The publish runs in its own artifacts tree under $WEFT_IMAGE_DIR/build, never in src/*/bin|obj, so it
# does not disturb `dotnet build Weft.slnx` in the same checkout. deploy/Containerfile builds the same
# image for users with a registry.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The checkout whose src/ is published (another worktree's, to test its changes in pods).
SOURCE=$(cd "${WEFT_SOURCE:-$REPO}" && pwd)
OUT=${WEFT_IMAGE_DIR:-/var/cache/weft-test-cluster/images}
WEFT_REF=docker.io/weft/weft:dev
PAUSE_REF=docker.io/weft/pause:dev

log() { echo "build-images: $*" >&2; }
die() { log "$*"; exit 1; }

# docker_archive REF ROOTFS OUT.tar ENTRYPOINT_JSON ENV_JSON: a one-layer image in Docker's save format.
docker_archive() {
  local ref=$1 rootfs=$2 out=$3 entrypoint=$4 env=$5
  local work; work=$(mktemp -d "$OUT/.archive.XXXXXX")
  # Reproducible layer: sorted names, root-owned, a fixed time.
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$work/layer.tar" .
  local diff_id; diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  cat > "$work/config.json" <<EOF
{"architecture":"amd64","os":"linux","config":{"Entrypoint":$entrypoint,"Env":$env,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:$diff_id"]},"history":[{"created_by":"scripts/build-images.sh"}]}
EOF
  local config_id; config_id=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/$config_id.json"
  echo "[{\"Config\":\"$config_id.json\",\"RepoTags\":[\"$ref\"],\"Layers\":[\"layer.tar\"]}]" > "$work/manifest.json"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work" -cf "$out.tmp" manifest.json "$config_id.json" layer.tar
  mv "$out.tmp" "$out"
  rm -rf "$work"
  log "$ref -> $out ($(du -m "$out" | cut -f1) MiB)"
}

build_pause() {
  local rootfs; rootfs=$(mktemp -d "$OUT/.pause.XXXXXX")
  gcc -static -O2 -s -o "$rootfs/pause" "$REPO/scripts/images/pause.c"
  docker_archive "$PAUSE_REF" "$rootfs" "$OUT/pause.tar" '["/pause"]' '[]'
  rm -rf "$rootfs"
}

# Copies FILE into ROOTFS at its path, with /lib and /lib64 mapped under /usr (the usrmerge layout).
put() {
  local rootfs=$1 file=$2
  local dest=${file#/}
  case $dest in lib/*|lib64/*|bin/*|sbin/*) dest=usr/$dest ;; esac
  [[ -e $rootfs/$dest ]] && return
  mkdir -p "$rootfs/$(dirname "$dest")"
  cp -L "$file" "$rootfs/$dest"
}

# Copies every shared library FILE loads (and the dynamic loader) into ROOTFS.
put_libraries() {
  local rootfs=$1 file=$2 lib
  for lib in $(ldd "$file" 2>/dev/null | awk '/=> \// {print $3} /^\t\// {print $1}'); do
    put "$rootfs" "$lib"
  done
}

build_weft() {
  command -v dotnet >/dev/null || die "dotnet is missing"
  local build=$OUT/build
  mkdir -p "$build"
  log "publishing the weft CLI (self-contained, linux-x64) from $SOURCE"
  dotnet publish "$SOURCE/src/Weft.Cli" -c Release -r linux-x64 --self-contained true \
    --artifacts-path "$build/artifacts-cli" -o "$build/cli" -nologo -v q > "$build/publish-cli.log" 2>&1 \
    || { tail -n 40 "$build/publish-cli.log" >&2; die "weft CLI publish failed"; }
  log "publishing weft-proxy (NativeAOT)"
  dotnet publish "$SOURCE/src/Weft.ProxyAot" -c Release -r linux-x64 \
    --artifacts-path "$build/artifacts-proxy" -o "$build/proxy" -nologo -v q > "$build/publish-proxy.log" 2>&1 \
    || { tail -n 40 "$build/publish-proxy.log" >&2; die "weft-proxy NativeAOT publish failed"; }

  local rootfs=$build/rootfs
  rm -rf "$rootfs"; mkdir -p "$rootfs"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/local/bin,opt,etc/ssl/certs,tmp,var/run}
  ln -s usr/bin "$rootfs/bin"; ln -s usr/sbin "$rootfs/sbin"; ln -s usr/lib "$rootfs/lib"; ln -s usr/lib64 "$rootfs/lib64"
  chmod 1777 "$rootfs/tmp"
  cp -a "$build/cli" "$rootfs/opt/weft"
  # Debug symbols and the XML docs are not needed to run.
  find "$rootfs/opt/weft" \( -name '*.pdb' -o -name '*.dbg' -o -name '*.xml' \) -delete
  ln -s /opt/weft/weft "$rootfs/usr/local/bin/weft"
  cp "$build/proxy/weft-proxy" "$rootfs/usr/local/bin/weft-proxy"

  # The init container's tools: iptables on the nft backend (as the host's transparent mode uses) with
  # its match/target extensions, setpriv, and a shell for `kubectl exec`.
  local nft; nft=$(readlink -f /usr/sbin/xtables-nft-multi)
  put "$rootfs" "$nft"
  local name
  for name in iptables iptables-restore iptables-save ip6tables ip6tables-restore ip6tables-save; do
    ln -s xtables-nft-multi "$rootfs/usr/sbin/$name"
  done
  local xt=/usr/lib/x86_64-linux-gnu/xtables
  mkdir -p "$rootfs$xt"; cp -L "$xt"/*.so "$rootfs$xt/"
  put "$rootfs" /usr/bin/setpriv
  put "$rootfs" /usr/bin/dash; ln -s dash "$rootfs/usr/bin/sh"

  local file
  while IFS= read -r file; do put_libraries "$rootfs" "$file"; done < <(
    find "$rootfs/opt/weft" "$rootfs/usr/local/bin" "$rootfs/usr/sbin" "$rootfs/usr/bin" "$rootfs$xt" -type f \
      \( -name '*.so' -o -perm -u+x \))
  # Opened with dlopen by .NET's cryptography, so ldd does not list them.
  local ssl; ssl=$(ldconfig -p | awk '/libssl\.so\.3 .*x86-64/ {print $NF; exit}')
  [[ -n $ssl ]] || die "libssl.so.3 is missing (apt-get install libssl3)"
  put "$rootfs" "$ssl"; put_libraries "$rootfs" "$ssl"
  put "$rootfs" "$(dirname "$ssl")/libcrypto.so.3"
  cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
  cp /etc/protocols /etc/services "$rootfs/etc/"
  cat > "$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
weft-proxy:x:1337:1337:weft sidecar:/nonexistent:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
  cat > "$rootfs/etc/group" <<'EOF'
root:x:0:
weft-proxy:x:1337:
nogroup:x:65534:
EOF
  echo 'hosts: files dns' > "$rootfs/etc/nsswitch.conf"
  # Every program in the image must find its libraries: a missing one fails here, not in a pod.
  local missing
  missing=$(for file in "$rootfs/opt/weft/weft" "$rootfs/usr/local/bin/weft-proxy" "$rootfs/usr/sbin/xtables-nft-multi" "$rootfs/usr/bin/setpriv"; do
    chroot "$rootfs" /usr/lib64/ld-linux-x86-64.so.2 --list "${file#"$rootfs"}" 2>&1 | grep 'not found' || true; done)
  [[ -z $missing ]] || die "libraries missing from the image: $missing"
  # .NET needs /proc: mounted in a mount namespace of the check's own, gone when it ends.
  mkdir -p "$rootfs/proc"
  unshare --mount --fork sh -c "mount -t proc proc '$rootfs/proc' && chroot '$rootfs' /usr/local/bin/weft --help" 2>&1 \
    | grep -q 'demo-app' || die "weft does not start in the image's root filesystem"
  chroot "$rootfs" /usr/sbin/iptables --version >/dev/null || die "iptables does not start in the image's root filesystem"
  docker_archive "$WEFT_REF" "$rootfs" "$OUT/weft.tar" '["/usr/local/bin/weft"]' \
    '["PATH=/usr/local/bin:/usr/sbin:/usr/bin","DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1","DOTNET_CLI_TELEMETRY_OPTOUT=1","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"]'
  log "root filesystem: $(du -sm "$rootfs" | cut -f1) MiB"
}

mkdir -p "$OUT"
case ${1:-all} in
  pause) build_pause ;;
  weft) build_weft ;;
  all) build_pause; build_weft ;;
  *) die "usage: $0 [weft|pause|all]" ;;
esac

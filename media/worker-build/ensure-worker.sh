#!/usr/bin/env bash
# Makes sure the installed mediasoup package has a working mediasoup-worker.
#
# One path for every machine (see docs/adr/001-offline-mediasoup-worker.md):
#   1. MEDIASOUP_WORKER_BIN given: check it and use it (mediasoup reads it at run time).
#   2. A binary already in the cache for this mediasoup version (and, for offline
#      builds, these build sources): link it where mediasoup looks for it.
#   3. The package's own prebuilt binary, downloaded when the network allows it.
#   4. Otherwise build it offline from the installed package against Debian's
#      libraries, with the stub subprojects, the libsrtp3 shim and the DTLS patch
#      kept beside this script.
# The cache lives outside the work tree, so CI and later clones reuse it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=../../scripts/lib/common.sh
source "$root/scripts/lib/common.sh"

package_dir="$root/node_modules/mediasoup"
[[ -f "$package_dir/package.json" ]] || die "mediasoup is not installed in node_modules (run npm ci first)"
version=$(node -p "require('$package_dir/package.json').version")
default_bin="$package_dir/worker/out/Release/mediasoup-worker"
cache_root="$(voxreply_cache_dir)/mediasoup-worker"
mkdir -p "$cache_root"

# mediasoup-worker started without MEDIASOUP_VERSION exits with 41 by design:
# that proves the binary loads and runs on this host.
binary_runs_here() {
  local bin="$1" rc=0
  [[ -x "$bin" ]] || return 1
  env -i "$bin" >/dev/null 2>&1 || rc=$?
  [[ $rc -eq 41 ]]
}

link_into_package() {
  local bin="$1"
  mkdir -p "$(dirname "$default_bin")"
  ln -sfn "$bin" "$default_bin"
  say "mediasoup-worker $version ready: $bin"
}

if [[ -n "${MEDIASOUP_WORKER_BIN:-}" ]]; then
  binary_runs_here "$MEDIASOUP_WORKER_BIN" ||
    die "MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN is not a mediasoup-worker that runs on this machine"
  say "using MEDIASOUP_WORKER_BIN=$MEDIASOUP_WORKER_BIN"
  exit 0
fi

# Only one set-up at a time may fill the cache.
exec 9>"$cache_root/.lock"
flock 9

kernel_major=$(uname -r | cut -d. -f1)
prebuilt_dir="$cache_root/$version-prebuilt-$(uname -s | tr 'A-Z' 'a-z')-$(uname -m)-kernel$kernel_major"
# Bump when a change to this script changes the binary it builds (flags, steps).
recipe_version=1
build_key=$(
  cd "$here"
  { echo "$version recipe $recipe_version"; find subprojects compat patches -type f | LC_ALL=C sort | xargs sha256sum; } |
    sha256sum | cut -c1-16
)
offline_dir="$cache_root/$version-offline-$build_key"

for dir in "$prebuilt_dir" "$offline_dir"; do
  if binary_runs_here "$dir/mediasoup-worker"; then
    link_into_package "$dir/mediasoup-worker"
    exit 0
  fi
done

# --- 3. the package's prebuilt binary -------------------------------------------
if [[ -z "${VOXREPLY_SKIP_PREBUILT_DOWNLOAD:-}" ]]; then
  say "trying mediasoup's prebuilt worker download for $version"
  rm -rf "$prebuilt_dir.partial"
  if node "$here/download-prebuilt.mjs" "$package_dir" "$prebuilt_dir.partial" &&
    binary_runs_here "$prebuilt_dir.partial/mediasoup-worker"; then
    rm -rf "$prebuilt_dir"
    mv "$prebuilt_dir.partial" "$prebuilt_dir"
    link_into_package "$prebuilt_dir/mediasoup-worker"
    exit 0
  fi
  rm -rf "$prebuilt_dir.partial"
  say "no usable prebuilt worker; building it offline (about 5 minutes on 2 cores, once)"
fi

# --- 4. offline build --------------------------------------------------------------
ensure_system_packages "the offline mediasoup-worker build" \
  python3 ninja-build pkg-config g++ patch libssl-dev libuv1-dev libsrtp2-dev \
  libflatbuffers-dev flatbuffers-compiler libabsl-dev

# mediasoup needs meson >= 1.1. Debian 12 ships 1.0.1; meson is pure Python, so
# a newer release's .deb is unpacked into the cache (never installed system-wide).
meson_python_path=""
meson_cmd=(meson)
system_meson=$(meson --version 2>/dev/null || echo 0)
if ! dpkg --compare-versions "$system_meson" ge 1.1.0; then
  meson_dir="$(voxreply_cache_dir)/tools/meson"
  if [[ ! -f "$meson_dir/usr/bin/meson" ]]; then
    # shellcheck source=fetch-newer-meson.sh
    source "$here/fetch-newer-meson.sh"
    fetch_newer_meson "$meson_dir"
  fi
  meson_python_path="$meson_dir/usr/lib/python3/dist-packages"
  meson_cmd=(python3 "$meson_dir/usr/bin/meson")
fi
# ninja re-runs meson when build files change: it needs the same PYTHONPATH.
export PYTHONPATH="$meson_python_path${PYTHONPATH:+:$PYTHONPATH}"
say "meson $("${meson_cmd[@]}" --version)"

work="$cache_root/build-$version-$build_key"
rm -rf "$work" "$offline_dir.partial"
trap 'rm -rf "$work" "$offline_dir.partial"' EXIT
mkdir -p "$work"
cp -r "$package_dir/worker" "$work/worker"

say "replacing network subprojects with local stubs backed by Debian's libraries"
subprojects="$work/worker/subprojects"
for name in libuv openssl flatbuffers abseil-cpp libsrtp3; do
  rm -f "$subprojects/$name.wrap"
  cp -r "$here/subprojects/$name" "$subprojects/$name"
  # meson forbids a subproject to read files outside its own folder.
  cp "$here/subprojects/empty.c" "$subprojects/$name/empty.c"
done
# ankerl::unordered_dense is found through pkg-config as a compatibility header.
rm -f "$subprojects/unordered-dense.wrap"
mkdir -p "$work/pkgconfig"
cat >"$work/pkgconfig/unordered_dense.pc" <<PC
Name: unordered_dense
Description: std-container stand-in for ankerl::unordered_dense (Voxreply offline build)
Version: 4.8.1
Cflags: -I$here/compat
PC
export PKG_CONFIG_PATH="$work/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

shopt -s nullglob
for p in "$here"/patches/*.patch; do
  say "applying $(basename "$p")"
  patch --batch --silent -d "$work" -p1 <"$p" || die "patch $(basename "$p") does not apply to mediasoup $version"
done

say "configuring (log: $work/meson-setup.log)"
if ! "${meson_cmd[@]}" setup "$work/build" "$work/worker" --wrap-mode=nodownload \
  --buildtype=release -Db_ndebug=true >"$work/meson-setup.log" 2>&1; then
  tail -n 40 "$work/meson-setup.log" >&2
  die "configuring the mediasoup worker failed (see above)"
fi

say "compiling mediasoup-worker $version with $(nproc) jobs"
ninja -C "$work/build" -j "$(nproc)" mediasoup-worker || die "compiling the mediasoup worker failed"

mkdir -p "$offline_dir.partial"
cp "$work/build/mediasoup-worker" "$offline_dir.partial/mediasoup-worker"
strip "$offline_dir.partial/mediasoup-worker" 2>/dev/null || true
binary_runs_here "$offline_dir.partial/mediasoup-worker" || die "the freshly built mediasoup-worker does not run"
rm -rf "$offline_dir"
mv "$offline_dir.partial" "$offline_dir"
link_into_package "$offline_dir/mediasoup-worker"

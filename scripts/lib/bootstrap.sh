# Brings a checkout to a runnable state, idempotently: system packages, npm
# packages, the mediasoup worker, the build. Sourced by start.sh and test.sh.
# shellcheck shell=bash

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Packages that npm's native modules (better-sqlite3) need to compile.
BUILD_PACKAGES=(python3 make g++)
# What the server itself uses at run time: the font the email status badge is drawn in;
# espeak-ng and ffmpeg make the announcement a forwarded phone hears ("Press 1 to take it").
RUNTIME_PACKAGES=(fonts-dejavu-core espeak-ng ffmpeg)
# What the test suite drives: a real browser, tone generation, a throwaway
# PostgreSQL, a real SIP peer (sipp), process tools, a real SMTP client (swaks,
# with TLS for STARTTLS), an Ogg/Opus encoder for voice-message fixtures, a
# TURN server (coturn) and Redis for the multi-node tests (the tests start their
# own on free ports; they never use the packaged services).
TEST_PACKAGES=(chromium sox postgresql sip-tester baresip openssl procps swaks libnet-ssleay-perl
  opus-tools coturn redis-server)

install_npm_packages() {
  local stamp=node_modules/.voxreply-lock.sha256 want
  # The lock and our patches to packages (patch-package applies them after install).
  want=$(cat package-lock.json patches/*.patch | sha256sum | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    say "npm packages up to date"
    return 0
  fi
  say "installing npm packages (npm ci)"
  # mediasoup's own postinstall would try to download or build its worker with
  # tools this machine may not reach; ensure-worker.sh does that job instead.
  MEDIASOUP_WORKER_BIN="${MEDIASOUP_WORKER_BIN:-provided-by-voxreply-ensure-worker}" \
    npm ci --no-audit --no-fund >&2 || die "npm ci failed"
  printf '%s\n' "$want" >"$stamp"
}

bootstrap() {
  local mode="$1"
  cd "$(dirname "${BASH_SOURCE[0]}")/../.." || die "cannot find the project root"
  require_node
  local packages=("${BUILD_PACKAGES[@]}" "${RUNTIME_PACKAGES[@]}")
  [[ "$mode" == test ]] && packages+=("${TEST_PACKAGES[@]}")
  ensure_system_packages "Voxreply ($mode)" "${packages[@]}"
  install_npm_packages
  bash media/worker-build/ensure-worker.sh
  say "building server and browser apps"
  npm run --silent build:server >&2 || die "server build failed"
  npm run --silent build:client -- --logLevel warn >&2 || die "browser app build failed"
}

# Shared helpers for Voxreply's set-up scripts. Sourced, never run.
# shellcheck shell=bash

# Colour only on a terminal: logs and CI get plain text.
if [[ -t 2 ]]; then
  _blue=$'\033[1;34m' _yellow=$'\033[1;33m' _red=$'\033[1;31m' _reset=$'\033[0m'
else
  _blue='' _yellow='' _red='' _reset=''
fi
say() { printf '%s[voxreply]%s %s\n' "$_blue" "$_reset" "$*" >&2; }
warn() { printf '%s[voxreply] warning:%s %s\n' "$_yellow" "$_reset" "$*" >&2; }
die() {
  printf '%s[voxreply] error:%s %s\n' "$_red" "$_reset" "$*" >&2
  exit 1
}

# Where slow-to-make things (the mediasoup worker, tools) are kept between
# runs and between clones: outside the work tree, keyed by what made them.
voxreply_cache_dir() {
  printf '%s\n' "${VOXREPLY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/voxreply}"
}

# Prints the Debian/Ubuntu packages among "$@" that are not installed.
missing_system_packages() {
  local pkg status
  for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || printf '%s\n' "$pkg"
  done
}

# Installs the given Debian/Ubuntu packages when they are missing. As root it
# uses apt-get; otherwise it stops and names what to install.
ensure_system_packages() {
  local why="$1"
  shift
  command -v dpkg-query >/dev/null 2>&1 ||
    die "this machine has no dpkg; install these packages by hand for $why: $*"
  local missing
  missing=$(missing_system_packages "$@" | tr '\n' ' ')
  missing=${missing% }
  [[ -z "$missing" ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    die "missing system packages for $why: $missing
       install them with: sudo apt-get install -y $missing"
  fi
  say "installing system packages for $why: $missing"
  if [[ -z "${VOXREPLY_APT_UPDATED:-}" ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || die "apt-get update failed"
    export VOXREPLY_APT_UPDATED=1
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >&2 ||
    die "apt-get install failed for: $missing"
}

# Node.js >= 20.19 is the one thing the scripts cannot install themselves.
require_node() {
  command -v node >/dev/null 2>&1 || die "Node.js 20.19 or newer is required (none found on PATH)"
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
    die "Node.js 20.19 or newer is required (found $(node --version))"
}

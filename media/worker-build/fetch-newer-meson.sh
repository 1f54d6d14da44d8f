# Fetches a newer meson .deb from the next Debian (or Ubuntu) release through a
# private apt configuration and unpacks it into a folder. Nothing is installed
# system-wide. Sourced by ensure-worker.sh.
# shellcheck shell=bash

fetch_newer_meson() {
  local dest="$1" suite mirror tmp
  # shellcheck disable=SC1091
  . /etc/os-release
  case "${ID:-}" in
    debian) suite=trixie ;;
    ubuntu) suite=noble ;;
    *) die "meson >= 1.1.0 is needed to build mediasoup-worker; install it (pip install meson) and re-run" ;;
  esac
  # The same mirror this machine already uses, with the newer suite. Its
  # package lists name it; a machine that never ran apt-get update has none.
  local find_mirror=(apt-get indextargets --format '$(REPO_URI)|$(RELEASE)' 'Created-By: Packages')
  mirror=$("${find_mirror[@]}" 2>/dev/null | awk -F'|' -v c="${VERSION_CODENAME:-}" '$2 == c { print $1; exit }')
  if [[ -z "$mirror" && $(id -u) -eq 0 ]]; then
    apt-get update -q >&2 || true
    mirror=$("${find_mirror[@]}" 2>/dev/null | awk -F'|' -v c="${VERSION_CODENAME:-}" '$2 == c { print $1; exit }')
  fi
  [[ -n "$mirror" ]] || die "cannot find this machine's $ID mirror in its apt sources (run apt-get update)"
  say "fetching meson from $ID $suite (unpacked into $dest, not installed)"
  tmp=$(mktemp -d)
  mkdir -p "$tmp/lists/partial" "$tmp/cache/archives/partial"
  printf 'deb %s %s main\n' "$mirror" "$suite" >"$tmp/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache=$tmp/cache" -o Debug::NoLocking=1
    -o APT::Sandbox::User=root)
  apt-get "${opts[@]}" update -q >"$tmp/update.log" 2>&1 || {
    cat "$tmp/update.log" >&2
    die "cannot read $suite's package list from $mirror"
  }
  (cd "$tmp" && apt-get "${opts[@]}" download meson >/dev/null 2>&1) || die "cannot download meson from $suite"
  rm -rf "$dest.partial"
  mkdir -p "$(dirname "$dest")"
  dpkg -x "$tmp"/meson_*.deb "$dest.partial"
  rm -rf "$dest" "$tmp"
  mv "$dest.partial" "$dest"
}

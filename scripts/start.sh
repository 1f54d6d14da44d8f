#!/usr/bin/env bash
# Starts Voxreply on its embedded defaults (SQLite under ./data, in-process
# state, local mediasoup workers), installing whatever is missing first.
# Honours the environment variables in the README's configuration table.
set -euo pipefail
# shellcheck source=lib/bootstrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/bootstrap.sh"
bootstrap start
say "starting the server (Ctrl-C stops it)"
exec node dist/server/main.js

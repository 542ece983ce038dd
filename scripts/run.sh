#!/usr/bin/env bash
# README command 1: install what anju needs, build the release binary and run the service on its
# embedded default (config/anju.json: SQLite file under var/, http://127.0.0.1:8080). Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
if [ ! -f build/release/build.ninja ]; then
    cmake --preset release >/dev/null
fi
cmake --build --preset release --target anju
exec build/release/bot/anju serve --config config/anju.json "$@"

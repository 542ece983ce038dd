#!/usr/bin/env bash
# HTTP benchmark of GET /healthz: builds the release binaries, starts anju on a free port with a
# throw-away store, runs bench/http_bench.cpp against it and prints requests/s and latency.
#   scripts/bench.sh [--connections 32] [--duration 10s] [--threads 1]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
if [ ! -f build/release/build.ninja ]; then
    cmake --preset release >/dev/null
fi
cmake --build --preset release --target anju anju_http_bench >/dev/null

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cat >"$work/anju.json" <<JSON
{ "http": { "port": 0 }, "store": { "path": "$work/anju.db" }, "log": { "level": "warn" } }
JSON
build/release/bot/anju serve --config "$work/anju.json" 2>"$work/stderr" &
pid=$!
for _ in $(seq 100); do
    url=$(grep -o 'running on http://[0-9.:]*' "$work/stderr" | head -1 | cut -d' ' -f3 || true)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { cat "$work/stderr" >&2; exit 1; }

echo "machine        $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
build/release/bench/anju_http_bench --url "$url/healthz" "$@"

#!/usr/bin/env bash
# End-to-end ingest benchmark of the WeChat Official Account channel (bench/wechat_ingest_bench.cpp):
# builds the release binaries, starts anju with a safe-mode account, a throw-away store with
# synchronous=full (every message durable before its reply) and runs two measurements:
# saturation, and a fixed offered rate. Extra arguments go to both runs.
# With DIALOGS=1 the dialog engine (config/dialogs) answers instead of the acknowledgement: every
# turn then also loads and stores the resident's dialog state, and any non-empty reply counts.
#   [DIALOGS=1] [RATE=1000] scripts/bench-wechat.sh [--duration 10s] [--residents 10000]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
if [ ! -f build/release/build.ninja ]; then
    cmake --preset release >/dev/null
fi
cmake --build --preset release --target anju anju_wechat_bench >/dev/null

rate=${RATE:-1000}
dialogs_json=""
bench_args=()
if [ "${DIALOGS:-0}" = 1 ]; then
    dialogs_json=", \"dialogs\": { \"dir\": \"$PWD/config/dialogs\" }"
    bench_args=(--any-reply yes)
fi
work=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

start_anju() {
    rm -f "$work"/anju.db*
    cat >"$work/anju.json" <<JSON
{
  "http": { "port": 0 },
  "store": { "path": "$work/anju.db", "synchronous": "full" },
  "log": { "level": "error" },
  "channels": { "wechat_mp": [ {
    "id": "bench", "app_id": "wxdemo0000000000001", "token": "AnjuDemoToken2026",
    "encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "mode": "safe",
    "api_base": "http://127.0.0.1:9"
  } ] }${dialogs_json}
}
JSON
    build/release/bot/anju serve --config "$work/anju.json" 2>"$work/stderr" &
    pid=$!
    url=""
    for _ in $(seq 100); do
        url=$(grep -o 'running on http://[0-9.:]*' "$work/stderr" | head -1 | cut -d' ' -f3 || true)
        [ -n "$url" ] && break
        sleep 0.1
    done
    [ -n "$url" ] || { cat "$work/stderr" >&2; exit 1; }
}

stop_anju() {
    kill -INT "$pid"; wait "$pid" || true; pid=""
}

echo "machine        $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), store on $(df -h "$work" | awk 'NR==2 {print $1}')"
echo
echo "== saturation"
start_anju
build/release/bench/anju_wechat_bench --url "$url/wechat/mp/bench" --connections 64 --db "$work/anju.db" "${bench_args[@]}" "$@" || true
stop_anju
echo
echo "== fixed rate ${rate} msg/s"
start_anju
build/release/bench/anju_wechat_bench --url "$url/wechat/mp/bench" --rate "$rate" --connections 32 --db "$work/anju.db" "${bench_args[@]}" "$@" || true
stop_anju

#!/usr/bin/env bash
# README command 2: install what anju needs, build everything with AddressSanitizer and
# UndefinedBehaviorSanitizer (preset "dev", warnings as errors) and run the whole test suite,
# including the console page test in headless Chromium (required here: a missing browser fails it).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh --test
export ANJU_REQUIRE_CHROMIUM=1
if [ ! -f build/dev/build.ninja ]; then
    cmake --preset dev >/dev/null
fi
cmake --build --preset dev
ctest --preset dev "$@"

#!/usr/bin/env bash
# README command 2: install what anju needs, build everything with AddressSanitizer and
# UndefinedBehaviorSanitizer (preset "dev", warnings as errors) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
if [ ! -f build/dev/build.ninja ]; then
    cmake --preset dev >/dev/null
fi
cmake --build --preset dev
ctest --preset dev "$@"

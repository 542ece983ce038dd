#!/usr/bin/env bash
# Installs the Debian 12 packages anju needs to build, run and test it. Quick when they are all
# there already: it only calls apt-get for what is missing.
#   scripts/deps.sh          what building and running need (README command 1)
#   scripts/deps.sh --test   also what the tests need: headless Chromium for the console page test,
#                            and CJK fonts so its screenshots are readable (README command 2)
set -euo pipefail

with_test=0
for arg in "$@"; do
    case "$arg" in
        --test) with_test=1 ;;
        *)
            echo "usage: scripts/deps.sh [--test]" >&2
            exit 2
            ;;
    esac
done

packages=(
    g++ cmake ninja-build
    libboost1.81-dev          # Asio + Beast (Debian's default libboost-dev is the older 1.74)
    libssl-dev
    nlohmann-json3-dev
    libsqlitecpp-dev libsqlite3-dev
    libpugixml-dev
    libgtest-dev
    ca-certificates
)
if ((with_test)); then
    packages+=(chromium fonts-noto-cjk curl)  # the console page test; readable screenshots; seeding them
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$p")
    fi
done
if ((${#missing[@]} == 0)); then
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi
echo "anju: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian packages that building and testing korero need, when missing.
# Run by `make`; needs root only when something is missing.
set -eu

PKGS="meson ninja-build pkg-config gcc clang clang-format libclang-rt-14-dev \
libssl-dev libjansson-dev libsqlite3-dev libcmocka-dev \
python3 python3-pytest sip-tester sipsak procps"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
if [ "$(id -u)" != 0 ]; then
    echo "deps: need root to install:$missing (run: sudo $0)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

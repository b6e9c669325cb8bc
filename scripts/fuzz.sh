#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs each libFuzzer harness in BUILD for SECONDS on a copy of its seed corpus.
set -eu
BUILD=$1
SECONDS_EACH=$2
cd "$(dirname "$0")/.."
status=0
for h in "$BUILD"/fuzz_*; do
    [ -f "$h" ] && [ -x "$h" ] || continue
    name=${h##*/fuzz_}
    work=$(mktemp -d)
    [ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/"
    dict=""
    [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
    echo "fuzz: $name for ${SECONDS_EACH}s"
    if ! "$h" $dict -max_total_time="$SECONDS_EACH" -max_len=8192 -print_final_stats=1 \
        -artifact_prefix=tests/fuzz/ "$work" >"$work.log" 2>&1; then
        tail -n 60 "$work.log"
        status=1
    else
        grep -E 'stat::number_of_executed_units' "$work.log" || true
    fi
    rm -rf "$work" "$work.log"
done
exit $status

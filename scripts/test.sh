#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every test against one build directory (build/ or build-asan/): the banned-call
# check, the C unit tests (meson test) and the integration tests (pytest, real binary).
# Ends with one line "N passed, N failed".
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.."
passed=0
failed=0

# 1. Banned calls (STYLE.md): one check, counted as one test.
if sh scripts/check-banned.sh; then
    passed=$((passed + 1))
else
    failed=$((failed + 1))
fi

# 2. Unit tests.
meson test -C "$BUILD" --suite unit --print-errorlogs >"$BUILD/unit.log" 2>&1
grep -E '^ *[0-9]+/[0-9]+ ' "$BUILD/unit.log" | sed 's/^/unit: /'
u_ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$BUILD/unit.log" | tail -n 1)
u_fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$BUILD/unit.log" | tail -n 1)
u_to=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$BUILD/unit.log" | tail -n 1)
passed=$((passed + ${u_ok:-0}))
failed=$((failed + ${u_fail:-0} + ${u_to:-0}))
if [ -z "$u_ok" ]; then
    cat "$BUILD/unit.log"
    failed=$((failed + 1))
fi
if [ "${u_fail:-0}" != 0 ] || [ "${u_to:-0}" != 0 ]; then
    sed -n '/^==* [0-9]*\/[0-9]* ==*/,$p' "$BUILD/unit.log" | head -n 200
fi

# 3. Integration tests: Debian's python3 (it has pytest), the real binary.
if [ -d tests/integration ] && ls tests/integration/test_*.py >/dev/null 2>&1; then
    KORERO_BUILD="$(pwd)/$BUILD" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
        tests/integration >"$BUILD/integration.log" 2>&1
    tail -n 40 "$BUILD/integration.log"
    line=$(tail -n 1 "$BUILD/integration.log")
    i_ok=$(echo "$line" | grep -oE '[0-9]+ passed' | cut -d' ' -f1)
    i_fail=$(echo "$line" | grep -oE '[0-9]+ failed' | cut -d' ' -f1)
    i_err=$(echo "$line" | grep -oE '[0-9]+ errors?' | cut -d' ' -f1)
    passed=$((passed + ${i_ok:-0}))
    failed=$((failed + ${i_fail:-0} + ${i_err:-0}))
    if [ -z "$i_ok$i_fail$i_err" ]; then
        failed=$((failed + 1))
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Fails when a banned call (STYLE.md) appears in our C sources.
cd "$(dirname "$0")/.."
hits=$(git ls-files 'src/*.c' 'src/*.h' 'tools/*.c' 'bench/*.c' 2>/dev/null |
    xargs grep -nE '\b(strcpy|strcat|sprintf|strncpy|strtok|atoi|sscanf|gets|alloca)[[:space:]]*\(' 2>/dev/null |
    grep -vE '(snprintf|vsnprintf|kr_[a-z_]*)\(' )
if [ -n "$hits" ]; then
    echo "banned calls (see STYLE.md):"
    echo "$hits"
    exit 1
fi
exit 0

# SPDX-License-Identifier: GPL-2.0-or-later
# Thin front over Meson: the user's commands are `make run` and `make test`.
CFG ?= etc/korero.cfg
MESON_OPTS ?=

.PHONY: all deps build run test unit integration asan fuzz fuzz-run bench bench-msrp format clean

all: build

deps:
	@sh scripts/deps.sh

build/build.ninja: meson.build meson_options.txt | deps
	meson setup build $(MESON_OPTS) >/dev/null

build: deps build/build.ninja
	ninja -C build

run: build
	./build/korero -f $(CFG)

test: build
	sh scripts/test.sh build

asan: deps
	[ -f build-asan/build.ninja ] || meson setup build-asan -Db_sanitize=address,undefined \
		-Db_lundef=false >/dev/null
	ninja -C build-asan
	sh scripts/test.sh build-asan

fuzz: deps
	[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=disabled \
		-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
	ninja -C build-fuzz

# Runs every fuzz harness on its corpus for FUZZ_SECONDS each (CI: briefly).
FUZZ_SECONDS ?= 60
fuzz-run: fuzz
	sh scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

bench: build
	sh bench/run.sh

bench-msrp: build
	sh bench/msrp.sh

format:
	clang-format -i $$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tools/*.c' 'bench/*.c' 'bench/*.h')

clean:
	rm -rf build build-asan build-fuzz

# A thin layer over CMake and deploy/local/: every target installs what it
# is missing first. `make test` and `make run` are the two you need.
SHELL := /bin/bash
ROOT := $(abspath .)
SANITIZE ?=
BUILD_DIR ?= $(if $(SANITIZE),build-sanitize,build)
CMAKE_FLAGS := -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(if $(SANITIZE),-DTOKENGATE_SANITIZE=$(SANITIZE))

.PHONY: all deps build test run stop bench fuzz clean

all: build

deps:
	@deploy/local/install-deps.sh kafka go-tools npm

build: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) --parallel

test: build
	@BUILD_DIR=$(BUILD_DIR) tests/run-tests.sh

run: build
	@BUILD_DIR=$(BUILD_DIR) deploy/local/run.sh

stop:
	@deploy/local/stop.sh

bench: build
	@BUILD_DIR=$(BUILD_DIR) tests/bench/run-bench.sh

fuzz: deps
	@tests/fuzz/run-fuzz.sh

clean:
	rm -rf build build-sanitize build-fuzz

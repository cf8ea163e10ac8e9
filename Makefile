# A thin layer over CMake and deploy/local/: every target installs what it
# is missing first. `make test` and `make run` are the two you need.
SHELL := /bin/bash
ROOT := $(abspath .)
SANITIZE ?=
BUILD_DIR ?= $(if $(SANITIZE),build-sanitize,build)
# `make run AUTH=keycloak`: log in through a local Keycloak instead of the dummy provider.
AUTH ?= dummy
# `make run INSECURE_LOCAL_GRPC=1`: the authority's gRPC in plaintext with no caller policy
# (any local process may then mint and list anyone's tokens; run.sh prints what it gives away).
INSECURE_LOCAL_GRPC ?= 0
# ccache, where installed, makes a rebuild in another clone or worktree quick.
CCACHE := $(shell command -v ccache 2>/dev/null)
CMAKE_FLAGS := -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(if $(SANITIZE),-DTOKENGATE_SANITIZE=$(SANITIZE)) \
  $(if $(CCACHE),-DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE))
# off: `make test` leaves out the tests of the container image (label image),
# for machines where no Docker engine can run; it says so before the summary.
# On: they fail (image.build first) when no engine can be started.
IMAGE_TESTS ?= on
SKIP_IMAGE := $(filter off,$(IMAGE_TESTS))$(SANITIZE)
# on: `make test` also starts a single-node Kubernetes (deploy/local/kube/) and
# runs the chart's tests on it (label cluster; ~3.5 min warm, plus the
# Kubernetes build once per machine). off, or no image (IMAGE_TESTS=off, a
# sanitizer build): left out, and it says so before the summary.
CLUSTER_TESTS ?= on
SKIP_CLUSTER := $(filter off,$(CLUSTER_TESTS) $(IMAGE_TESTS))$(SANITIZE)
# The ctest labels `make test` leaves out, as one -LE regex.
EXCLUDED_LABELS := $(strip $(if $(filter off,$(IMAGE_TESTS)),image) $(if $(SKIP_CLUSTER),cluster))
space := $(subst ,, )

.PHONY: all deps build test image image-prefetch run stop cluster cluster-deps cluster-stop bench fuzz docs format clean

all: build

deps:
	@deploy/local/install-deps.sh kafka go-tools npm keycloak data-rentgen

build: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) --parallel

test: image-prefetch build $(if $(SKIP_CLUSTER),,cluster-deps)
	@$(if $(SKIP_IMAGE),echo "the image tests (ctest label image) do not run: $(if $(SANITIZE),the image packages no sanitizer build,IMAGE_TESTS=off)")
	@$(if $(SKIP_CLUSTER),echo "the cluster tests (ctest label cluster) do not run: $(if $(SANITIZE),the image packages no sanitizer build,$(if $(filter off,$(CLUSTER_TESTS)),CLUSTER_TESTS=off,IMAGE_TESTS=off: no image to deploy))")
	@BUILD_DIR=$(BUILD_DIR) tests/run-tests.sh $(if $(EXCLUDED_LABELS),-LE '$(subst $(space),|,$(EXCLUDED_LABELS))')

# The image's Debian base takes a minute or two the first time: made in the
# background while the build compiles; the image.build test waits for it.
image-prefetch: deps
	@$(if $(SKIP_IMAGE),,deploy/local/docker.sh prefetch)

image: build
	@BUILD_DIR=$(BUILD_DIR) deploy/docker/build-image.sh

run: build
	@BUILD_DIR=$(BUILD_DIR) AUTH=$(AUTH) INSECURE_LOCAL_GRPC=$(INSECURE_LOCAL_GRPC) deploy/local/run.sh

stop:
	@deploy/local/stop.sh

# Kubernetes v1.34.4 on this machine (built once into ~/.cache/tokengate), the
# image loaded into its node and the chart installed, next to `make run`'s
# PostgreSQL and Kafka. Needs root (bridge, iptables, mounts).
cluster-deps: deps
	@deploy/local/install-deps.sh cluster
	@deploy/local/kube/build.sh

cluster: cluster-deps image
	@BUILD_DIR=$(BUILD_DIR) deploy/local/kube/cluster.sh start

cluster-stop:
	@deploy/local/kube/cluster.sh down

bench: build
	@BUILD_DIR=$(BUILD_DIR) tests/bench/run-bench.sh

fuzz: deps
	@tests/fuzz/run-fuzz.sh

# The generated documentation: docs/configuration.md's tables from the
# binaries' flags, helm/tokengate/README.md's from values.yaml's @param lines.
docs: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) --parallel --target token-authority tokengate-api http2kafka lineage-consumer tokengate
	@python3 deploy/local/config_docs.py --build-dir $(BUILD_DIR)
	@deploy/local/chart-readme.sh

# Every C++ file to .clang-format (Debian's clang-format-14; installed here when missing).
format:
	@command -v clang-format-14 >/dev/null || $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -qq clang-format-14 >/dev/null
	@git ls-files '*.cc' '*.h' | xargs clang-format-14 -i --style=file

clean:
	rm -rf build build-sanitize build-fuzz

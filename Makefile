# Two entry points for a fresh Debian 12 machine:
#   make run    installs dependencies, builds, and serves the built-in demo on port 8080
#   make test   installs dependencies, builds, and runs every test suite
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)

.PHONY: all deps configure build run test clean

all: build

deps:
	./scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	$(BUILD_DIR)/src/portcullis serve

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) --timeout 1500

clean:
	rm -rf $(BUILD_DIR)

# Two entry points for a fresh Debian 12 machine:
#   make run    installs dependencies, builds, and serves the built-in demo on port 8080
#   make test   installs dependencies, builds, runs every test suite, then the
#               AddressSanitizer + UndefinedBehaviorSanitizer stage with a short run of each
#               fuzz target (`make sanitize`) and the ThreadSanitizer stage (`make tsan`);
#               docs/security.md describes both
# Not part of `make test`, for time: long fuzzing runs, `make fuzz FUZZ_SECONDS=600`.
#
# All three trees (build, build-asan, build-tsan) are unity builds (CMAKE_UNITY_BUILD): CMake
# compiles up to 8 files of a library or test binary as one translation unit, which cuts the
# compiler's CPU time by about 30 %. A tree configured without it builds file by file.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
# Seconds of mixed traffic in the load test (tests/e2e/test_load.py) during `make test`.
LOAD_SECONDS ?= 180

# Sanitizer trees, built with clang (tests/sanitizers/*.cmake).
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
# Seconds each fuzz target runs; two targets run at a time.
FUZZ_SECONDS ?= 30
# What the ThreadSanitizer stage runs: the tests with threads that share state. The snapshot
# and jwks unit tests publish snapshots and key sets while readers run; the proxy and
# jwks_remote end-to-end suites drive the multi-threaded gateway with reloads and key fetches.
TSAN_TARGETS = portcullis portcullis_snapshot_test portcullis_jwks_test
TSAN_TESTS = ^(unit[.]snapshot|unit[.]jwks|e2e[.]proxy|e2e[.]jwks_remote)$$
# The load test is left out of the AddressSanitizer stage: ASan's quarantine makes memory grow
# by design, and the test asserts flat memory.
ASAN_EXCLUDE = ^e2e[.]load$$

.PHONY: all deps configure build run test clean asan-build sanitize fuzz tsan

all: build

deps:
	./scripts/install-deps.sh

# RelWithDebInfo with line tables only (-g1): backtraces keep file and line, and the build
# takes about a third less time than with full debug information.
configure: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_UNITY_BUILD=ON

build: configure
	cmake --build $(BUILD_DIR) -j$(JOBS)

run: build
	$(BUILD_DIR)/src/portcullis serve

test: build
	cd $(BUILD_DIR) && PORTCULLIS_LOAD_SECONDS=$(LOAD_SECONDS) \
	  ctest --output-on-failure -j$(JOBS) --timeout 1500
	$(MAKE) --no-print-directory sanitize
	$(MAKE) --no-print-directory tsan

# AddressSanitizer + UndefinedBehaviorSanitizer (with LeakSanitizer): the gateway, every unit
# test and the fuzz targets.
asan-build: deps
	cmake -C tests/sanitizers/asan.cmake -S . -B $(ASAN_DIR) -G Ninja
	cmake --build $(ASAN_DIR) -j$(JOBS)

sanitize: asan-build
	tests/sanitizers/run_suites.sh asan $(ASAN_DIR) -L 'unit|e2e' -E '$(ASAN_EXCLUDE)' \
	  -j$(JOBS) --timeout 1500
	$(MAKE) --no-print-directory fuzz

fuzz: asan-build
	PORTCULLIS_FUZZ_SECONDS=$(FUZZ_SECONDS) tests/sanitizers/run_suites.sh fuzz $(ASAN_DIR) \
	  -L fuzz -j2 --timeout $$(( $(FUZZ_SECONDS) + 600 ))

tsan: deps
	cmake -C tests/sanitizers/tsan.cmake -S . -B $(TSAN_DIR) -G Ninja
	cmake --build $(TSAN_DIR) -j$(JOBS) --target $(TSAN_TARGETS)
	tests/sanitizers/run_suites.sh tsan $(TSAN_DIR) -R '$(TSAN_TESTS)' -j$(JOBS) --timeout 1500

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR)

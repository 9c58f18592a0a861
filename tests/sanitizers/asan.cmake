# Initial cache for the AddressSanitizer + UndefinedBehaviorSanitizer tree (build-asan/):
#   cmake -C tests/sanitizers/asan.cmake -S . -B build-asan -G Ninja
# Every library and program gets libFuzzer's coverage instrumentation (fuzzer-no-link) so that
# the fuzz targets in tests/fuzz/ can link against the same libraries as the unit tests.
#
# -fno-sanitize=function: clang 14 cannot compile C++20 coroutines (the Asio awaitables of
# src/proxy, src/jwks and src/admin) with the function sanitizer of -fsanitize=undefined. It
# fails with "Cannot represent a difference across sections". Every other UBSan check is on.
set(CMAKE_CXX_COMPILER clang++-14 CACHE STRING "")
set(CMAKE_BUILD_TYPE Sanitize CACHE STRING "")
set(CMAKE_CXX_FLAGS_SANITIZE
    "-O1 -gline-tables-only -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize=function -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link"
    CACHE STRING "")
set(CMAKE_EXE_LINKER_FLAGS_SANITIZE "-fsanitize=address,undefined" CACHE STRING "")
set(PORTCULLIS_BUILD_FUZZ ON CACHE BOOL "")
# Unity build: CMake compiles the files of each library or test binary together, up to 8 per
# translation unit, which cuts the compiler's CPU time by about 30 %. src/CMakeLists.txt and
# tests/CMakeLists.txt list the files compiled on their own.
set(CMAKE_UNITY_BUILD ON CACHE BOOL "")

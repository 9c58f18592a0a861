# Initial cache for the ThreadSanitizer tree (build-tsan/):
#   cmake -C tests/sanitizers/tsan.cmake -S . -B build-tsan -G Ninja
# `make tsan`, the last stage of `make test`, builds only what the concurrency tests need: the
# portcullis binary and the unit tests of src/snapshot and src/jwks. Libraries from Debian
# packages (OpenSSL, yaml-cpp, spdlog, Boost.JSON and Boost.URL) are not instrumented; Boost.Asio
# and Beast are header code compiled into this tree (src/common/asio_impl.cc), so they are.
set(CMAKE_CXX_COMPILER clang++-14 CACHE STRING "")
set(CMAKE_BUILD_TYPE Sanitize CACHE STRING "")
set(CMAKE_CXX_FLAGS_SANITIZE "-O1 -gline-tables-only -fno-omit-frame-pointer -fsanitize=thread"
    CACHE STRING "")
set(CMAKE_EXE_LINKER_FLAGS_SANITIZE "-fsanitize=thread" CACHE STRING "")
# Unity build: CMake compiles the files of each library or test binary together, up to 8 per
# translation unit, which cuts the compiler's CPU time by about 30 %. src/CMakeLists.txt and
# tests/CMakeLists.txt list the files compiled on their own.
set(CMAKE_UNITY_BUILD ON CACHE BOOL "")

# Initial cache for the ThreadSanitizer tree (build-tsan/):
#   cmake -C tests/sanitizers/tsan.cmake -S . -B build-tsan -G Ninja
# `make tsan` builds only what the concurrency tests need: the portcullis binary and the unit
# tests of src/snapshot and src/jwks. Libraries from Debian packages (OpenSSL, yaml-cpp, spdlog,
# Boost.JSON and Boost.URL) are not instrumented; Boost.Asio and Beast are header code compiled
# into this tree (src/common/asio_impl.cc), so they are.
set(CMAKE_CXX_COMPILER clang++-14 CACHE STRING "")
set(CMAKE_BUILD_TYPE Sanitize CACHE STRING "")
set(CMAKE_CXX_FLAGS_SANITIZE "-O1 -gline-tables-only -fno-omit-frame-pointer -fsanitize=thread"
    CACHE STRING "")
set(CMAKE_EXE_LINKER_FLAGS_SANITIZE "-fsanitize=thread" CACHE STRING "")

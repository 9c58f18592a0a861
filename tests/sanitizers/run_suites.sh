#!/bin/sh
# Runs CTest entries of a sanitizer tree with the sanitizer options this project uses:
#   run_suites.sh asan|tsan|fuzz BUILD_DIR [ctest arguments...]
#
# asan and tsan: the end-to-end suites start the gateway as a child process and judge only its
# replies, so a sanitizer report from that process would not fail them. Every instrumented
# process of the run therefore writes its reports to BUILD_DIR/sanitizer-logs/<tool>.<pid>,
# and the run fails when any report was written, even if every test passed. The reports are
# printed at the end.
#
# fuzz: libFuzzer prints the report and saves the failing input itself, so reports stay on
# standard error, where CTest's --output-on-failure shows them.
set -eu

tool=$1
build=$(cd "$2" && pwd)
shift 2
here=$(cd "$(dirname "$0")" && pwd)
logs=$build/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"

# Debian's llvm-14 installs llvm-symbolizer there; the runtimes look it up in PATH.
export PATH="/usr/lib/llvm-14/bin:$PATH"
lsan="suppressions=$here/lsan.supp:print_suppressions=0"
case $tool in
  asan)
    export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1:check_initialization_order=1"
    export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=1"
    export LSAN_OPTIONS="$lsan"
    ;;
  tsan)
    export TSAN_OPTIONS="log_path=$logs/tsan:suppressions=$here/tsan.supp:second_deadlock_stack=1"
    ;;
  fuzz)
    export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    export LSAN_OPTIONS="$lsan"
    ;;
  *)
    echo "run_suites.sh: unknown tool \"$tool\"; expected asan, tsan or fuzz" >&2
    exit 2
    ;;
esac

status=0
(cd "$build" && ctest --output-on-failure "$@") || status=$?

reports=$(find "$logs" -type f | sort)
if [ -n "$reports" ]; then
  for report in $reports; do
    echo "=== sanitizer report $report"
    cat "$report"
  done
  echo "run_suites.sh: $(echo "$reports" | wc -l) sanitizer report(s) in $logs" >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"

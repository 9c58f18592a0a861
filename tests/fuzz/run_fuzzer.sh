#!/bin/sh
# Runs one fuzz target, as the CTest entry fuzz.<name> does:
#   run_fuzzer.sh BINARY NAME WORK_DIR
# First every input of regressions/NAME/ runs once and must pass. Then the target fuzzes for
# $PORTCULLIS_FUZZ_SECONDS seconds (30 when unset), starting from the seed corpus corpus/NAME/
# and any inputs earlier runs added to WORK_DIR/corpus/NAME/. New inputs are written there,
# never into the source tree, and an input that fails is saved in WORK_DIR/artifacts/NAME/.
set -eu

binary=$1
name=$2
work=$3
here=$(cd "$(dirname "$0")" && pwd)
seconds=${PORTCULLIS_FUZZ_SECONDS:-30}
corpus=$work/corpus/$name
artifacts=$work/artifacts/$name
mkdir -p "$corpus" "$artifacts"

regressions=$here/regressions/$name
if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
  echo "replaying $(ls -A "$regressions" | wc -l) inputs of $regressions"
  "$binary" "$regressions"/*
fi

set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1 \
  -artifact_prefix="$artifacts/"
if [ -f "$here/dict/$name.dict" ]; then
  set -- "$@" -dict="$here/dict/$name.dict"
fi
exec "$binary" "$@" "$corpus" "$here/corpus/$name"

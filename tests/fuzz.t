#!/bin/sh
# libFuzzer targets (tests/fuzz/run.sh): 30 s each in make test.
exec "$(dirname "$0")/fuzz/run.sh" "${FUZZ_SECONDS:-30}"

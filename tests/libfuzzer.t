#!/bin/sh
# libFuzzer targets (tests/libfuzzer/run.sh): 30 s each in make test.
# Coverage-guided fuzzing of the header parsers and the loader's command line;
# the packet fuzzer through the BPF programs is build/tests/test_pktfuzz.
exec "$(dirname "$0")/libfuzzer/run.sh" "${FUZZ_SECONDS:-30}"

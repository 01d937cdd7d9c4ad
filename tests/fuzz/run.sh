#!/bin/sh
# run.sh: runs libFuzzer harnesses built by `make fuzz-build`.
#
#	tests/fuzz/run.sh BUILD SECONDS NAME...
#
# Each harness BUILD/fuzz/NAME runs for SECONDS from the committed seeds
# in tests/fuzz/corpus/NAME with the dictionary tests/fuzz/NAME.dict.
# The committed seeds are only read: new inputs go to the first corpus
# directory, BUILD/fuzz/corpus/NAME, which persists between runs. A
# crash, leak, timeout or out-of-memory input is written to
# BUILD/fuzz/crashes/NAME/ (crash-*, leak-*, timeout-*, oom-*); the
# full output is in BUILD/fuzz/NAME.log. Replay one input with
#	BUILD/fuzz/NAME FILE
# Exits 1 if any harness failed.
set -u

if [ $# -lt 3 ]; then
	echo "usage: tests/fuzz/run.sh BUILD SECONDS NAME..." >&2
	exit 2
fi
build=$1
secs=$2
shift 2

# Crashes stop at once with a stack trace; UBSan reports are fatal (the
# harnesses are built with -fno-sanitize-recover=all).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0
for name in "$@"; do
	bin="$build/fuzz/$name"
	seeds="tests/fuzz/corpus/$name"
	work="$build/fuzz/corpus/$name"
	crashes="$build/fuzz/crashes/$name"
	log="$build/fuzz/$name.log"
	case $name in
	fuzz_cfg)	maxlen=8192 ;;
	*)		maxlen=65536 ;;
	esac
	mkdir -p "$work" "$crashes"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 \
	    -max_len="$maxlen" -dict="tests/fuzz/$name.dict" \
	    -artifact_prefix="$crashes/" -print_final_stats=1 \
	    "$work" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ $rc -ne 0 ]; then
		failed=$((failed + 1))
		echo "fuzz: FAILED: $name (exit $rc) after ${runs:-?} runs;" \
		    "input saved in $crashes/, log $log:" >&2
		grep -a -E -A40 '^==[0-9]+==ERROR|runtime error|^fuzz_' \
		    "$log" | head -60 >&2
	else
		echo "fuzz: $name: ${runs:-?} runs in $secs s, no failure"
	fi
done
[ $failed -eq 0 ]

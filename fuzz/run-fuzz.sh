#!/bin/sh
# Runs the libFuzzer targets of a fuzz build.
#   fuzz/run-fuzz.sh BUILD SECONDS [TARGET...]
# BUILD is a build directory set up with -Dfuzz=enabled and clang (make
# build-fuzz / make fuzz); SECONDS is the time per target; TARGET is one of
# card-config, request, page-dir (default: all). The seed corpus in
# fuzz/corpus/<target> is only read; new inputs go to BUILD/fuzz/work/<target>,
# crashes to BUILD/fuzz/artifacts/<target>/. Exit status 1 if any target
# found a crash, leak or broken invariant.
# Example of a long run: fuzz/run-fuzz.sh build-fuzz 3600
set -u
if [ $# -lt 2 ]; then
	echo "usage: $0 BUILD SECONDS [TARGET...]" >&2
	exit 2
fi
BUILD=$(cd "$1" && pwd) || exit 2
SECONDS_PER=$2
shift 2
SRC=$(cd "$(dirname "$0")" && pwd)
TARGETS=${*:-card-config request page-dir}
rc=0
for t in $TARGETS; do
	bin="$BUILD/fuzz/fuzz-$t"
	if [ ! -x "$bin" ]; then
		echo "FAIL: $bin missing: build with -Dfuzz=enabled (clang) first" >&2
		rc=1
		continue
	fi
	work="$BUILD/fuzz/work/$t"
	art="$BUILD/fuzz/artifacts/$t/"
	mkdir -p "$work" "$art"
	# page-dir inputs hold several directory chunks; card-config several keys.
	echo "fuzz-$t: ${SECONDS_PER}s"
	if ! "$bin" -max_total_time="$SECONDS_PER" -max_len=8192 -timeout=10 \
		-rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$art" \
		"$work" "$SRC/corpus/$t"; then
		echo "FAIL: fuzz-$t found a problem; reproduce with: $bin $art<crash-file>" >&2
		rc=1
	fi
done
exit $rc

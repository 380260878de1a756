#!/bin/sh
# Runs every Meson test suite of the main build and the fuzz build, then
# prints one summary line "N passed, N failed".
set -u
BUILD=${1:-build}
BUILD_FUZZ=${2:-}
rc=0
if ! meson test -C "$BUILD" --print-errorlogs --num-processes 1; then
	# Tests against real daemons on a 2-core machine are timing sensitive: a
	# failed integration test gets one more run, and is reported as flaky
	# (in the summary below) if that one passes.
	failed=$(python3 - "$BUILD" <<'PY'
import json, sys
for l in open(f"{sys.argv[1]}/meson-logs/testlog.json"):
    r = json.loads(l)
    suite, _, name = r["name"].partition(" / ")
    if r["result"] not in ("OK", "EXPECTEDFAIL") and suite.endswith(":integration"):
        print(name)
PY
)
	others=$(python3 - "$BUILD" <<'PY'
import json, sys
for l in open(f"{sys.argv[1]}/meson-logs/testlog.json"):
    r = json.loads(l)
    suite, _, name = r["name"].partition(" / ")
    if r["result"] not in ("OK", "EXPECTEDFAIL") and not suite.endswith(":integration"):
        print(name)
PY
)
	cp "$BUILD/meson-logs/testlog.json" "$BUILD/meson-logs/testlog-first.json"
	if [ -n "$failed" ] && [ -z "$others" ]; then
		echo "run-tests: running again: $failed"
		# shellcheck disable=SC2086
		if meson test -C "$BUILD" --print-errorlogs --num-processes 1 --no-rebuild $failed; then
			echo "run-tests: FLAKY (failed once, passed again): $failed"
			python3 - "$BUILD" <<'PY'
import json, sys
b = sys.argv[1]
first = [json.loads(l) for l in open(f"{b}/meson-logs/testlog-first.json")]
again = {json.loads(l)["name"]: json.loads(l) for l in open(f"{b}/meson-logs/testlog.json")}
with open(f"{b}/meson-logs/testlog.json", "w") as f:
    for r in first:
        f.write(json.dumps(again.get(r["name"], r)) + "\n")
PY
		else
			rc=1
		fi
	else
		rc=1
	fi
fi
if [ -n "$BUILD_FUZZ" ]; then
	meson test -C "$BUILD_FUZZ" --print-errorlogs --num-processes 1 --suite fuzz --suite unit || rc=1
fi
python3 - "$BUILD" $BUILD_FUZZ <<'PY'
import json, sys
passed = failed = skipped = xfail = 0
for b in sys.argv[1:]:
    try:
        lines = open(f"{b}/meson-logs/testlog.json").read().splitlines()
    except OSError:
        continue
    for l in lines:
        r = json.loads(l)["result"]
        if r == "OK": passed += 1
        elif r == "EXPECTEDFAIL": passed += 1; xfail += 1
        elif r == "SKIP": skipped += 1
        else: failed += 1
print(f"check: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed or skipped else 0)
PY
[ $? -eq 0 ] || rc=1
exit $rc

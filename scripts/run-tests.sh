#!/bin/sh
# Runs every Meson test suite of the main build and the fuzz build, then
# prints one summary line "N passed, N failed".
set -u
BUILD=${1:-build}
BUILD_FUZZ=${2:-}
rc=0
meson test -C "$BUILD" --print-errorlogs --num-processes 1 || rc=1
if [ -n "$BUILD_FUZZ" ]; then
	meson test -C "$BUILD_FUZZ" --print-errorlogs --num-processes 1 --suite fuzz --suite unit || rc=1
fi
python3 - "$BUILD" $BUILD_FUZZ <<'PY'
import json, sys
passed = failed = skipped = 0
for b in sys.argv[1:]:
    try:
        lines = open(f"{b}/meson-logs/testlog.json").read().splitlines()
    except OSError:
        continue
    for l in lines:
        r = json.loads(l)["result"]
        if r in ("OK", "EXPECTEDFAIL"): passed += 1
        elif r == "SKIP": skipped += 1
        else: failed += 1
print(f"check: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed or skipped else 0)
PY
[ $? -eq 0 ] || rc=1
exit $rc

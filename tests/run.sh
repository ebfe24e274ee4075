#!/bin/sh
# run.sh - runs test binaries one by one and ends with one summary line: "N passed, N failed".
#
# Counts cmocka's "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)" lines;
# a binary that prints neither counts as one test, passed if it exits 0. A
# binary that exits non-zero without reporting a failure (a crash, a
# sanitizer report, a failed group setup) counts one failure more.
set -u
export BUILD="${BUILD:-build}"
passed=0
failed=0
broken=""
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for bin in "$@"; do
	echo "=== $bin"
	"$bin" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{s+=$1} END {print s+0}')
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		if [ $rc -eq 0 ]; then p=1; else f=1; fi
	elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -gt 0 ] && broken="$broken $bin"
done

echo
[ -n "$broken" ] && echo "failing:$broken"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

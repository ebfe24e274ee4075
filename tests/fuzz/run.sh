#!/bin/sh
# run.sh - builds every tests/fuzz/fuzz_*.c with libFuzzer + ASan + UBSan and fuzzes each for a while.
#
#   BUILD=build FUZZ_SECONDS=60 sh tests/fuzz/run.sh
#   make fuzz FUZZ_SECONDS=60     (the same, after installing clang and libFuzzer)
#
# FUZZ_CFLAGS is appended to the compile flags, e.g. to look past a known
# finding while its fix is pending: FUZZ_CFLAGS=-fno-sanitize=nonnull-attribute
#
# Each harness runs on a temporary copy of tests/fuzz/corpus/<name>/, so the
# committed seeds stay as they are. A crash leaves its input under
# $BUILD/fuzz/artifacts/<name>/; save it as a regression seed in the corpus,
# named after what broke. Exits non-zero if any harness crashed.
set -u

BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_CC=${FUZZ_CC:-clang}
GEN=$BUILD/gen
OUT=$BUILD/fuzz

die() {
	echo "fuzz: $*" >&2
	exit 1
}

# libFuzzer ships with clang's runtime libraries: on Debian, libclang-rt-<N>-dev
# for clang N (clang 14, Debian 12's: libclang-rt-14-dev).
command -v "$FUZZ_CC" >/dev/null 2>&1 ||
	die "$FUZZ_CC not found: apt-get install -y clang libclang-rt-<N>-dev (N: clang's major version, e.g. 14)"
"$FUZZ_CC" --version 2>/dev/null | grep -q clang ||
	die "$FUZZ_CC is not clang: libFuzzer needs clang (apt-get install -y clang libclang-rt-<N>-dev)"
major=$("$FUZZ_CC" -dumpversion 2>/dev/null | cut -d. -f1)
probe_dir=$(mktemp -d) || die "mktemp failed"
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
	>"$probe_dir/probe.c"
if ! "$FUZZ_CC" -fsanitize=fuzzer,address,undefined -o "$probe_dir/probe" "$probe_dir/probe.c" \
	>"$probe_dir/log" 2>&1; then
	cat "$probe_dir/log" >&2
	rm -rf "$probe_dir"
	die "libFuzzer is not available to $FUZZ_CC; on Debian it ships in libclang-rt-${major:-<version>}-dev: apt-get install -y libclang-rt-${major:-<version>}-dev"
fi
rm -rf "$probe_dir"

for f in "$GEN/migrations.c" "$GEN"/baton/v1/*.pb-c.c; do
	[ -f "$f" ] || die "$f is missing: run 'make fuzz' (it generates the protobuf and migration sources first)"
done

harnesses=$(ls tests/fuzz/fuzz_*.c 2>/dev/null)
[ -n "$harnesses" ] || die "no tests/fuzz/fuzz_*.c harness found (run from the project root)"

CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wshadow \
-Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -pthread \
-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all ${FUZZ_CFLAGS:-}"
CPPFLAGS="-Iinclude -Isrc -I$GEN -I/usr/include/postgresql"
LIBS="-lnng -lprotobuf-c -lsodium -lpq -pthread"

# The server and its generated code, instrumented once for all harnesses.
mkdir -p "$OUT/obj" || die "cannot create $OUT/obj"
stamp=$OUT/obj/flags
if [ "$(cat "$stamp" 2>/dev/null)" != "$FUZZ_CC $CPPFLAGS $CFLAGS" ]; then
	rm -f "$OUT"/obj/*.o
	echo "$FUZZ_CC $CPPFLAGS $CFLAGS" >"$stamp"
fi
objs=""
for src in src/common/*.c src/server/*.c src/client/ctl_when.c "$GEN"/baton/v1/*.pb-c.c "$GEN/migrations.c"; do
	[ "$src" = src/server/main.c ] && continue
	obj=$OUT/obj/$(echo "$src" | tr '/' '_' | sed 's/\.c$/.o/')
	if [ ! -f "$obj" ] || [ -n "$(find "$src" src include "$GEN" \( -path "$src" -o -name '*.h' \) -newer "$obj" 2>/dev/null | head -n 1)" ]; then
		# shellcheck disable=SC2086
		$FUZZ_CC $CPPFLAGS $CFLAGS -c -o "$obj" "$src" || die "compiling $src failed"
	fi
	objs="$objs $obj"
done

failed=0
summary=""
for harness in $harnesses; do
	name=$(basename "$harness" .c)
	short=${name#fuzz_}
	bin=$OUT/$name
	# shellcheck disable=SC2086
	$FUZZ_CC $CPPFLAGS $CFLAGS -fsanitize=fuzzer -o "$bin" "$harness" $objs $LIBS ||
		die "building $harness failed"

	seeds=tests/fuzz/corpus/$short
	if [ ! -d "$seeds" ] || [ -z "$(find "$seeds" -type f | head -n 1)" ]; then
		die "$seeds is missing or empty: a harness needs seeds"
	fi
	work=$(mktemp -d) || die "mktemp failed"
	cp "$seeds"/* "$work"/
	artifacts=$OUT/artifacts/$short
	mkdir -p "$artifacts"
	log=$OUT/$name.log

	echo "fuzz: $name for ${FUZZ_SECONDS}s on $(find "$work" -type f | wc -l) seeds (log: $log)"
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/" "$work" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	corp=$(find "$work" -type f | wc -l)
	rm -rf "$work"
	if [ "$rc" -ne 0 ]; then
		failed=$((failed + 1))
		echo "fuzz: $name FAILED (exit $rc); the report:" >&2
		grep -E 'ERROR|runtime error|invariant violated|SUMMARY|Test unit written|^    #[0-3] ' "$log" | head -n 20 >&2
		summary="$summary
$name: FAILED (exit $rc) after ${execs:-?} runs; inputs: $(find "$artifacts" -type f | tr '\n' ' ')"
	else
		summary="$summary
$name: ok, ${execs:-?} runs, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp} inputs"
	fi
done

echo "fuzz: summary (${FUZZ_SECONDS}s each):$summary"
[ "$failed" -eq 0 ] || die "$failed harness(es) crashed; artifacts under $OUT/artifacts/"
exit 0

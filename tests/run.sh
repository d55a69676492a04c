#!/bin/bash
# Runs every test: unit tests (normal and ASan/UBSan builds), then the
# integration tests against a real daemon with real QEMU guests in a private
# network namespace. Ends with "N passed, N failed"; exits non-zero on failure.
# usage: tests/run.sh BUILD_DIR [unit|integration|fuzz]
# The libFuzzer targets (BUILD_DIR/fuzz/fuzz_*) run with the unit tests, each
# for FUZZ_SECONDS (default 8) from its seeds (tests/fuzz/NAME) and the corpus
# it grew before (BUILD_DIR/fuzz/corpus-NAME).
set -u
BUILD=${1:-build}
WHAT=${2:-all}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export LW_BUILD=$ROOT/$BUILD
passed=0
failed=0
log=$(mktemp /tmp/labwire-tests.XXXXXX)

# The last "N passed, N failed" line of a unit test program.
run_unit() {
	local bin=$1 line p f rc
	"$bin" >"$log" 2>&1
	rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL $bin: exited $rc without a summary"
		sed 's/^/    /' "$log" | tail -n 20
		failed=$((failed + 1))
		return
	fi
	p=${line%% passed*}
	f=${line#*, }
	f=${f%% failed}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f))
	printf '%-40s %s\n' "${bin#$ROOT/}" "$line"
	[ "$f" -eq 0 ] || sed 's/^/    /' "$log" | grep -v '^    ok' | tail -n 30
}

# The longest input each target is given, in bytes: what its parser reads at
# once (a header, a request body, a frame) with room for a few more.
fuzz_max_len() {
	case $1 in
	sniff) echo 600 ;;
	host | httpval | route | bpf) echo 2048 ;;
	pcap | telnet | ws | qmp | configdrive) echo 16384 ;;
	*) echo 8192 ;;
	esac
}

# One libFuzzer target for FUZZ_SECONDS: a crash, a leak, a slow input (10 s)
# or a memory hog (1 GiB) fails it, and its reproducer stays in BUILD/fuzz/.
run_fuzz() {
	local bin=$1 name=${1##*/fuzz_} corpus rc art dict=()
	corpus=$LW_BUILD/fuzz/corpus-$name
	mkdir -p "$corpus"
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	ASAN_OPTIONS=${ASAN_OPTIONS:-quarantine_size_mb=64} "$bin" -max_total_time="${FUZZ_SECONDS:-8}" -max_len="$(fuzz_max_len "$name")" \
		-timeout=10 -rss_limit_mb=1024 -artifact_prefix="$LW_BUILD/fuzz/$name-" \
		-print_final_stats=1 "${dict[@]}" "$corpus" "tests/fuzz/$name" >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		printf '%-40s 1 passed, 0 failed (%s runs)\n' "${bin#$ROOT/}" \
			"$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
		return
	fi
	failed=$((failed + 1))
	art=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
	printf '%-40s 0 passed, 1 failed (exit %d)\n' "${bin#$ROOT/}" "$rc"
	grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ 0x' "$log" | head -n 20 | sed 's/^/    /'
	echo "    reproducer: ${art:-none written} (run: $bin ${art:-FILE})"
}

run_integration() {
	local t=$1 p f start
	start=$SECONDS
	bash "$t" >"$log" 2>&1
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	passed=$((passed + p))
	failed=$((failed + f))
	printf '%-40s %d passed, %d failed (%ds)\n' "$t" "$p" "$f" $((SECONDS - start))
	grep -E '^(not ok|#)' "$log" | sed 's/^/    /' | tail -n 60
}

if [ "$WHAT" = all ] || [ "$WHAT" = unit ]; then
	echo "== unit tests"
	# The tree's structure first (floors, cycles, SQL, built files, format).
	run_unit "$ROOT/tests/check_tree.sh"
	run_integration tests/check_tree_selftest.sh
	for b in "$LW_BUILD"/tests/test_* "$LW_BUILD"/asan/tests/test_*; do
		[ -x "$b" ] && run_unit "$b"
	done
fi
if [ "$WHAT" = all ] || [ "$WHAT" = unit ] || [ "$WHAT" = fuzz ]; then
	echo "== fuzz targets, ${FUZZ_SECONDS:-8} s each"
	for b in "$LW_BUILD"/fuzz/fuzz_*; do
		[ -x "$b" ] && run_fuzz "$b"
	done
fi
if [ "$WHAT" = all ] || [ "$WHAT" = integration ]; then
	echo "== integration tests"
	for t in tests/integration/test_*.sh; do
		run_integration "$t"
	done
	if [ -x "$LW_BUILD/asan/labwire" ]; then
		echo "== integration tests, daemon built with ASan/UBSan"
		export LW_IMAGES=$LW_BUILD/images LW_TOOLS=$LW_BUILD/tools LW_UI=$LW_BUILD/ui \
			LW_NPM=$LW_BUILD/npm-uitest LW_BUILD=$LW_BUILD/asan
		for t in tests/integration/test_*.sh; do
			run_integration "$t"
		done
	fi
fi
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

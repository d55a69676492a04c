#!/bin/bash
# Runs every test: unit tests (normal and ASan/UBSan builds), then the
# integration tests against a real daemon with real QEMU guests in a private
# network namespace. Ends with "N passed, N failed"; exits non-zero on failure.
# usage: tests/run.sh BUILD_DIR [unit|integration]
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

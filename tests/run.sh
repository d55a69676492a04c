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
	yaml) echo 4096 ;;
	host | httpval | route | bpf) echo 2048 ;;
	pcap | telnet | ws | qmp | configdrive | unl) echo 16384 ;;
	import) echo 32768 ;;
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

# The integration tests, twice: against the normal daemon, then (when built)
# against the ASan/UBSan one. The two passes' tests are one queue of jobs run
# INTEGRATION_JOBS at a time (default 2), each with its own log; results print
# as before, pass by pass in file order, each as soon as those before it are
# done. Every test runs in a network namespace, data directory and cgroup of
# its own, so tests share only the CPU. The queue is ordered by each test's
# time in the last run ($LW_BUILD/integration-times, or in a fresh build the
# committed tests/integration/times; a test not timed yet counts as the longest): one slot takes the longest job left, the others the
# shortest, so a heavy QEMU test runs beside light API tests, not beside its
# own twin of the other pass, and the slots end close together.
run_integration_passes() {
	local jobs=${INTEGRATION_JOBS:-2} times=$LW_BUILD/integration-times dir t i n=0 k pass
	local -a tests job_t job_pass job_est order running_slot done_rc done_secs
	local -A est pid_job pid_start
	[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
	dir=$(mktemp -d /tmp/labwire-itests.XXXXXX)
	tests=(tests/integration/test_*.sh)
	for pass in normal asan; do
		[ "$pass" = asan ] && [ ! -x "$LW_BUILD/asan/labwire" ] && continue
		for t in "${tests[@]}"; do
			job_t[n]=$t job_pass[n]=$pass
			n=$((n + 1))
		done
	done
	# A fresh build has no times yet: tests/integration/times (a clean make
	# test's, committed) orders its first run, so CI pairs heavy with light too.
	local seed=$times
	[ -r "$seed" ] || seed=tests/integration/times
	if [ -r "$seed" ]; then
		while read -r pass t k; do est[$pass:$t]=$k; done <"$seed"
	fi
	for ((i = 0; i < n; i++)); do job_est[i]=${est[${job_pass[i]}:${job_t[i]}]:-100000}; done
	# Longest first; equal times in file order.
	mapfile -t order < <(for ((i = 0; i < n; i++)); do echo "${job_est[i]} $i"; done | sort -k1,1nr -k2,2n | cut -d' ' -f2)

	# start SLOT JOB: the job's test in the background, with its pass's daemon.
	start() {
		local j=$2 b=$LW_BUILD
		if [ "${job_pass[j]}" = asan ]; then
			LW_IMAGES=${LW_IMAGES:-$b/images} LW_TOOLS=${LW_TOOLS:-$b/tools} LW_UI=${LW_UI:-$b/ui} \
				LW_NPM=${LW_NPM:-$b/npm-uitest} LW_BUILD=$b/asan bash "${job_t[j]}" >"$dir/$j.log" 2>&1 &
		else
			bash "${job_t[j]}" >"$dir/$j.log" 2>&1 &
		fi
		pid_job[$!]=$j pid_start[$!]=$SECONDS running_slot[$1]=$!
	}
	# The results of every finished job in print order not printed yet.
	local printed=0
	flush() {
		local j p f
		while [ "$printed" -lt "$n" ] && [ -n "${done_rc[printed]:-}" ]; do
			j=$printed
			if [ "$j" -eq 0 ]; then
				echo "== integration tests"
			elif [ "${job_pass[j]}" != "${job_pass[j - 1]}" ]; then
				echo "== integration tests, daemon built with ASan/UBSan"
			fi
			p=$(grep -c '^ok - ' "$dir/$j.log")
			f=$(grep -c '^not ok - ' "$dir/$j.log")
			if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; fi
			passed=$((passed + p))
			failed=$((failed + f))
			printf '%-40s %d passed, %d failed (%ds)\n' "${job_t[j]}" "$p" "$f" "${done_secs[j]}"
			grep -E '^(not ok|#)' "$dir/$j.log" | sed 's/^/    /' | tail -n 60
			printed=$((printed + 1))
		done
	}
	# Interrupted: the running tests end (their teardowns run), then this.
	trap 'for k in "${!pid_job[@]}"; do kill -TERM "$k" 2>/dev/null; done; wait; rm -rf "$dir"; exit 130' INT TERM
	local lo=0 hi=$((n - 1)) slot pid rc
	[ "$n" -eq 0 ] && echo "== integration tests"
	for ((slot = 0; slot < jobs && lo <= hi; slot++)); do
		if [ "$slot" -eq 0 ]; then start "$slot" "${order[lo]}" && lo=$((lo + 1)); else start "$slot" "${order[hi]}" && hi=$((hi - 1)); fi
	done
	while [ "${#pid_job[@]}" -gt 0 ]; do
		pid=
		wait -n -p pid "${!pid_job[@]}"
		rc=$?
		[ -n "${pid:-}" ] && [ -n "${pid_job[$pid]:-}" ] || continue
		i=${pid_job[$pid]}
		done_rc[i]=$rc done_secs[i]=$((SECONDS - pid_start[$pid]))
		unset "pid_job[$pid]" "pid_start[$pid]"
		for ((slot = 0; slot < jobs; slot++)); do [ "${running_slot[slot]}" = "$pid" ] && break; done
		if [ "$lo" -le "$hi" ]; then
			if [ "$slot" -eq 0 ]; then start "$slot" "${order[lo]}" && lo=$((lo + 1)); else start "$slot" "${order[hi]}" && hi=$((hi - 1)); fi
		fi
		flush
	done
	trap - INT TERM
	# This run's times order the next run's queue.
	for ((i = 0; i < n; i++)); do echo "${job_pass[i]} ${job_t[i]} ${done_secs[i]}"; done >"$times.tmp" &&
		mv "$times.tmp" "$times"
	rm -rf "$dir"
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
	run_integration_passes
fi
rm -f "$log"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/bash
# make bench: lab start overhead. A lab of N tiny-linux nodes (N/2 links) is
# started through labwire (POST .../start until every node reports running,
# i.e. its QEMU answers QMP), against the same QEMU argvs launched by a plain
# shell loop (TAPs and bridges made with `ip`, QEMU opening the TAPs itself,
# done when every QMP socket answers). Printed as a table of medians.
set -u
export LW_BUILD=${1:-$PWD/build}
case "$LW_BUILD" in /*) ;; *) LW_BUILD=$PWD/$LW_BUILD ;; esac
N=${LW_BENCH_NODES:-20}
REPS=${LW_BENCH_REPS:-3}
. "$(dirname "$0")/../integration/lib.sh"
ok() { :; }
notok() { echo "bench: $*" >&2; }
lw_setup

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# The lab: N nodes, node 2k-1 linked to node 2k.
{
	printf '{"name":"bench","nodes":['
	for i in $(seq 1 "$N"); do
		[ "$i" -gt 1 ] && printf ','
		printf '{"name":"n%d","template":"tiny-linux","nics":1,"accel":"tcg"}' "$i"
	done
	printf '],"links":['
	for k in $(seq 1 $((N / 2))); do
		[ "$k" -gt 1 ] && printf ','
		printf '{"endpoints":["n%d:eth0","n%d:eth0"]}' $((2 * k - 1)) $((2 * k))
	done
	printf ']}'
} >"$LW_TMP/lab.json"
api POST /api/v1/labs "@$LW_TMP/lab.json"
[ "$STATUS" = 201 ] || { echo "bench: cannot create the lab: $BODY" >&2; exit 1; }

all_running() { lab_nodes_are bench running; }
labwire_once() {
	local t0 t1
	: >"$LW_TMP/daemon.log.cut"
	t0=$(now)
	api POST /api/v1/labs/bench/start
	while ! all_running; do sleep 0.02; done
	t1=$(now)
	echo "$t1 - $t0" | bc -l
	api POST /api/v1/labs/bench/stop
	wait_for stopped 120 lab_nodes_are bench stopped
}

# The argvs labwire used, rewritten for a shell: QEMU opens a named TAP itself.
reference_argvs() {
	grep -o 'started pid [0-9]*: .*' "$LW_TMP/daemon.log" | tail -n "$N" | sed 's/^started pid [0-9]*: //' |
		sed -E 's/-netdev tap,id=(net[0-9]+),fd=[0-9]+/-netdev tap,id=\1,ifname=TAPNAME,script=no,downscript=no/' |
		sed -E 's#/run/n([0-9]+)\.qmp#/ref/q\1.qmp#; s#,logfile=[^ ]*##; s#port=6[0-9]{3}#port=0#' |
		sed -E "s#-append (.*) -netdev tap,id=net0,#-append '\\1' -netdev tap,id=net0,#"
}

qmp_answers() { echo '{"execute":"qmp_capabilities"}' | nsexec socat -T1 - "UNIX-CONNECT:$1" 2>/dev/null | grep -q '"return"'; }

reference_once() {
	local t0 t1 i=0 line socks=()
	local start=$SECONDS
	mkdir -p "$LW_DATA/ref"
	t0=$(now)
	while IFS= read -r line; do
		i=$((i + 1))
		local tap=lwr${i}n0 br=lwrb$(((i + 1) / 2))
		nsexec ip tuntap add "$tap" mode tap
		nsexec ip link set "$tap" mtu 9000 up
		nsexec ip link add "$br" type bridge 2>/dev/null && nsexec ip link set "$br" up
		nsexec ip link set "$tap" master "$br"
		line=${line//TAPNAME/$tap}
		local -a argv
		eval "argv=($line)"
		ip netns exec "$LW_NS" setsid "${argv[@]}" >/dev/null 2>&1 &
		socks+=("$(grep -o "$LW_DATA/ref/q[0-9]*\.qmp" <<<"$line")")
	done < <(reference_argvs)
	for s in "${socks[@]}"; do
		until qmp_answers "$s"; do
			sleep 0.02
			[ $SECONDS -lt $((start + 120)) ] || { echo "bench: $s never answered" >&2; break; }
		done
	done
	t1=$(now)
	echo "$t1 - $t0" | bc -l
	# setsid may fork: find the QEMUs by what runs in the namespace.
	kill -KILL $(qemu_pids) 2>/dev/null
	wait 2>/dev/null
	wait_for "reference QEMUs gone" 30 test "$(qemu_count)" = 0
	for i in $(seq 1 "$N"); do nsexec ip link del "lwr${i}n0" 2>/dev/null; done
	for i in $(seq 1 $((N / 2))); do nsexec ip link del "lwrb$i" 2>/dev/null; done
	rm -rf "$LW_DATA/ref"
}

command -v bc >/dev/null || { echo "bench: needs bc" >&2; exit 1; }
lw_times=() ref_times=()
for r in $(seq 1 "$REPS"); do
	lw_times+=("$(labwire_once)")
	ref_times+=("$(reference_once)")
	echo "run $r/$REPS: labwire ${lw_times[-1]} s, shell loop ${ref_times[-1]} s" >&2
done
lw=$(printf '%s\n' "${lw_times[@]}" | median)
ref=$(printf '%s\n' "${ref_times[@]}" | median)
api DELETE /api/v1/labs/bench

printf '\n%-52s | %10s | %10s | %6s\n' "benchmark (median of $REPS)" labwire reference ratio
printf '%-52s-+-%10s-+-%10s-+-%6s\n' "$(printf '%.0s-' $(seq 52))" ---------- ---------- ------
printf '%-52s | %9.2fs | %9.2fs | %6.2f\n' "$N-node lab: start -> every QEMU answers QMP" "$lw" "$ref" \
	"$(echo "$lw / $ref" | bc -l)"
printf '%-52s | %10s | %10s |\n' "  (reference: same argvs from a shell loop)" "" ""

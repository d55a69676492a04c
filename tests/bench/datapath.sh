#!/bin/bash
# Datapath benchmark harness: frames/s through a link between two network
# namespaces, the references a labwire link is compared against, and the
# time to wire 1,000 links by hand with ip/tc. Sourced by run.sh (which adds
# the labwire rows) or run standalone as root: bash tests/bench/datapath.sh
#
#   dp_init                           build the helpers, make the host netns, set the cleanup trap
#   dp_measure NS_A IF_A NS_B IF_B SIZE
#                                     echo frames/s received on IF_B while IF_A blasts SIZE-byte
#                                     frames at IF_B's MAC; NS is an `ip netns` name, a path to a
#                                     netns file (/proc/PID/ns/net, /run/netns/X) or - (this one)
#   dp_ref_bridge SIZE                echo rx frames/s, two netns joined by a Linux bridge
#   dp_ref_relay SIZE                 echo rx frames/s, two netns joined by a ubridge-style UDP relay
#   dp_ref_mirred SIZE                echo rx frames/s, two netns joined by tc ingress u32+mirred
#                                     made by hand (what a labwire p2p link should match)
#   dp_ref_wire_ip                    echo "SETUP_S TEARDOWN_S": 1,000 links, one ip/tc per operation
#   dp_ref_wire_batch                 echo "SETUP_S TEARDOWN_S": the same with ip -batch / tc -batch
#   dp_header; dp_row NAME VALUE [REF [REF_NAME]]
#                                     the table: "name | value | ratio vs reference | reference"
#
# SIZE is the Ethernet frame as handed to the kernel, header included, FCS not
# (60..MTU+14). Frames are EtherType 0x88b5, not IP, so br_netfilter, netfilter
# and the receivers' IP stacks stay out of the measurement. Counters are read
# from /proc/net/dev inside the namespace: `nsenter --net` keeps the caller's
# sysfs mount, so /sys/class/net there shows the wrong namespace.
# Environment: LW_BUILD (binaries go to $LW_BUILD/bench), LW_BENCH_DP_SECS
# (measuring window, default 3), LW_BENCH_DP_WIRE_NS / LW_BENCH_DP_WIRE_PER_NS
# (wiring reference: 100 namespaces x 20 veths = 1,000 links).

DP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DP_ROOT=$(cd "$DP_DIR/../.." && pwd)
LW_BUILD=${LW_BUILD:-$DP_ROOT/build}
DP_BIN=$LW_BUILD/bench
DP_SECS=${LW_BENCH_DP_SECS:-3}
DP_WARMUP=0.4 # blasting before the first counter read
DP_WIRE_NS=${LW_BENCH_DP_WIRE_NS:-100}
DP_WIRE_PER_NS=${LW_BENCH_DP_WIRE_PER_NS:-20}
DP_PFX=lwdp$$         # every netns this script makes starts with it
DP_HOST=${DP_PFX}h    # where the host sides, the bridge and the relays live
DP_TMP=
DP_ROWS=()
DP_BG=

dp_log() { echo "datapath: $*" >&2; }
dp_now() { date +%s.%N; }
dp_calc() { awk "BEGIN { printf \"%.${2:-3}f\", ($1) }"; }

# ---- namespaces ----
dp_nspath() {
	case $1 in
	*/*) echo "$1" ;;
	*) echo "/run/netns/$1" ;;
	esac
}
# dp_in NS CMD...: run CMD in NS's network namespace (NS "-": this one).
dp_in() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then "$@"; else nsenter --net="$(dp_nspath "$ns")" "$@"; fi
}
# dp_rx NS IF: IF's rx_packets, from /proc/net/dev (per netns, unlike sysfs under nsenter).
dp_rx() {
	dp_in "$1" cat /proc/net/dev | awk -v i="$2" '{
		sub(/^ +/, ""); n = index($0, ":")
		if (substr($0, 1, n - 1) == i) { split(substr($0, n + 1), f, " "); print f[2]; found = 1 }
	} END { exit !found }'
}
dp_mac() {
	dp_in "$1" ip -o link show dev "$2" | awk '{ for (i = 1; i < NF; i++) if ($i == "link/ether") print $(i + 1) }'
}
dp_pid_add() { echo "$1" >>"$DP_TMP/pids"; }
# dp_bg NS CMD... (redirect the call): CMD in the background, its pid in DP_BG.
# Not `dp_in ... &`: that backgrounds a subshell, and $! would not be CMD.
dp_bg() {
	local ns=$1
	shift
	if [ "$ns" = - ]; then "$@" & else nsenter --net="$(dp_nspath "$ns")" "$@" & fi
	DP_BG=$!
	dp_pid_add "$DP_BG"
}

# ---- setup, cleanup ----
dp_build() {
	local b
	mkdir -p "$DP_BIN" || return 1
	for b in pktblast udprelay; do
		if [ ! -x "$DP_BIN/$b" ] || [ "$DP_DIR/$b.c" -nt "$DP_BIN/$b" ]; then
			cc -O2 -Wall -Wextra -o "$DP_BIN/$b" "$DP_DIR/$b.c" -lpthread || return 1
		fi
	done
}

dp_cleanup() {
	local p n
	if [ -n "$DP_TMP" ] && [ -f "$DP_TMP/pids" ]; then
		while read -r p; do kill -KILL "$p" 2>/dev/null; done <"$DP_TMP/pids"
	fi
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$DP_PFX"); do
		ip netns del "$n" 2>/dev/null
	done
	[ -n "$DP_TMP" ] && rm -rf "$DP_TMP"
	DP_TMP=
}

# Run dp_cleanup on exit, before whatever EXIT trap is already set (lw_teardown).
# shellcheck disable=SC2120 # set -- parses `trap -p`, not arguments
dp_trap_add() {
	local prev=
	if [ -n "$(trap -p EXIT)" ]; then
		eval "set -- $(trap -p EXIT)"
		prev=$3
	fi
	# shellcheck disable=SC2064
	trap "dp_cleanup; $prev" EXIT
}

# Call once (after lw_setup when sourced from run.sh: it sets its own EXIT trap).
dp_init() {
	[ "$(id -u)" = 0 ] || { dp_log "needs root"; return 1; }
	command -v nsenter >/dev/null || { dp_log "needs nsenter (util-linux)"; return 1; }
	dp_build || { dp_log "cannot build pktblast/udprelay"; return 1; }
	DP_TMP=$(mktemp -d /tmp/labwire-dp.XXXXXX)
	dp_trap_add
	ip netns add "$DP_HOST" || return 1
	dp_in "$DP_HOST" ip link set lo up
	if [ -d /proc/sys/net/bridge ]; then
		dp_log "br_netfilter is loaded (bridge-nf-call-iptables=$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)):" \
			"the frames are EtherType 0x88b5 to keep it out"
	fi
}

# dp_pair_setup: netns ${DP_PFX}a and ${DP_PFX}b, each with eth0 whose peer
# (dpa, dpb) is in $DP_HOST, all up, IPv6 off (no stray frames), not joined.
dp_pair_setup() {
	local s ns
	for s in a b; do
		ns=$DP_PFX$s
		ip netns add "$ns" || return 1
		dp_in "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
		dp_in "$DP_HOST" ip link add "dp$s" type veth peer name eth0 netns "$ns" || return 1
		dp_in "$DP_HOST" sysctl -qw "net.ipv6.conf.dp$s.disable_ipv6=1"
		dp_in "$DP_HOST" ip link set "dp$s" up
		dp_in "$ns" ip link set lo up
		dp_in "$ns" ip link set eth0 up
	done
}
dp_pair_teardown() {
	# The host sides first: deleting a veth is synchronous, a netns's cleanup is not.
	dp_in "$DP_HOST" ip link del dpa 2>/dev/null
	dp_in "$DP_HOST" ip link del dpb 2>/dev/null
	ip netns del "${DP_PFX}a" 2>/dev/null
	ip netns del "${DP_PFX}b" 2>/dev/null
	dp_in "$DP_HOST" ip link del dpbr 2>/dev/null
	return 0
}

# ---- the measurement ----
dp_measure() {
	local nsa=$1 ifa=$2 nsb=$3 ifb=$4 size=$5
	local dmac smac pid c0 c1 t0 t1 x sent rx tx
	dmac=$(dp_mac "$nsb" "$ifb") && [ -n "$dmac" ] || { dp_log "no MAC for $nsb:$ifb"; echo 0; return 1; }
	smac=$(dp_mac "$nsa" "$ifa") && [ -n "$smac" ] || { dp_log "no MAC for $nsa:$ifa"; echo 0; return 1; }
	# A few frames the other way first, so a learning bridge knows where IF_B is.
	dp_in "$nsb" "$DP_BIN/pktblast" "$ifb" "$smac" 60 0.01 >/dev/null
	sleep 0.3
	dp_bg "$nsa" "$DP_BIN/pktblast" "$ifa" "$dmac" "$size" "$(dp_calc "$DP_SECS + $DP_WARMUP + 0.4")" \
		>"$DP_TMP/blast.out" 2>"$DP_TMP/blast.err"
	pid=$DP_BG
	sleep "$DP_WARMUP"
	# Each sample's time: the middle of the counter read.
	x=$(dp_now); c0=$(dp_rx "$nsb" "$ifb"); t0=$(dp_calc "($x + $(dp_now)) / 2" 6)
	sleep "$DP_SECS"
	x=$(dp_now); c1=$(dp_rx "$nsb" "$ifb"); t1=$(dp_calc "($x + $(dp_now)) / 2" 6)
	wait "$pid"
	sent=$(cat "$DP_TMP/blast.out" 2>/dev/null)
	[ -s "$DP_TMP/blast.err" ] && sed 's/^/datapath: /' "$DP_TMP/blast.err" >&2
	if [ -z "$c0" ] || [ -z "$c1" ] || [ -z "$sent" ]; then
		dp_log "measurement $nsa:$ifa -> $nsb:$ifb failed"
		echo 0
		return 1
	fi
	rx=$(dp_calc "($c1 - $c0) / ($t1 - $t0)" 0)
	tx=$(dp_calc "$sent / ($DP_SECS + $DP_WARMUP + 0.4)" 0)
	echo "$rx $tx" >"$DP_TMP/last"
	dp_log "$(printf '%s:%s -> %s:%s, %4d B: sent %9d/s, received %9d/s (%s%%)' "$nsa" "$ifa" "$nsb" "$ifb" \
		"$size" "$tx" "$rx" "$(dp_calc "100 * $rx / ($tx > 0 ? $tx : 1)" 1)")"
	echo "$rx"
}
# The sent rate of the last dp_measure in this shell (not across $(...)).
dp_last_sent() { awk '{print $2}' "$DP_TMP/last" 2>/dev/null; }

# ---- references: two namespaces, one link ----
dp_ref_bridge() {
	local r
	dp_pair_setup || { dp_pair_teardown; echo 0; return 1; }
	dp_in "$DP_HOST" ip link add dpbr type bridge stp_state 0 forward_delay 0
	dp_in "$DP_HOST" sysctl -qw net.ipv6.conf.dpbr.disable_ipv6=1
	dp_in "$DP_HOST" ip link set dpa master dpbr
	dp_in "$DP_HOST" ip link set dpb master dpbr
	dp_in "$DP_HOST" ip link set dpbr up
	r=$(dp_measure "${DP_PFX}a" eth0 "${DP_PFX}b" eth0 "$1")
	dp_pair_teardown
	echo "$r"
}

dp_ref_relay() {
	local r p1 p2
	dp_pair_setup || { dp_pair_teardown; echo 0; return 1; }
	dp_bg "$DP_HOST" "$DP_BIN/udprelay" dpa 40001 40002 2>>"$DP_TMP/relay.log"
	p1=$DP_BG
	dp_bg "$DP_HOST" "$DP_BIN/udprelay" dpb 40002 40001 2>>"$DP_TMP/relay.log"
	p2=$DP_BG
	sleep 0.2
	r=$(dp_measure "${DP_PFX}a" eth0 "${DP_PFX}b" eth0 "$1")
	kill -TERM "$p1" "$p2" 2>/dev/null
	wait "$p1" "$p2" 2>/dev/null
	sed 's/^/datapath: /' "$DP_TMP/relay.log" >&2
	: >"$DP_TMP/relay.log"
	dp_pair_teardown
	echo "$r"
}

dp_ref_mirred() {
	local r
	dp_pair_setup || { dp_pair_teardown; echo 0; return 1; }
	dp_in "$DP_HOST" tc qdisc add dev dpa ingress
	dp_in "$DP_HOST" tc qdisc add dev dpb ingress
	dp_in "$DP_HOST" tc filter add dev dpa parent ffff: protocol all prio 1 u32 match u32 0 0 \
		action mirred egress redirect dev dpb
	dp_in "$DP_HOST" tc filter add dev dpb parent ffff: protocol all prio 1 u32 match u32 0 0 \
		action mirred egress redirect dev dpa
	r=$(dp_measure "${DP_PFX}a" eth0 "${DP_PFX}b" eth0 "$1")
	dp_pair_teardown
	echo "$r"
}

# ---- references: wiring 1,000 links by hand ----
# Namespaces ${DP_PFX}w0..99, each with eth0..19 whose host sides dpw<N>k<K>
# are in $DP_HOST; link (N, K) <-> (N+50, K) by tc ingress u32 + mirred both
# ways. Teardown: ip netns del each namespace, done when the host sides are
# gone (netns cleanup is asynchronous in the kernel).
dp_wire_left() { dp_in "$DP_HOST" ip -o link show | grep -c ': dpw[0-9]' || true; }
dp_wire_teardown_wait() {
	local end=$((SECONDS + 300))
	while [ "$(dp_wire_left)" != 0 ]; do
		[ $SECONDS -lt $end ] || { dp_log "wiring teardown: host sides still there after 300 s"; return 1; }
		sleep 0.05
	done
}
dp_wire_check() { # a wiring made: every host side there and one filter per host side
	local want=$((DP_WIRE_NS * DP_WIRE_PER_NS)) got f
	got=$(dp_wire_left)
	f=$(dp_in "$DP_HOST" tc filter show dev "dpw0k0" ingress | grep -c 'mirred.*dpw' || true)
	[ "$got" = "$want" ] && [ "$f" -ge 1 ] || dp_log "wiring incomplete: $got/$want host sides, $f filters on dpw0k0"
}

dp_ref_wire_ip() {
	local t0 t1 t2 half=$((DP_WIRE_NS / 2))
	cat >"$DP_TMP/wire.sh" <<-'EOF'
		P=$1 NS=$2 PER=$3 HALF=$(($2 / 2))
		for ((n = 0; n < NS; n++)); do ip netns add $P$n; done
		for ((n = 0; n < NS; n++)); do
			for ((k = 0; k < PER; k++)); do
				ip link add dpw${n}k$k type veth peer name eth$k netns $P$n
				ip link set dpw${n}k$k up
				ip -n $P$n link set eth$k up
			done
		done
		for ((n = 0; n < HALF; n++)); do
			for ((k = 0; k < PER; k++)); do
				a=dpw${n}k$k b=dpw$((n + HALF))k$k
				tc qdisc add dev $a ingress
				tc filter add dev $a parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev $b
				tc qdisc add dev $b ingress
				tc filter add dev $b parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev $a
			done
		done
	EOF
	cat >"$DP_TMP/unwire.sh" <<-'EOF'
		for ((n = 0; n < $2; n++)); do ip netns del $1$n; done
	EOF
	dp_log "wiring $((half * DP_WIRE_PER_NS)) links with one ip/tc per operation..."
	t0=$(dp_now)
	dp_in "$DP_HOST" bash "$DP_TMP/wire.sh" "${DP_PFX}w" "$DP_WIRE_NS" "$DP_WIRE_PER_NS" >&2
	t1=$(dp_now)
	dp_wire_check
	dp_in "$DP_HOST" bash "$DP_TMP/unwire.sh" "${DP_PFX}w" "$DP_WIRE_NS" >&2
	dp_wire_teardown_wait
	t2=$(dp_now)
	echo "$(dp_calc "$t1 - $t0" 2) $(dp_calc "$t2 - $t1" 2)"
}

dp_ref_wire_batch() {
	local t0 t1 t2 n k a b P=${DP_PFX}w half=$((DP_WIRE_NS / 2))
	# The batch files are written before the clock starts.
	{
		for ((n = 0; n < DP_WIRE_NS; n++)); do echo "netns add $P$n"; done
		for ((n = 0; n < DP_WIRE_NS; n++)); do
			for ((k = 0; k < DP_WIRE_PER_NS; k++)); do
				echo "link add dpw${n}k$k type veth peer name eth$k netns $P$n"
				echo "link set dpw${n}k$k up"
			done
		done
	} >"$DP_TMP/wire.ip"
	# Peers come up from inside their namespace: ip -batch lines take no -n,
	# and `peer ... netns X up` is refused by the kernel (ENOTCONN).
	for ((k = 0; k < DP_WIRE_PER_NS; k++)); do echo "link set eth$k up"; done >"$DP_TMP/wire.peer.ip"
	for ((n = 0; n < half; n++)); do
		for ((k = 0; k < DP_WIRE_PER_NS; k++)); do
			a=dpw${n}k$k b=dpw$((n + half))k$k
			echo "qdisc add dev $a ingress"
			echo "filter add dev $a parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev $b"
			echo "qdisc add dev $b ingress"
			echo "filter add dev $b parent ffff: protocol all prio 1 u32 match u32 0 0 action mirred egress redirect dev $a"
		done
	done >"$DP_TMP/wire.tc"
	for ((n = 0; n < DP_WIRE_NS; n++)); do echo "netns del $P$n"; done >"$DP_TMP/unwire.ip"
	cat >"$DP_TMP/wire-batch.sh" <<-'EOF'
		ip -batch $1/wire.ip || exit 1
		for ((n = 0; n < $3; n++)); do ip -n $2$n -batch $1/wire.peer.ip || exit 1; done
		tc -batch $1/wire.tc
	EOF
	dp_log "wiring $((half * DP_WIRE_PER_NS)) links with ip -batch / tc -batch..."
	t0=$(dp_now)
	dp_in "$DP_HOST" bash "$DP_TMP/wire-batch.sh" "$DP_TMP" "$P" "$DP_WIRE_NS" >&2 || dp_log "batch wiring failed"
	t1=$(dp_now)
	dp_wire_check
	dp_in "$DP_HOST" ip -batch "$DP_TMP/unwire.ip" >&2
	dp_wire_teardown_wait
	t2=$(dp_now)
	echo "$(dp_calc "$t1 - $t0" 2) $(dp_calc "$t2 - $t1" 2)"
}

# ---- the table ----
DP_FMT='%-56s | %14s | %8s | %s\n'
dp_header() {
	printf "\n$DP_FMT" "datapath benchmark" value "ratio" "reference"
	printf '%s\n' "$(printf '%.0s-' $(seq 100))"
}
# dp_row NAME VALUE [REF [REF_NAME]]: ratio = VALUE / REF ("-" without a REF).
dp_row() {
	local name=$1 v=$2 ref=${3-} what=${4-} ratio=- shown
	if [[ $v =~ ^-?[0-9]+$ ]]; then shown=$v; else shown=$(dp_calc "${v:-0}" 2); fi
	if [[ $ref =~ ^[0-9]*\.?[0-9]+$ ]] && [ "$(dp_calc "$ref > 0" 0)" = 1 ]; then
		ratio=$(dp_calc "${v:-0} / $ref" 2)
	fi
	printf "$DP_FMT" "$name" "$shown" "$ratio" "$what"
}

# ---- standalone: the references alone ----
dp_main() {
	local s br relay mirred ws wt bs bt
	dp_init || exit 1
	for s in 64 1500; do
		br=$(dp_ref_bridge "$s")
		relay=$(dp_ref_relay "$s")
		mirred=$(dp_ref_mirred "$s")
		DP_ROWS+=("Linux bridge, $s B frames (rx frames/s)|$br||")
		DP_ROWS+=("tc u32+mirred by hand, $s B frames (rx frames/s)|$mirred|$br|Linux bridge")
		DP_ROWS+=("UDP relay, ubridge-style, $s B frames (rx frames/s)|$relay|$br|Linux bridge")
	done
	read -r ws wt <<<"$(dp_ref_wire_ip)"
	read -r bs bt <<<"$(dp_ref_wire_batch)"
	local links=$((DP_WIRE_NS / 2 * DP_WIRE_PER_NS))
	DP_ROWS+=("$links links: ip/tc, one command per op (s)|$ws||")
	DP_ROWS+=("$links links: ip -batch / tc -batch (s)|$bs|$ws|ip/tc loop")
	DP_ROWS+=("$links links torn down: ip netns del loop (s)|$wt||")
	DP_ROWS+=("$links links torn down: ip -batch netns del (s)|$bt|$wt|netns del loop")
	dp_header
	local row name v ref what
	for row in "${DP_ROWS[@]}"; do
		IFS='|' read -r name v ref what <<<"$row"
		dp_row "$name" "$v" "$ref" "$what"
	done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -u
	trap 'exit 130' INT TERM
	dp_main
fi

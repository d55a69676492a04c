#!/bin/bash
# make bench: lab start overhead. A lab of N tiny-linux nodes (N/2 links) is
# started through labwire (POST .../start until every node reports running,
# i.e. its QEMU answers QMP), against the same QEMU argvs launched by a plain
# shell loop (TAPs and bridges made with `ip`, QEMU opening the TAPs itself,
# done when every QMP socket answers). Then consoles, captures, the datapath,
# node disk overlays against a copy of the base (images), one node's boot
# to ready against its QEMU argv started by hand (boot), GETs under load against a
# bare libmicrohttpd (api), the grading time of the largest practice lab
# against the same checks typed by a client script (practice), and a
# classroom-sized lab of 1,000 namespace hosts against the goals set for it
# (scale). Printed as a table of medians.
# Usage: run.sh [BUILD] [SECTION...], sections from SECTIONS below (default: all,
# or LW_BENCH_ONLY); a first argument naming a section takes the default BUILD.
set -u
SECTIONS="start console capture datapath images boot routing practice auth api scale"
[[ " $SECTIONS " == *" ${1:-} "* ]] && set -- "$PWD/build" "$@"
export LW_BUILD=${1:-$PWD/build}
shift 2>/dev/null
# Sections named as arguments, else LW_BENCH_ONLY="start console ..." (default: all of SECTIONS).
ONLY=${*:-${LW_BENCH_ONLY:-$SECTIONS}}
for s in $ONLY; do
	[[ " $SECTIONS " == *" $s "* ]] || { echo "bench: no section '$s' (sections: $SECTIONS)" >&2; exit 2; }
done
want() { [[ " $ONLY " == *" $1 "* ]]; }
case "$LW_BUILD" in /*) ;; *) LW_BUILD=$PWD/$LW_BUILD ;; esac
N=${LW_BENCH_NODES:-20}
REPS=${LW_BENCH_REPS:-3}
. "$(dirname "$0")/../integration/lib.sh"
# Consoles: the start lab (N), the wiring lab (100) and the scale lab (1,000) at most at once.
LW_CONSOLE_MAX=$((6100 + ${LW_BENCH_NODES:-20} + ${LW_BENCH_SCALE_HOSTS:-1000}))
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
# All at once, like the shell loop (the default stages boots: the host's cores at a time).
api PATCH /api/v1/labs/bench "{\"boot_concurrency\":$N}"

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
		sed -E 's#/run/n([0-9]+)/qmp#/ref/q\1.qmp#; s#/run/n([0-9]+)/con,server=on,wait=on#/ref/c\1.con,server=on,wait=off#' |
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
CAP_ROWS=()
DP=()
IMG_ROWS=()
BOOT=()
ROWS=()
if want start; then
lw_times=() ref_times=() off_times=()
# privsep on and off alternate, one daemon restart each way a run, so neither
# gets the warmer machine: what the split costs, nodes jailed in both.
for r in $(seq 1 "$REPS"); do
	lw_times+=("$(labwire_once)")
	ref_times+=("$(reference_once)")
	lw_stop_daemon
	LW_DAEMON_ARGS="--privsep off" lw_start_daemon
	off_times+=("$(labwire_once)")
	lw_stop_daemon
	LW_DAEMON_ARGS= lw_start_daemon
	echo "run $r/$REPS: labwire ${lw_times[-1]} s, --privsep off ${off_times[-1]} s, shell loop ${ref_times[-1]} s" >&2
done
lw=$(printf '%s\n' "${lw_times[@]}" | median)
ref=$(printf '%s\n' "${ref_times[@]}" | median)
off=$(printf '%s\n' "${off_times[@]}" | median)
ROWS+=("$N-node lab (all at once): start -> QMP answers (s)|$lw|$ref|shell loop, same argvs")
ROWS+=("$N-node lab start, privilege-separated (s)|$lw|$off|the same daemon with --privsep off")
api DELETE /api/v1/labs/bench

fi
if want console; then
# ---- consoles: labwire's telnet fan-out against QEMU's own telnet serial ----
CON_BYTES=${LW_BENCH_CONSOLE_BYTES:-10485760}
PY="ip netns exec $LW_NS /usr/bin/python3 $(dirname "$0")/console.py"
api POST /api/v1/labs '{"name":"con","nodes":[{"name":"c","template":"tiny-linux","nics":0}]}'
PORT=$(jqb '.nodes[0].console.port')
export LW_CONSOLE_TOKEN=$(jqb '.nodes[0].console.token') # labwire's telnet asks for it
api POST /api/v1/labs/con/start
wait_for ready 120 lab_nodes_ready con
lw_rtt=$($PY rtt 127.0.0.1 "$PORT" 200)
lw_tp1=$($PY throughput 127.0.0.1 "$PORT" 1 "$CON_BYTES")
lw_tp10=$($PY throughput 127.0.0.1 "$PORT" 10 "$CON_BYTES")
unset LW_CONSOLE_TOKEN
echo "labwire console: rtt ${lw_rtt} us, $CON_BYTES bytes: ${lw_tp1} s (1 client), ${lw_tp10} s (10)" >&2
api DELETE /api/v1/labs/con

# The same guest with QEMU's own telnet server on its serial port.
IMG=$LW_IMAGES/tiny-linux
ip netns exec "$LW_NS" qemu-system-x86_64 -nodefaults -no-user-config -display none \
	-machine q35 -accel tcg,thread=multi,tb-size=256 -cpu max -m 128 -smp 1 \
	-kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" -append "console=ttyS0 quiet panic=-1" \
	-chardev socket,id=con0,host=127.0.0.1,port=6999,server=on,wait=off,telnet=on \
	-serial chardev:con0 >/dev/null 2>&1 &
disown $!
sleep 1
ref_rtt=$($PY rtt 127.0.0.1 6999 200)
ref_tp1=$($PY throughput 127.0.0.1 6999 1 "$CON_BYTES")
echo "QEMU telnet: rtt ${ref_rtt} us, $CON_BYTES bytes: ${ref_tp1} s" >&2
kill -KILL $(qemu_pids) 2>/dev/null

MB=$(echo "$CON_BYTES / 1048576" | bc)
ROWS+=("console keystroke echo round trip (us, median of 200)|$lw_rtt|$ref_rtt|QEMU's telnet serial")
ROWS+=("console output, $MB MiB to 1 client (s)|$lw_tp1|$ref_tp1|QEMU's telnet serial")
ROWS+=("console output, $MB MiB to 10 clients (s)|$lw_tp10|$ref_tp1|QEMU's telnet, 1 client")
fi
if want capture; then
# ---- capture: labwire's capture against tcpdump on the same link ----
cc -O2 -o "$LW_TMP/pktgen" "$(dirname "$0")/pktgen.c"
PKTGEN="ip netns exec $LW_NS $LW_TMP/pktgen"
# A LAN (three endpoints) is a bridge, where tcpdump and the generators plug in too.
api POST /api/v1/labs '{"name":"cap","nodes":[{"name":"p","template":"linux-host"},
	{"name":"q","template":"linux-host"},{"name":"r","template":"linux-host"}],
	"links":[{"endpoints":["p:eth0","q:eth0","r:eth0"]}]}'
LINK=$(jqb '.links[0].id')
BR=lwb$LINK
api POST /api/v1/labs/cap/start
wait_for running 60 lab_nodes_are cap running
# Two generator ends plugged into the link's bridge.
nsexec ip link add bgen0 type veth peer name bgen1
nsexec ip link add bsink0 type veth peer name bsink1
for i in bgen0 bgen1 bsink0 bsink1; do nsexec ip link set "$i" up; done
nsexec ip link set bgen0 master "$BR"
nsexec ip link set bsink0 master "$BR"
SINKMAC=$(nsexec cat /sys/class/net/bsink1/address)
GENMAC=$(nsexec cat /sys/class/net/bgen1/address)
sleep 0.5
$PKTGEN bsink1 "$GENMAC" 100 0.2 >/dev/null # the bridge learns where the sink is
rx() { nsexec cat /sys/class/net/bsink1/statistics/rx_packets; }

cap_lw() { # RATE -> "captured_per_s drops"
	local id out
	api POST "/api/v1/labs/cap/links/$LINK/captures" '{"filter":"udp port 12345"}'
	id=$(jqb .id)
	$PKTGEN bgen1 "$SINKMAC" "$1" 2 >/dev/null
	sleep 0.5
	api DELETE "/api/v1/labs/cap/links/$LINK/captures/$id"
	echo "$(jqb '.packets / 2') $(jqb '.dropped + .kernel_dropped')"
}
cap_td() { # RATE -> "captured_per_s drops"
	local pid c d
	# Not through nsexec: $! must be tcpdump itself to stop it.
	ip netns exec "$LW_NS" tcpdump -Z root -i "$BR" -w "$LW_TMP/td.pcap" -B 4096 -s 65535 -nn \
		'udp port 12345' 2>"$LW_TMP/td.err" &
	pid=$!
	sleep 1
	$PKTGEN bgen1 "$SINKMAC" "$1" 2 >/dev/null
	sleep 0.5
	kill -INT "$pid"
	wait "$pid" 2>/dev/null
	c=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$LW_TMP/td.err")
	d=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$LW_TMP/td.err")
	echo "$(echo "${c:-0} / 2" | bc) ${d:-0}"
}
for rate in 10000 50000 100000 200000; do
	read -r lw_c lw_d <<<"$(cap_lw $rate)"
	read -r td_c td_d <<<"$(cap_td $rate)"
	echo "capture at $rate pps: labwire $lw_c/s ($lw_d dropped), tcpdump $td_c/s ($td_d dropped)" >&2
	CAP_ROWS+=("capture, $((rate / 1000)) kpps offered: frames captured/s|$lw_c|$td_c|tcpdump -w; drops: labwire $lw_d, tcpdump $td_d")
done
# Link throughput: frames delivered through the bridge, flat out, without and with a capture.
before=$(rx); $PKTGEN bgen1 "$SINKMAC" 0 2 >/dev/null; off=$(( ($(rx) - before) / 2 ))
api POST "/api/v1/labs/cap/links/$LINK/captures" '{"filter":"udp port 12345"}'
id=$(jqb .id)
before=$(rx); $PKTGEN bgen1 "$SINKMAC" 0 2 >/dev/null; on=$(( ($(rx) - before) / 2 ))
api DELETE "/api/v1/labs/cap/links/$LINK/captures/$id"
echo "link throughput: $off frames/s without capture, $on with" >&2
CAP_ROWS+=("link throughput with a capture on (frames/s)|$on|$off|the same link, no capture")
api DELETE /api/v1/labs/cap
nsexec ip link del bgen0 2>/dev/null
nsexec ip link del bsink0 2>/dev/null

fi
if want datapath; then
# ---- the datapath: labwire's links against a bridge, a user-space relay, and ip/tc ----
. "$(dirname "$0")/datapath.sh"
dp_init || exit 1
# A p2p link between two lightweight hosts; their namespaces are /proc/PID/ns/net.
dp_lab() {
	api POST /api/v1/labs '{"name":"dp","nodes":[{"name":"a","template":"linux-host"},
		{"name":"b","template":"linux-host"}],"links":[{"endpoints":["a:eth0","b:eth0"]}]}'
	DPL=$(jqb '.links[0].id')
	api POST /api/v1/labs/dp/start
	wait_for running 30 lab_nodes_are dp running
}
dp_ns() { api GET "/api/v1/labs/dp/nodes/$1"; echo "/proc/$(jqb .pid)/ns/net"; }
dp_path() { api GET /api/v1/labs/dp/links/$DPL; jqb .datapath; }
dp_lab
NA=$(dp_ns a)
NB=$(dp_ns b)
for s in 64 1500; do
	br=$(dp_ref_bridge "$s")
	relay=$(dp_ref_relay "$s")
	mirred=$(dp_ref_mirred "$s")
	lwk=$(dp_measure "$NA" eth0 "$NB" eth0 "$s")
	echo "datapath $s B: bridge $br, relay $relay, mirred by hand $mirred, labwire p2p ($(dp_path)) $lwk frames/s" >&2
	DP+=("p2p link, $s B frames: labwire fast path (rx frames/s)|$lwk|$br|plain Linux bridge")
	DP+=("p2p link, $s B frames: tc mirred set up by hand|$mirred|$br|plain Linux bridge")
	DP+=("p2p link, $s B frames: user-space UDP relay (GNS3-style)|$relay|$br|plain Linux bridge")
	eval "BR_$s=$br"
done
# A capture on the link, against the same link without one.
api POST /api/v1/labs/dp/links/$DPL/captures '{"filter":"ether proto 0x88b5"}'
cid=$(jqb .id)
capon=$(dp_measure "$NA" eth0 "$NB" eth0 64)
api DELETE "/api/v1/labs/dp/links/$DPL/captures/$cid"
capoff=$(dp_measure "$NA" eth0 "$NB" eth0 64)
DP+=("p2p link, 64 B frames: with a capture on (rx frames/s)|$capon|$capoff|the same link, no capture")
# dp_restarted ARGS PATH LABEL: restart the daemon with ARGS (it re-adopts the
# running hosts), wait for the link's datapath PATH, measure both sizes.
dp_restarted() {
	lw_stop_daemon
	LW_DAEMON_ARGS=$1 lw_start_daemon
	is_path() { api GET "/api/v1/labs/dp/links/$DPL"; [ "$(jqb .datapath)" = "$1" ]; }
	wait_for "$2" 10 is_path "$2"
	for s in 64 1500; do
		v=$(dp_measure "$NA" eth0 "$NB" eth0 "$s")
		echo "datapath $s B: $3 ($(dp_path)) $v frames/s" >&2
		eval "br=\$BR_$s"
		DP+=("p2p link, $s B frames: $3|$v|$br|plain Linux bridge")
	done
}
dp_restarted "--impair-all 1" engine "impairment engine, no impairment"
dp_restarted "--capture-ring 0" kernel "fast path, --capture-ring 0"
lw_stop_daemon
lw_start_daemon
api DELETE /api/v1/labs/dp
# Wiring 1,000 links: 100 lightweight hosts with 20 interfaces each, linked in pairs
# of hosts, through labwire (start until every host runs), against ip/tc.
{
	printf '{"name":"wire","nodes":['
	for i in $(seq 1 100); do
		[ "$i" -gt 1 ] && printf ','
		printf '{"name":"w%d","template":"linux-host","nics":20}' "$i"
	done
	printf '],"links":['
	first=1
	for i in $(seq 1 2 99); do
		for k in $(seq 0 19); do
			[ $first = 1 ] || printf ','
			first=0
			printf '{"endpoints":["w%d:eth%d","w%d:eth%d"]}' "$i" "$k" $((i + 1)) "$k"
		done
	done
	printf ']}'
} >"$LW_TMP/wire.json"
api POST /api/v1/labs "@$LW_TMP/wire.json"
t0=$(now)
api POST /api/v1/labs/wire/start
wait_for running 120 lab_nodes_are wire running
lwwire=$(echo "$(now) - $t0" | bc -l)
t0=$(now)
api POST /api/v1/labs/wire/stop
wait_for stopped 120 lab_nodes_are wire stopped
lwunwire=$(echo "$(now) - $t0" | bc -l)
api DELETE /api/v1/labs/wire
read -r ws wt <<<"$(dp_ref_wire_ip)"
read -r bs bt <<<"$(dp_ref_wire_batch)"
echo "1000 links: labwire $lwwire s (stop $lwunwire s), ip/tc loop $ws s, ip/tc -batch $bs s" >&2
DP+=("1000 links: labwire lab start, 100 hosts x 20 NICs (s)|$lwwire|$ws|ip/tc, one command per operation")
DP+=("1000 links: labwire lab start, 100 hosts x 20 NICs (s)|$lwwire|$bs|ip -batch / tc -batch")
DP+=("1000 links: labwire lab stop, all unwired (s)|$lwunwire|$wt|ip netns del loop")
fi
if want images; then
# ---- images: 100 node disks as overlays on a 2 GiB base, against one full copy of the base ----
# The base is qcow2 (as appliance images mostly are) holding 2 GiB of random data,
# so nothing in it is sparse or zero. Overlays are made as images/store.c
# store_overlay makes them (the same qemu-img command), one after another.
IMGD=$LW_TMP/images
mkdir -p "$IMGD"
free_kb=$(df -Pk "$IMGD" | awk 'NR == 2 {print $4}')
if [ "$free_kb" -lt $((6 * 1024 * 1024)) ]; then
	echo "bench: images skipped: $((free_kb / 1024)) MiB free in $IMGD, it needs 6 GiB" >&2
else
	head -c 2G /dev/urandom >"$IMGD/base.raw"
	qemu-img convert -f raw -O qcow2 "$IMGD/base.raw" "$IMGD/base.qcow2"
	rm -f "$IMGD/base.raw"
	sync "$IMGD/base.qcow2"
	BASE=$(realpath "$IMGD/base.qcow2")
	# Both sides end with their files on disk (fsync), nothing else is synced.
	t0=$(now)
	for i in $(seq 1 100); do
		qemu-img create -q -f qcow2 -F qcow2 -b "$BASE" "$IMGD/n$i.qcow2" || break
	done
	sync "$IMGD"/n*.qcow2
	ovl=$(echo "$(now) - $t0" | bc -l)
	novl=$(ls "$IMGD"/n*.qcow2 | wc -l)
	[ "$novl" = 100 ] || echo "bench: only $novl of 100 overlays were made" >&2
	t0=$(now)
	cp --reflink=never "$BASE" "$IMGD/copy.qcow2"
	sync "$IMGD/copy.qcow2"
	cpy=$(echo "$(now) - $t0" | bc -l)
	echo "images: 100 overlays on a 2 GiB qcow2 base $(printf %.3f "$ovl") s ($(du -ck "$IMGD"/n*.qcow2 | tail -1 | cut -f1) KiB)," \
		"one cp --reflink=never $(printf %.3f "$cpy") s: 100 overlays take $(printf '%.2f' "$(echo "$ovl / $cpy" | bc -l)") of one copy" >&2
	IMG_ROWS+=("100 node disks: qcow2 overlays on a 2 GiB base (s)|$ovl|$cpy|one cp --reflink=never of the base")
	rm -rf "$IMGD"
fi
fi
if want boot; then
# ---- boot: one tiny-linux node from POST start to ready, against its argv by hand ----
# labwire: from the POST until the node's event says ready (the event stream is
# followed, nothing polled). By hand: the argv the daemon logged for the node,
# its console chardev a file (a FIFO read here) instead of the daemon's UNIX
# socket, its TAP netdevs hubports of hubs of their own (same NIC count, nothing
# attached), the same kernel, initrd, append and config drive (a copy); from the
# spawn until "labwire: ready" comes out of the console.
BOOT_REPS=${LW_BENCH_BOOT_REPS:-5}
REF=$LW_TMP/bootref
mkdir -p "$REF"
# read_until FD TIMEOUT_S PATTERN...: read lines from FD until one holds every PATTERN.
read_until() {
	local fd=$1 end=$((SECONDS + $2)) line part= rc p hit
	shift 2
	while [ $SECONDS -lt $end ]; do
		IFS= read -r -t 1 -u "$fd" line
		rc=$?
		if [ $rc -gt 128 ]; then part+=$line; continue; fi # timed out: keep a partial line
		[ $rc = 0 ] || return 1                             # end of stream
		line=$part$line part= hit=1
		for p in "$@"; do [[ $line == *"$p"* ]] || hit=0; done
		[ $hit = 1 ] && return 0
	done
	return 1
}
mkfifo "$REF/events"
# Not through nsexec: $! must be curl itself.
ip netns exec "$LW_NS" curl -sN "$LW_URL/api/v1/events" >"$REF/events" 2>/dev/null &
EVPID=$!
exec {EVFD}<"$REF/events"
api POST /api/v1/labs '{"name":"boot"}'
[ "$STATUS" = 201 ] || { echo "bench: cannot create the boot lab: $BODY" >&2; exit 1; }
# Touch the lab until its event comes through: the stream is subscribed from then on.
for try in $(seq 1 10); do
	api PATCH /api/v1/labs/boot '{"description":"boot bench"}'
	read_until "$EVFD" 2 '"action":"updated"' '"type":"lab"' && break
	[ "$try" = 10 ] && { echo "bench: no event stream" >&2; exit 1; }
done
boot_lw_once() {
	local t0
	t0=$(now)
	api POST "/api/v1/labs/boot/nodes/$NID/start"
	read_until "$EVFD" 120 "\"node\":{\"id\":$NID," '"ready":true' || echo "bench: node $NID never ready" >&2
	echo "$(now) - $t0" | bc -l
	api POST "/api/v1/labs/boot/nodes/$NID/stop"
	read_until "$EVFD" 60 "\"node\":{\"id\":$NID," '"state":"stopped"' || echo "bench: node $NID never stopped" >&2
}
# boot_ref_argv: REFARGV from the last argv the daemon logged for the node.
boot_ref_argv() {
	local line t id a i toks
	line=$(grep -o "node $NID: started pid [0-9]*: .*" "$LW_TMP/daemon.log" | tail -n 1 | sed 's/^.*started pid [0-9]*: //')
	read -ra toks <<<"$line"
	REFARGV=()
	for ((i = 0; i < ${#toks[@]}; i++)); do
		t=${toks[i]}
		case "$t" in
		-append) # logged unquoted: its words run up to the next option
			a=${toks[++i]}
			while [ $((i + 1)) -lt ${#toks[@]} ] && [[ ${toks[i + 1]} != -* ]]; do a+=" ${toks[++i]}"; done
			REFARGV+=(-append "$a") ;;
		socket,id=con0,*) REFARGV+=("file,id=con0,path=$REF/console") ;;
		socket,id=qmp0,*) REFARGV+=("socket,id=qmp0,path=$REF/qmp,server=on,wait=off") ;;
		tap,id=*)
			id=${t#tap,id=} id=${id%%,*}
			REFARGV+=("hubport,id=$id,hubid=${id#net}") ;;
		file=*/config.iso,*)
			a=${t#file=} a=${a%%,*}
			cp "$a" "$REF/config.iso"
			REFARGV+=("file=$REF/config.iso,${t#*,}") ;;
		*) REFARGV+=("$t") ;;
		esac
	done
}
boot_ref_once() {
	local t0 pid fd
	rm -f "$REF/console"
	mkfifo "$REF/console"
	t0=$(now)
	# Not through nsexec: $! must be QEMU itself. QEMU opens the FIFO before it boots.
	ip netns exec "$LW_NS" "${REFARGV[@]}" </dev/null >>"$REF/qemu.log" 2>&1 &
	pid=$!
	exec {fd}<"$REF/console"
	read_until "$fd" 120 "labwire: ready" || echo "bench: QEMU by hand never ready (see $REF/qemu.log)" >&2
	echo "$(now) - $t0" | bc -l
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	exec {fd}<&-
	rm -f "$REF/console" "$REF/qmp"
}
# Each guest the project ships: tiny-linux, the FRR router, the aarch64 tiny-linux (translated).
for TPL in tiny-linux frr-router tiny-linux-arm64; do
	[ -f "$LW_IMAGES/$TPL/initrd.img" ] || { echo "bench: boot $TPL skipped: no guest" >&2; continue; }
	api POST /api/v1/labs/boot/nodes "{\"name\":\"b-$TPL\",\"template\":\"$TPL\",\"nics\":1}"
	[ "$STATUS" = 201 ] || { echo "bench: cannot add a $TPL node: $BODY" >&2; continue; }
	NID=$(jqb .id)
	lw_times=() ref_times=()
	for r in $(seq 1 "$BOOT_REPS"); do
		lw_times+=("$(boot_lw_once)")
		[ "$r" = 1 ] && boot_ref_argv
		ref_times+=("$(boot_ref_once)")
		echo "boot $TPL $r/$BOOT_REPS: labwire ${lw_times[-1]} s, QEMU by hand ${ref_times[-1]} s" >&2
	done
	lw=$(printf '%s\n' "${lw_times[@]}" | median)
	ref=$(printf '%s\n' "${ref_times[@]}" | median)
	echo "boot: $TPL by hand: ${REFARGV[*]}" >&2
	BOOT+=("$TPL node: start -> ready (s, median of $BOOT_REPS)|$lw|$ref|the same QEMU argv by hand")
done
exec {EVFD}<&-
kill "$EVPID" 2>/dev/null
wait "$EVPID" 2>/dev/null
api DELETE /api/v1/labs/boot
rm -rf "$REF"
fi
ROUTING=()
if want routing && [ -f "$LW_IMAGES/frr-router/initrd.img" ]; then
# ---- routing: the ospf-triangle sample; how fast OSPF moves r1's route to h2's network ----
# Link down: QEMU drops the NIC's carrier, so ospfd sees the interface go down at
# once; the reference is the dead interval (4 s) a hello-based detection waits.
vty() { api POST "/api/v1/labs/ospf-triangle/nodes/$1/console/exec" \
	"$(jq -nc --arg s "$2" '{send: $s, expect: "[a-z0-9]+# .{0,4}$", timeout_s: 20}')"; }
via() { vty r1 "show ip route 10.2.2.0/24"; jqb .output | grep -qE "\\* *$1, via eth"; }
fulls() { vty "$1" "show ip ospf neighbor"; [ "$(jqb .output | grep -c Full)" = 2 ]; }
api POST /api/v1/labs "@$LW_ROOT/labs/samples/ospf-triangle.json"
t0=$(now)
api POST '/api/v1/labs/ospf-triangle/start?wait=ready&timeout=300'
ready_s=$(echo "$(now) - $t0" | bc -l)
for r in r1 r2 r3; do wait_for "$r Full" 120 fulls "$r" || echo "bench: $r not Full" >&2; done
conv_s=$(echo "$(now) - $t0" | bc -l)
api GET /api/v1/labs/ospf-triangle/links
L12=$(jqb '.links[] | select([.endpoints[].node] | sort == ["r1","r2"]) | .id')
down=() up=()
for r in 1 2 3; do
	t0=$(now)
	api PATCH "/api/v1/labs/ospf-triangle/links/$L12" '{"state":"down"}'
	wait_for reroute 60 via 10.0.13.3 || echo "bench: no reroute" >&2
	down+=("$(echo "$(now) - $t0" | bc -l)")
	t0=$(now)
	api PATCH "/api/v1/labs/ospf-triangle/links/$L12" '{"state":"up"}'
	wait_for back 60 via 10.0.12.2 || echo "bench: not back" >&2
	up+=("$(echo "$(now) - $t0" | bc -l)")
	echo "routing $r/3: reroute ${down[-1]} s, back ${up[-1]} s" >&2
done
ROUTING+=("ospf-triangle: start -> 5 nodes ready (s)|$ready_s|$conv_s|start -> OSPF Full on r1-r3")
ROUTING+=("OSPF: r1-r2 down -> route via r3 (s, median of 3)|$(printf '%s\n' "${down[@]}" | median)|4|the dead interval (hello-based detection)")
ROUTING+=("OSPF: r1-r2 up -> direct route back (s, median of 3)|$(printf '%s\n' "${up[@]}" | median)|$(echo "$conv_s - $ready_s" | bc -l)|ready -> Full after the lab's start (a new adjacency)")
api POST /api/v1/labs/ospf-triangle/stop
wait_for stopped 120 lab_nodes_are ospf-triangle stopped
api DELETE /api/v1/labs/ospf-triangle
fi
PRACTICE=()
if want practice && [ -f "$LW_IMAGES/frr-router/initrd.img" ]; then
# ---- practice: grading time of the largest shipped practice lab (most nodes, then most checks),
# solved (its solution typed), against the same checks typed by a client script
# (tests/bench/grade_ref.py: one POST .../console/exec per command, one after another).
PDIR=$LW_ROOT/labs/practice
PL=$(for f in "$PDIR"/*.json; do
	case $f in *.solution.json) continue ;; esac
	jq -r --arg n "$(basename "$f" .json)" '"\(.nodes | length) \([.checks[], .stages[].checks[]] | length) \($n)"' "$f"
done | sort -k1,1n -k2,2n | tail -1)
PLAB=${PL##* }
api POST /api/v1/labs "@$PDIR/$PLAB.json"
api POST "/api/v1/labs/$PLAB/start?wait=ready&timeout=400"
for node in $(jq -r '.typing | keys[]' "$PDIR/$PLAB.solution.json"); do
	while IFS= read -r line; do
		api POST "/api/v1/labs/$PLAB/nodes/$node/console/exec" \
			"$(jq -nc --arg s "$line" '{send: $s, expect: "# .{0,4}$", timeout_s: 20}')"
	done < <(jq -r --arg n "$node" '.typing[$n][]' "$PDIR/$PLAB.solution.json")
done
pfull() { api POST "/api/v1/labs/$PLAB/grade"; jqt '.passed == true'; }
wait_for "$PLAB full marks" 120 pfull || echo "bench: practice: $PLAB short of full marks: $(jqb -c '[.checks[] | select(.passed | not) | .id]')" >&2
pg=() pr=()
for r in 1 2 3; do
	t0=$(now)
	api POST "/api/v1/labs/$PLAB/grade"
	pg+=("$(echo "$(now) - $t0" | bc -l)")
	t0=$(now)
	nsexec env LW_TOKEN="$LW_TOKEN" /usr/bin/python3 "$(dirname "$0")/grade_ref.py" "$LW_URL" "$PLAB" "$PDIR/$PLAB.json" >"$LW_TMP/ref.json"
	pr+=("$(echo "$(now) - $t0" | bc -l)")
	echo "practice $r/3: grade ${pg[-1]} s ($(jqb -r '"\(.score)/\(.max_score)"')), client script ${pr[-1]} s ($(jq -r '"\(.score)/\(.max_score)"' "$LW_TMP/ref.json"))" >&2
done
PRACTICE+=("grade $PLAB (s, median of 3)|$(printf '%s\n' "${pg[@]}" | median)|$(printf '%s\n' "${pr[@]}" | median)|its $(echo "$PL" | cut -d' ' -f2) checks on ${PL%% *} nodes, one console/exec after another from a client")
api POST "/api/v1/labs/$PLAB/stop"
wait_for stopped 120 lab_nodes_are "$PLAB" stopped
api DELETE "/api/v1/labs/$PLAB"
fi
AUTH=()
if want auth; then
# ---- identity: what a login costs (the KDF), and what auth adds to a GET ----
# The same 20-node lab on this daemon (auth on, the admin's token) and on a
# second one with --auth off (loopback only), fetched AUTH_GETS times over one
# kept-alive connection by one curl, 4 connections in parallel.
AUTH_GETS=${LW_BENCH_AUTH_GETS:-2000}
pw=$(cat "$LW_DATA/initial-admin-password")
login_ms() {
	local t0
	t0=$(now)
	login admin "$pw" >/dev/null
	echo "($(now) - $t0) * 1000" | bc -l
}
me_ms() {
	local t0
	t0=$(now)
	api GET /api/v1/auth/me
	echo "($(now) - $t0) * 1000" | bc -l
}
li=() mi=()
for r in $(seq 1 9); do li+=("$(login_ms)"); mi+=("$(me_ms)"); done
AUTH+=("login: POST /auth/login, scrypt N=2^15 r=8 p=3 (ms, median of 9)|$(printf '%s\n' "${li[@]}" | median)|$(printf '%s\n' "${mi[@]}" | median)|GET /auth/me with its token (no KDF)")
nodes=$(for i in $(seq 1 20); do printf '{"name":"h%d","template":"linux-host","nics":2},' "$i"; done)
links=$(for i in $(seq 1 19); do printf '{"endpoints":["h%d:eth1","h%d:eth0"]},' "$i" $((i + 1)); done)
LABJSON="{\"name\":\"authb\",\"nodes\":[${nodes%,}],\"links\":[${links%,}]}"
api POST /api/v1/labs "$LABJSON"
[ "$STATUS" = 201 ] || echo "bench: cannot create the auth lab: $BODY" >&2
OFF_PORT=18082
OFF_DATA=$LW_TMP/authoff
nsenter --net=/run/netns/"$LW_NS" "$LW_BIN" serve --listen 127.0.0.1:$OFF_PORT --data-dir "$OFF_DATA" \
	--image-dir "$LW_IMAGES" --template-dir "$LW_ROOT/images/templates" --console-port-min 7000 \
	--console-port-max 7999 --auth off --log-level warn >>"$LW_TMP/authoff.log" 2>&1 &
OFF_PID=$!
wait_for "auth-off daemon" 20 nsexec curl -q -sf -o /dev/null "http://127.0.0.1:$OFF_PORT/api/v1/health"
nsexec curl -q -s -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "$LABJSON" \
	"http://127.0.0.1:$OFF_PORT/api/v1/labs"
# gets_per_s URL [CURL ARGS]: AUTH_GETS GETs of URL, 4 connections; requests per second.
gets_per_s() {
	local url=$1 t0 cfg=$LW_TMP/gets.cfg
	shift
	for _ in $(seq 1 "$AUTH_GETS"); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done >"$cfg"
	t0=$(now)
	nsexec curl -q -s --parallel --parallel-max 4 "$@" -K "$cfg" 2>/dev/null
	echo "$AUTH_GETS / ($(now) - $t0)" | bc -l
}
on=() off=()
for r in 1 2 3; do
	on+=("$(gets_per_s "$LW_URL/api/v1/labs/authb" -H "Authorization: Bearer $LW_TOKEN")")
	off+=("$(gets_per_s "http://127.0.0.1:$OFF_PORT/api/v1/labs/authb")")
	echo "auth: GET /labs/authb: auth on ${on[-1]}/s, auth off ${off[-1]}/s" >&2
done
AUTH+=("GET /labs/{lab}, 20 nodes, auth on (requests/s)|$(printf '%s\n' "${on[@]}" | median)|$(printf '%s\n' "${off[@]}" | median)|the same daemon with --auth off")
kill -TERM "$OFF_PID" 2>/dev/null
wait "$OFF_PID" 2>/dev/null
api DELETE /api/v1/labs/authb
fi
API=()
if want api; then
# ---- api: GET throughput and tail latency at classroom scale (issue 16) ----
# wrk (-t2 -c64) inside the namespace against GET /labs/{lab} of a 50-node lab
# (created, not started), against a bare libmicrohttpd hello-world with the
# daemon's threading (epoll, a thread per core) on the same box. Then the same
# GET revalidated with If-None-Match (a 304), and again while 2,000 idle event
# streams are held open. Medians of API_REPS runs (the plain GET's alternating with
# the hello-world's, whose median is the reference of every req/s row). The GET
# is measured as a browser asks (Accept-Encoding: gzip) and uncompressed.
API_S=${LW_BENCH_API_SECONDS:-5}
API_REPS=${LW_BENCH_API_REPS:-3}
API_STREAMS=${LW_BENCH_API_STREAMS:-2000}
HELLO_PORT=18090
command -v wrk >/dev/null || { echo "bench: the api section needs wrk (make deps)" >&2; exit 1; }
# make bench builds them; built here for a run of this script alone.
make -s -C "$LW_ROOT" BUILD="$LW_BUILD" "$LW_BUILD/bench/hello" "$LW_BUILD/bench/holdconns" >/dev/null ||
	{ echo "bench: cannot build tests/bench/hello.c, holdconns.c" >&2; exit 1; }
# The streams plus wrk's connections come from one address: past the default per-address limit.
lw_stop_daemon
LW_DAEMON_ARGS="--max-connections-per-address 4096" lw_start_daemon
API_LOGPOS=$(stat -c %s "$LW_TMP/daemon.log")
api POST /api/v1/labs "$(hosts_lab api50 50 2 chain)"
[ "$STATUS" = 201 ] || { echo "bench: cannot create the 50-node lab: $BODY" >&2; exit 1; }
ip netns exec "$LW_NS" "$LW_BUILD/bench/hello" 127.0.0.1 $HELLO_PORT &
HELLO_PID=$!
wait_for "hello-world" 10 nsexec curl -q -sf -o /dev/null "http://127.0.0.1:$HELLO_PORT/"
LAB_URL=$LW_URL/api/v1/labs/api50
# wrk_run LABEL URL [WRK ARGS]: "requests/s p99_ms" of a wrk run; errors and
# non-2xx/3xx answers go to stderr.
wrk_run() {
	local label=$1 url=$2 out=$LW_TMP/wrk.out
	shift 2
	nsexec wrk -t2 -c64 -d"${API_S}s" --latency "$@" "$url" >"$out" 2>&1
	awk -v l="$label" '/Non-2xx|Socket errors/ {sub(/^ */, ""); print "bench: api: " l ": " $0}' "$out" >&2
	awk '/^Requests\/sec:/ {rps = $2}
		$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
			p99 = v * (u == "us" ? 0.001 : u == "s" ? 1000 : u == "m" ? 60000 : 1) }
		END { if (rps == "" || p99 == "") exit 1; print rps, p99 }' "$out" ||
		{ echo "bench: api: $label: no result from wrk:" >&2; sed 's/^/#   /' "$out" >&2; echo "0 0"; }
}
AUTHH="Authorization: Bearer $LW_TOKEN"
HELLO_RPS=() HELLO_P99=()
# api_rows TAG LABEL [WRK ARGS]: API_REPS runs of labwire's GET, each after a
# hello-world run unless NOHELLO is set; sets TAG_rps and TAG_p99 (medians).
api_rows() {
	local tag=$1 label=$2 r lr lp hr hp ref=
	local lrs=() lps=()
	shift 2
	for r in $(seq 1 "$API_REPS"); do
		if [ -z "${NOHELLO:-}" ]; then
			read -r hr hp <<<"$(wrk_run hello "http://127.0.0.1:$HELLO_PORT/")"
			HELLO_RPS+=("$hr") HELLO_P99+=("$hp")
			ref="; hello-world $hr req/s, p99 $hp ms"
		fi
		read -r lr lp <<<"$(wrk_run "$label" "$LAB_URL" -H "$AUTHH" "$@")"
		lrs+=("$lr") lps+=("$lp")
		echo "api $r/$API_REPS: $label $lr req/s, p99 $lp ms$ref" >&2
	done
	eval "${tag}_rps=$(printf '%s\n' "${lrs[@]}" | median) ${tag}_p99=$(printf '%s\n' "${lps[@]}" | median)"
}
api GET /api/v1/labs/api50
echo "api: GET /labs/api50 answers $STATUS, $(printf '%s' "$BODY" | wc -c) bytes, $(jqb '.nodes | length') nodes, $(jqb '.links | length') links" >&2
# As a browser asks (the UI reloads a lab on every event): gzip accepted.
BROWSER="Accept-Encoding: gzip, deflate, br"
api_rows get "GET /labs/api50 (gzip)" -H "$BROWSER"
hello_rps=$(printf '%s\n' "${HELLO_RPS[@]}" | median)
echo "api: hello-world median $hello_rps req/s, p99 $(printf '%s\n' "${HELLO_P99[@]}" | median) ms" >&2
NOHELLO=1 api_rows plain "GET /labs/api50 (no compression)"
API+=("GET /labs/{lab}, 50 nodes, gzip, 64 conns (req/s)|$get_rps|$hello_rps|bare libmicrohttpd hello-world; goal >= 0.5")
API+=("GET /labs/{lab}, 50 nodes, gzip, p99 (ms)|$get_p99|10|goal: p99 <= 10 ms (ratio <= 1)")
API+=("GET /labs/{lab}, 50 nodes, uncompressed (req/s)|$plain_rps|$hello_rps|hello-world (67 KB a reply vs 6 bytes)")
API+=("GET /labs/{lab}, 50 nodes, uncompressed, p99 (ms)|$plain_p99|10|goal: p99 <= 10 ms (ratio <= 1)")
# Revalidation: the lab's ETag sent back as If-None-Match, answered 304 without a body.
etag=$(nsexec curl -s -D - -o /dev/null "$LAB_URL" | tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p')
if [ -z "$etag" ]; then
	echo "bench: api: GET /labs/{lab} sends no ETag: the If-None-Match rows are skipped" >&2
elif [ "$(nsexec curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$LAB_URL")" != 304 ]; then
	echo "bench: api: If-None-Match: $etag is not answered 304: the If-None-Match rows are skipped" >&2
else
	NOHELLO=1 api_rows inm "GET /labs/api50 If-None-Match" -H "If-None-Match: $etag"
	API+=("GET /labs/{lab} If-None-Match (304), 64 conns (req/s)|$inm_rps|$hello_rps|bare libmicrohttpd hello-world")
	API+=("GET /labs/{lab} If-None-Match (304), p99 (ms)|$inm_p99|10|goal: p99 <= 10 ms (ratio <= 1)")
fi
# The same GET while API_STREAMS idle event streams are held open.
limits() { api GET /api/v1/system; jqb -c .limits; }
HOLD_OUT=$LW_TMP/holdconns.out
# Not through nsexec: $! must be holdconns itself (it reads LW_TOKEN from the environment).
ip netns exec "$LW_NS" "$LW_BUILD/bench/holdconns" 127.0.0.1 "$LW_PORT" "$API_STREAMS" \
	"127.0.0.1:$LW_PORT" /api/v1/events >"$HOLD_OUT" 2>&1 &
HOLD_PID=$!
wait_for "$API_STREAMS event streams" 70 grep -q '^held:' "$HOLD_OUT"
echo "api: streams: $(grep '^held:' "$HOLD_OUT")" >&2
lim=$(limits)
echo "api: /system limits while held: $lim" >&2
for k in connections_open streams_open; do
	v=$(jq -r ".$k" <<<"$lim")
	[ "${v:-0}" -ge "$API_STREAMS" ] 2>/dev/null || echo "bench: api: /system limits.$k is $v, not >= $API_STREAMS" >&2
done
NOHELLO=1 api_rows streams "GET /labs/api50 (gzip), $API_STREAMS streams open" -H "$BROWSER"
echo "api: /system limits after the runs: $(limits)" >&2
kill -TERM "$HOLD_PID" 2>/dev/null
wait "$HOLD_PID" 2>/dev/null
echo "api: streams: $(grep '^still open:' "$HOLD_OUT")" >&2
# How long the daemon counts streams whose clients are gone (a parked stream
# learns of it when it next writes).
t0=$(now)
no_streams() { [ "$(limits | jq -r .streams_open)" = 0 ]; }
wait_for "closed streams let go" 40 no_streams
echo "api: the closed streams left /system's streams_open after $(printf %.1f "$(echo "$(now) - $t0" | bc -l)") s: $(limits)" >&2
API+=("$API_STREAMS idle event streams: GET /labs/{lab}, gzip (req/s)|$streams_rps|$hello_rps|hello-world, no streams; goal >= 0.3")
API+=("$API_STREAMS idle event streams: GET /labs/{lab}, p99 (ms)|$streams_p99|10|goal: p99 <= 10 ms (ratio <= 1)")
kill -TERM "$HELLO_PID" 2>/dev/null
wait "$HELLO_PID" 2>/dev/null
tail -c +$((API_LOGPOS + 1)) "$LW_TMP/daemon.log" | grep -E 'labwire (warn|error)' | cut -d' ' -f2- | sort | uniq -c |
	sort -rn | head -n 10 | sed 's/^/bench: api: daemon log: /' >&2
api DELETE /api/v1/labs/api50
lw_stop_daemon
LW_DAEMON_ARGS= lw_start_daemon
fi
SCALE=()
if want scale; then
# ---- scale: 1,000 namespace hosts (4 NICs), 2,000 links, against the goals set for them ----
# Create, start (POST -> every host running), stop (POST -> every host stopped,
# and nothing left: no lw* interface, no nshost, no node cgroup); GET /health
# from a probe (a new connection every 20 ms) throughout the start; the
# daemon's resident memory (its two processes, not the nodes) with the lab running.
SN=${LW_BENCH_SCALE_HOSTS:-1000}
ring_lab scale "$SN" >"$LW_TMP/scale.json"
# scale_until STATE TIMEOUT_S: poll the lab until every node is in STATE.
scale_until() {
	local end=$((SECONDS + $2))
	until [ "$(nsexec curl -s --compressed "$LW_URL/api/v1/labs/scale" 2>/dev/null |
		jq --arg s "$1" '[.nodes[] | select(.state != $s)] | length' 2>/dev/null)" = 0 ]; do
		[ $SECONDS -lt $end ] || { echo "bench: scale: not all $1 within $2 s" >&2; return 1; }
		sleep 0.5 # as a browser polls (gzip accepted), not harder
	done
}
scale_left() { # what a stopped lab left: interfaces, namespace hosts, node cgroups
	local inst
	inst=$(sed -n 's|.*nodes under /sys/fs/cgroup/[a-z]*/labwire/\([0-9a-f]*\).*|\1|p' "$LW_TMP/daemon.log" | tail -1)
	echo $(($(lw_ifaces | wc -l) + $(pgrep -fc "nshost --console $LW_DATA/") +
		$(find /sys/fs/cgroup/*/labwire/"$inst" -maxdepth 1 -name 'n[0-9]*' 2>/dev/null | wc -l)))
}
t0=$(now)
api POST /api/v1/labs "@$LW_TMP/scale.json"
sc_create=$(echo "$(now) - $t0" | bc -l)
[ "$STATUS" = 201 ] || echo "bench: cannot create the scale lab: $BODY" >&2
rm -f "$LW_TMP/health.stop"
ip netns exec "$LW_NS" /usr/bin/python3 "$(dirname "$0")/health.py" "$LW_URL/api/v1/health" \
	"$LW_TMP/health.stop" >"$LW_TMP/health.txt" &
HPID=$!
sleep 0.5
t0=$(now)
api POST /api/v1/labs/scale/start
scale_until running 300
sc_start=$(echo "$(now) - $t0" | bc -l)
touch "$LW_TMP/health.stop"
wait "$HPID"
sc_n=$(wc -l <"$LW_TMP/health.txt")
sc_bad=$(grep -vc '^200 ' "$LW_TMP/health.txt")
sc_p99=$(awk '{print $2 * 1000}' "$LW_TMP/health.txt" | sort -g | awk '{a[NR]=$1} END {i = int(NR * 0.99 + 0.5); if (i < 1) i = 1; print a[i]}')
sc_max=$(awk '{print $2 * 1000}' "$LW_TMP/health.txt" | sort -g | tail -1)
sleep 2 # what settles after the start (captures, readiness) is in the figure too
rss_mb() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2>/dev/null; }
sc_rss_p=$(rss_mb "$LW_PID")
sc_rss_c=0
for p in $(pgrep -P "$LW_PID"); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = labwire ] && sc_rss_c=$(rss_mb "$p")
done
t0=$(now)
api POST /api/v1/labs/scale/stop
scale_until stopped 300
until [ "$(scale_left)" = 0 ]; do
	sleep 0.1
	[ "$(echo "$(now) - $t0 > 120" | bc)" = 1 ] && { echo "bench: scale: $(scale_left) things left after stop" >&2; break; }
done
sc_stop=$(echo "$(now) - $t0" | bc -l)
api DELETE /api/v1/labs/scale
echo "scale: $SN hosts: create $sc_create s, start $sc_start s, stop $sc_stop s;" \
	"health: $sc_n probes, $sc_bad not 200, p99 $sc_p99 ms, max $sc_max ms;" \
	"RSS privileged $sc_rss_p MB, daemon $sc_rss_c MB" >&2
SCALE+=("$SN hosts, $((2 * SN)) links: create (s)|$sc_create|2|goal: 2 s (no natural reference)")
SCALE+=("$SN hosts: start -> all running (s)|$sc_start|15|goal: 15 s (no natural reference)")
SCALE+=("$SN hosts: stop -> nothing left (s)|$sc_stop|10|goal: 10 s (no natural reference)")
SCALE+=("GET /health p99 during the start (ms)|$sc_p99|50|goal: 50 ms ($sc_n probes, $sc_bad not 200)")
SCALE+=("daemon RSS, lab running, both processes (MB)|$(echo "$sc_rss_p + $sc_rss_c" | bc -l)|100|goal: 100 MB (nodes excluded)")
SCALE+=("  of which the privileged parent (MB)|$sc_rss_p|100|goal: 100 MB for both")
SCALE+=("  of which the unprivileged daemon (MB)|$sc_rss_c|100|goal: 100 MB for both")
fi
ROWS+=("${CAP_ROWS[@]}")
ROWS+=("${DP[@]}")
ROWS+=("${IMG_ROWS[@]}")
ROWS+=("${BOOT[@]}")
ROWS+=("${ROUTING[@]}")
ROWS+=("${PRACTICE[@]}")
ROWS+=("${AUTH[@]}")
ROWS+=("${API[@]}")
ROWS+=("${SCALE[@]}")
printf '\n%-56s | %10s | %10s | %6s | %s\n' "benchmark (labwire vs reference)" labwire reference ratio reference
printf '%s\n' "$(printf '%.0s-' $(seq 110))"
for row in "${ROWS[@]}"; do
	IFS='|' read -r name a b what <<<"$row"
	r=$(echo "$a / $b" | bc -l)
	rf=%6.2f
	[ "$(echo "$r < 0.1" | bc)" = 1 ] && rf=%6.2g # two significant digits, not 0.00
	printf "%-56s | %10.2f | %10.2f | $rf | %s\n" "$name" "$a" "$b" "$r" "$what"
done

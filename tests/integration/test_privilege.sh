#!/bin/bash
# Least privilege: every node's processes run as the node's own uid with
# no-new-privs (QEMU also under its seccomp sandbox), in a cgroup of the
# node's with memory and pids limits; one node cannot read another's
# files; a fork bomb or a memory hog typed into a namespace host's console
# is contained by its cgroup while the daemon and the host stay responsive;
# everything is removed at stop.
. "$(dirname "$0")/lib.sh"
# A uid range of this test's own: node N of another daemon (another test's,
# or this test's in the other pass, running beside it) must not be counted as
# ours. Nodes here are few (ids < 256): ranges 256 apart never share a uid.
BASE=$((1880000000 + ($$ % 4194304) * 256))
LW_DAEMON_ARGS="--node-ids $BASE"
lw_setup
# This daemon's cgroup parent (named from its data directory), from its log.
INST=$(sed -n 's|.*nodes under /sys/fs/cgroup/[a-z]*/labwire/\([0-9a-f]*\).*|\1|p' "$LW_TMP/daemon.log" | tail -1)
check "the daemon made its cgroup parent" test -n "$INST"

not() { ! "$@"; }
node_state() { api GET "/api/v1/labs/priv/nodes/$1"; jqb .state; }
status_of() { grep "^$2:" "/proc/$1/status" | awk '{print $2}'; }
node_pid() { api GET "/api/v1/labs/priv/nodes/$1"; jqb .pid; }
exec_on() { # exec_on NODE SEND EXPECT [TIMEOUT]
	api POST "/api/v1/labs/priv/nodes/$1/console/exec" \
		"$(jq -nc --arg s "$2" --arg e "$3" --argjson t "${4:-20}" '{send: $s, expect: $e, timeout_s: $t}')"
}
# cgv CONTROLLER NODE FILE: a v1 controller's file of node's cgroup (this host is hybrid).
cgv() { cat "/sys/fs/cgroup/$1/labwire/$INST/n$2/$3" 2>/dev/null; }

# ---- privilege separation: the network-facing daemon has no privileges ----
CHILD=$(pgrep -P "$LW_PID" -x labwire | head -1)
check "the daemon split: a privileged parent and the network-facing child" test -n "$CHILD"
eq "the parent is root" "$(status_of "$LW_PID" Uid)" 0
eq "the network-facing daemon is not root" "$(status_of "$CHILD" Uid)" "$(id -u labwire)"
eq "... and has no capabilities (effective)" "$(status_of "$CHILD" CapEff)" 0000000000000000
eq "... (permitted)" "$(status_of "$CHILD" CapPrm)" 0000000000000000
eq "... (ambient)" "$(status_of "$CHILD" CapAmb)" 0000000000000000
eq "... with no-new-privs" "$(status_of "$CHILD" NoNewPrivs)" 1
listens() { nsexec ss -ltnpH "sport = :$LW_PORT" | grep -q "pid=$CHILD,"; }
check "it is the one listening on the API port" listens
netlink_of() { # the fds of pid $1 that are netlink sockets (of the test's namespace)
	local inos f l
	inos=$(nsexec awk 'NR > 1 {print $10}' /proc/net/netlink)
	for f in /proc/"$1"/fd/*; do
		l=$(readlink "$f") || continue
		case $l in socket:*) grep -qx "${l//[^0-9]/}" <<<"$inos" && echo "$f" ;; esac
	done
}
check "the parent holds the netlink socket" test -n "$(netlink_of "$LW_PID")"
check "the network-facing daemon holds none" test -z "$(netlink_of "$CHILD")"
api GET /api/v1/system
eq "/system says how nodes are confined" "$(jqb -c .isolation_of_nodes)" '{"cgroups":"hybrid","privsep":true}'
eq "its database is its own" "$(stat -c %U "$LW_DATA/labwire.db")" labwire
eq "... and nobody else's to read" "$(stat -c %a "$LW_DATA/labwire.db")" 640

# Forged requests, sent on the child's own end of the channel (as root, by pidfd_getfd).
forge() { "$LW_TOOLS/lwpriv" "$CHILD" "$1"; }
logpos=$(stat -c %s "$LW_TMP/daemon.log")
log_since() { tail -c +$((logpos + 1)) "$LW_TMP/daemon.log"; }
eq "a valid request is answered (the control: lo exists)" "$(forge exists-lo)" "result=1 err=0"
eq "a TAP outside labwire's names is refused" "$(forge tap-foreign)" "result=-1 err=1"
eq "deleting a foreign interface is refused" "$(forge del-foreign)" "result=-1 err=1"
eq "a batch touching a foreign interface fails" "$(forge batch-foreign)" "result=1 err=0"
eth0_bpf() { nsexec tc filter show dev eth0 ingress 2>/dev/null | grep -q bpf; }
check "eth0 got no drop program" not eth0_bpf
eq "an unknown request type is refused" "$(forge unknown)" "result=-1 err=1"
eq "a request of the wrong size is refused" "$(forge short)" "result=-1 err=22"
eq "an oversized message is refused" "$(forge oversize)" "result=-1 err=1"
eq "spawning a shell is refused" "$(forge spawn-shell)" "result=-1 err=1"
eq "spawning a QEMU binary by a path the daemon could write is refused" "$(forge spawn-path)" "result=-1 err=1"
eq "signalling a process that is no node's is refused" "$(forge signal-init)" "result=-1 err=1"
eq "a node directory for node 0 is refused" "$(forge nodedir-zero)" "result=-1 err=22"
check "every refusal is logged" test "$(log_since | grep -c 'privsep: refused\|jail: refused')" -ge 9
check "... naming what was refused" grep -q "tap_open on 'eth0'" <(log_since)
api GET /api/v1/health
eq "the daemon still serves after the forgeries" "$STATUS" 200

api POST /api/v1/labs '{"name":"priv","nodes":[
 {"name":"h1","template":"linux-host","nics":1},
 {"name":"h2","template":"linux-host","nics":1},
 {"name":"vm","template":"tiny-linux","nics":1,"ram_mb":128,"cpu_cap_pct":50}],
 "links":[{"endpoints":["h1:eth0","vm:eth0"]}]}'
eq "the lab is created" "$STATUS" 201
api GET /api/v1/labs/priv
H1=$(jqb '.nodes[] | select(.name=="h1") | .id')
H2=$(jqb '.nodes[] | select(.name=="h2") | .id')
VM=$(jqb '.nodes[] | select(.name=="vm") | .id')
api POST /api/v1/labs/priv/start
wait_for "all running" 60 lab_nodes_are priv running
wait_for "all ready" 90 lab_nodes_ready priv

# ---- QEMU: its own uid, no-new-privs, seccomp, its cgroup ----
QP=$(node_pid vm)
eq "QEMU runs as the node's own uid" "$(status_of "$QP" Uid)" $((BASE + VM))
eq "... and gid" "$(status_of "$QP" Gid)" $((BASE + VM))
eq "... with no supplementary groups" "$(grep '^Groups:' /proc/$QP/status | awk '{print NF - 1}')" 0
eq "QEMU has no-new-privs" "$(status_of "$QP" NoNewPrivs)" 1
eq "QEMU runs under a seccomp filter (its -sandbox)" "$(status_of "$QP" Seccomp)" 2
eq "QEMU has no capabilities" "$(status_of "$QP" CapEff)" 0000000000000000
check "QEMU's argv carries the sandbox" grep -q 'spawn=deny' "/proc/$QP/cmdline"
check "QEMU sits in its node's memory cgroup" grep -q "^[0-9]*:memory:/labwire/$INST/n$VM\$" "/proc/$QP/cgroup"
check "... and pids and cpu cgroups" grep -q "^[0-9]*:pids:/labwire/$INST/n$VM\$" "/proc/$QP/cgroup"
eq "its memory limit is its RAM + 384 MiB overhead" "$(cgv memory "$VM" memory.limit_in_bytes)" $(((128 + 384) << 20))
eq "its pids limit is set" "$(cgv pids "$VM" pids.max)" 512
eq "its CPU cap (cpu_cap_pct 50) is half a CPU" "$(cgv cpu "$VM" cpu.cfs_quota_us)/$(cgv cpu "$VM" cpu.cfs_period_us)" 50000/100000
eq "its CPU weight follows its vCPUs (1: the default share)" "$(cgv cpu "$VM" cpu.shares)" 1024
eq "a node without a cap has none" "$(cgv cpu "$H1" cpu.cfs_quota_us)" -1
api GET /api/v1/labs/priv/nodes/vm
eq "the node shows its cpu_cap_pct" "$(jqb .cpu_cap_pct)" 50
api PATCH /api/v1/labs/priv/nodes/vm '{"cpu_cap_pct":20}'
eq "the cap is hardware: no change while it runs (409)" "$STATUS" 409
api PATCH /api/v1/labs/priv/nodes/vm '{"cpu_cap_pct":-1}'
eq "a negative cap is refused (422)" "$STATUS" 422
api GET "/api/v1/labs/priv/nodes/vm"
check "the node reports the memory it uses" jqt '.memory_mb > 0 and .memory_limit_mb == 512'
MEM_VM=$(jqb .memory_mb)
api GET /api/v1/labs/priv
check "the lab reports the sum of its nodes' memory" jqt ".memory_mb >= $MEM_VM"

# ---- a guest told to use more memory than it has is held: QEMU cannot pass its cgroup's limit ----
exec_on vm 'head -c 300000000 /dev/zero | tail >/dev/null; echo "hog=$?"' 'hog=[0-9]+' 60
check "the guest's own hog (300 MB in a 128 MiB guest) ends inside the guest" jqt '.output | test("hog=(137|1|143)")'
api GET /api/v1/labs/priv/nodes/vm
eq "the guest is still running" "$(jqb .state)" running
check "its QEMU never passed the cgroup's limit" test "$(cgv memory "$VM" memory.max_usage_in_bytes)" -le $(((128 + 384) << 20))
eq "... and was not killed by it" "$(cgv memory "$VM" memory.oom_control | awk '/oom_kill / {print $2}')" 0

# ---- a namespace host: the shell is the node's uid outside ----
HP=$(node_pid h1)
SH=$(pgrep -P "$(pgrep -P "$HP" | head -1)" | head -1)
[ -n "$SH" ] || SH=$(pgrep -P "$HP" | head -1)
eq "a namespace host's shell is the node's uid outside" "$(status_of "$SH" Uid)" $((BASE + H1))
eq "... with no-new-privs" "$(status_of "$SH" NoNewPrivs)" 1
check "the namespace host sits in its pids cgroup" grep -q "^[0-9]*:pids:/labwire/$INST/n$H1\$" "/proc/$HP/cgroup"

# ---- one node cannot read another's files ----
D=$LW_DATA/labs/1/nodes
eq "a node's directory is the daemon's user's and the node's group's, 2770" \
	"$(stat -c '%U %g %a' "$D/$VM")" "labwire $((BASE + VM)) 2770"
as_node() { setpriv --reuid=$((BASE + $1)) --regid=$((BASE + $1)) --clear-groups "${@:2}" >/dev/null 2>&1; }
check "the node's own user reads its console log" as_node "$VM" cat "$D/$VM/console.log"
check "another node's user cannot" not as_node "$H2" cat "$D/$VM/console.log"
check "another node's user cannot open its disk" not as_node "$H2" cat "$D/$VM/disk.qcow2"
check "... nor list its directory" not as_node "$H2" ls "$D/$VM"
check "... nor connect to its QMP socket's directory" not as_node "$H2" ls "$LW_DATA/run/n$VM"
exec_on h2 "cat $D/$VM/console.log >/dev/null 2>&1; echo rc=\$?" 'rc=[0-9]+'
check "nor can the other node's shell, typed on its console" jqt '.output | test("rc=1")'
check "nodes' users cannot read the database" not as_node "$H2" cat "$LW_DATA/labwire.db"

# ---- a fork bomb in a namespace host is held by its pids limit ----
exec_on h1 'b(){ b|b& }; b 2>/dev/null; echo bombed' 'bombed' 10
sleep 3
check "the bomb hit the node's pids limit" test "$(cgv pids "$H1" pids.events | awk '/max/ {print $2}')" -gt 0
check "... which holds: at most 512 tasks" test "$(cgv pids "$H1" pids.current)" -le 512
api GET /api/v1/health
eq "the daemon still answers during the bomb" "$STATUS" 200
check "the host can still start processes" /bin/true
api POST /api/v1/labs/priv/nodes/h1/stop
wait_for "h1 stops" 30 eval '[ "$(node_state h1)" = stopped ]'
check "stopping it ended the bomb and removed its cgroup" not test -d "/sys/fs/cgroup/pids/labwire/$INST/n$H1"

# ---- a memory hog in a namespace host is held by its memory limit ----
LIM=$(cgv memory "$H2" memory.limit_in_bytes)
eq "h2's memory limit is its 16 MiB + 384 MiB" "$LIM" $(((16 + 384) << 20))
exec_on h2 'head -c 1000000000 /dev/zero | tail >/dev/null; echo "hog=$?"' 'hog=[0-9]+' 60
check "the hog was killed inside the node (not the host, not the daemon)" jqt '.output | test("hog=(137|1)")'
check "the cgroup recorded the OOM kill" grep -q 'oom_kill [1-9]' <(cgv memory "$H2" memory.oom_control)
check "the node's usage never passed its limit" test "$(cgv memory "$H2" memory.max_usage_in_bytes)" -le "$LIM"
api GET /api/v1/labs/priv/nodes/h2
eq "h2 is still running" "$(jqb .state)" running
api GET /api/v1/health
eq "the daemon is fine" "$STATUS" 200

# ---- stop removes every cgroup ----
api POST /api/v1/labs/priv/stop
wait_for "all stopped" 60 lab_nodes_are priv stopped
left() { ls -d /sys/fs/cgroup/{memory,pids,cpu,unified}/labwire/"$INST"/n[1-9]* 2>/dev/null; }
check "no node cgroup is left ($(left | tr '\n' ' '))" test -z "$(left)"
check "no node process is left" test -z "$(pgrep -u $((BASE + VM)),$((BASE + H1)),$((BASE + H2)))"

# A node's user may write its directory: whatever it plants there, the daemon reads no further.
as_node "$VM" sh -c "rm -f '$D/$VM/console.log' && ln -s ../../../../labwire.db '$D/$VM/console.log'"
check "(the node's user planted a link to the database as its console.log)" test -L "$D/$VM/console.log"
api GET "/api/v1/labs/priv/nodes/vm/console.log"
check "GET console.log does not follow it ($STATUS)" not grep -q "SQLite format" <<<"$BODY"
as_node "$VM" sh -c "rm -f '$D/$VM/console.log' && mkfifo '$D/$VM/console.log'"
api POST /api/v1/labs/priv/nodes/vm/start
check "a FIFO planted as its console.log neither hangs the start nor the daemon" \
	wait_for "vm running" 60 eval '[ "$(node_state vm)" = running ]'
api GET /api/v1/health
eq "the daemon still answers" "$STATUS" 200
api POST /api/v1/labs/priv/nodes/vm/stop
wait_for "vm stops" 60 eval '[ "$(node_state vm)" = stopped ]'

lw_stop_daemon
gone() { ! ls -d /sys/fs/cgroup/{memory,pids,cpu,unified}/labwire/"$INST" >/dev/null 2>&1; }
check "when the daemon stops, its cgroups (the tools' and the parent) are gone" gone
lw_teardown

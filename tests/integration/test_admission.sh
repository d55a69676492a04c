#!/bin/bash
# Host admission (--mem-overcommit): a start that would commit more guest RAM
# than the host allows is refused with 503 and the numbers before anything
# is spawned (no process, no TAP, the node stays stopped); what is committed
# counts every lab of every user, namespace hosts included; a staged boot
# asks again when its turn comes, and a node that no longer fits goes to
# error with nothing spawned. In the last part the daemon's /proc/meminfo is
# a file this test writes, bind-mounted in a mount namespace the daemon gets
# for itself (unshare), so the host has the memory the test says, on any
# machine, and can lose some between stages. (Namespace hosts cannot start
# there: a user namespace may not mount a /proc that has a file mounted
# over part of it, so that part uses tiny-linux guests.)
. "$(dirname "$0")/lib.sh"
lw_setup

node_id() { api GET "/api/v1/labs/$1/nodes/$2"; jqb .id; }
node_is() { api GET "/api/v1/labs/$1/nodes/$2"; [ "$(jqb .state)" = "$3" ]; }
committed() { api GET /api/v1/system; jqb .memory_committed_mb; }
numbers() { jqb -c '.error | [.needed_mb, .committed_mb, .available_mb]'; }
# has_iface NAME: the interface exists in the test's namespace (ip -j link).
has_iface() { nsexec ip -j link show 2>/dev/null | jq -e --arg n "$1" 'any(.[]; .ifname == $n)' >/dev/null; }
nshost_runs() { pgrep -f "nshost --console $LW_DATA/run/n$1/con" >/dev/null; }

# ---- 1. the real host, the default overcommit -----------------------------------------------------
host_mb=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
api GET /api/v1/system
eq "system reports the host's MemTotal as memory_mb" "$(jqb .memory_mb)" "$host_mb"
check "mem_overcommit is 1.0 by default" jqt '.mem_overcommit == 1'
check "the budget is the host's memory x 1.0" \
	jqt '.memory_budget_mb == (.memory_limit_mb // .memory_mb)'
eq "nothing is committed yet" "$(jqb .memory_committed_mb)" 0

api POST /api/v1/labs '{"name":"hosts","nodes":[
	{"name":"h1","template":"linux-host"},{"name":"h2","template":"linux-host"}]}'
eq "a lab of two linux-host nodes is created" "$STATUS" 201
eq "a linux-host stores its template's ram_mb (16)" "$(jqb '[.nodes[].ram_mb] | add')" 32
api POST /api/v1/labs/hosts/start
eq "it starts under the default overcommit (202)" "$STATUS" 202
check "both hosts run" wait_for running 20 lab_nodes_are hosts running
eq "their ram_mb is committed (2 x 16)" "$(committed)" 32
api POST /api/v1/labs/hosts/stop
check "they stop" wait_for stopped 20 lab_nodes_are hosts stopped
eq "and nothing is committed again" "$(committed)" 0

out=$("$LW_BUILD/labwire" serve --mem-overcommit 0.01 --data-dir "$LW_TMP/unused" 2>&1)
eq "--mem-overcommit below 0.05 is refused at start-up (exit 2)" "$?" 2
check "saying the bounds" grep -q "mem-overcommit: '0.01' is not a decimal in 0.05..100" <<<"$out"
out=$("$LW_BUILD/labwire" serve --mem-overcommit 1e2 --data-dir "$LW_TMP/unused" 2>&1)
eq "an exponent is not a decimal (exit 2)" "$?" 2
out=$("$LW_BUILD/labwire" serve --help 2>&1)
check "--help lists --mem-overcommit with its default" grep -qE -- '--mem-overcommit .*default: 1\)' <<<"$out"

# ---- 2. the real host, a tiny --mem-overcommit: linux-host nodes, every user's labs ---------------
lw_stop_daemon
LW_DAEMON_ARGS="--mem-overcommit 0.05" lw_start_daemon
api GET /api/v1/system
check "with --mem-overcommit 0.05 the budget is 5% of the host ($(jqb .memory_budget_mb) MiB)" \
	jqt '.mem_overcommit == 0.05 and
		.memory_budget_mb == (((.memory_limit_mb // .memory_mb) * 0.05) | floor)'
BUDGET=$(jqb .memory_budget_mb)
[[ $BUDGET =~ ^[0-9]+$ ]] || { notok "GET /api/v1/system has no memory_budget_mb"; exit 1; }
HALF=$((BUDGET / 2))
# A namespace host's ram_mb is not enforced, so any size costs nothing here.
api POST /api/v1/labs "{\"name\":\"acct\",\"nodes\":[
	{\"name\":\"x1\",\"template\":\"linux-host\",\"ram_mb\":$HALF},
	{\"name\":\"x2\",\"template\":\"linux-host\",\"ram_mb\":$((BUDGET - HALF + 1))}]}"
eq "a lab of two hosts needing 1 MiB more than the budget is created" "$STATUS" 201
X1=$(node_id acct x1)
X2=$(node_id acct x2)
api POST /api/v1/labs/acct/start
eq "its start answers 503" "$STATUS" 503
eq "needed $((BUDGET + 1)), committed 0, available $BUDGET" "$(numbers)" "[$((BUDGET + 1)),0,$BUDGET]"
sleep 0.5
eq "both hosts stay stopped" "$(api GET /api/v1/labs/acct; jqb -c '[.nodes[].state] | unique')" '["stopped"]'
check "no namespace host process, no veth" \
	eval "! nshost_runs $X1 && ! nshost_runs $X2 && ! has_iface lwt${X1}n0 && ! has_iface lwt${X2}n0"

api POST /api/v1/labs/acct/nodes/x1/start
eq "x1 alone fits (202)" "$STATUS" 202
check "x1 runs" wait_for running 20 node_is acct x1 running
eq "its $HALF MiB are committed" "$(committed)" "$HALF"
api POST /api/v1/labs/acct/nodes/x2/start
eq "x2 beside it answers 503" "$STATUS" 503
eq "needed $((BUDGET - HALF + 1)), committed $HALF, available $BUDGET" "$(numbers)" \
	"[$((BUDGET - HALF + 1)),$HALF,$BUDGET]"
sleep 0.5
eq "x2 stays stopped" "$(api GET /api/v1/labs/acct/nodes/x2; jqb .state)" stopped
check "with no process and no veth" eval "! nshost_runs $X2 && ! has_iface lwt${X2}n0"

# Every lab of every user counts.
api POST /api/v1/users '{"name":"carol","password":"carol-pw-123"}'
eq "admin creates carol" "$STATUS" 201
TC=$(login carol carol-pw-123)
api_as "$TC" POST /api/v1/labs "{\"name\":\"clab\",\"nodes\":[
	{\"name\":\"c1\",\"template\":\"linux-host\",\"ram_mb\":$((BUDGET - HALF - 20))}]}"
eq "carol creates a lab" "$STATUS" 201
api_as "$TC" POST /api/v1/labs/clab/start
eq "carol's host fits beside admin's (202)" "$STATUS" 202
api POST /api/v1/labs '{"name":"edge","nodes":[
	{"name":"e1","template":"linux-host","ram_mb":21},{"name":"e2","template":"linux-host","ram_mb":20}]}'
eq "admin creates another lab of two hosts (21 and 20 MiB)" "$STATUS" 201
api POST /api/v1/labs/edge/nodes/e1/start
eq "admin's 21 MiB more answer 503" "$STATUS" 503
eq "carol's RAM is counted (committed $((BUDGET - 20)))" "$(jqb .error.committed_mb)" $((BUDGET - 20))
api POST /api/v1/labs/edge/nodes/e2/start
eq "20 MiB, filling the budget exactly, pass (202)" "$STATUS" 202
eq "the whole budget is committed" "$(committed)" "$BUDGET"
api POST /api/v1/labs/acct/stop
api POST /api/v1/labs/edge/stop
api_as "$TC" POST /api/v1/labs/clab/stop
check "everything stops, and the commitment is released" wait_for stopped 20 eval '[ "$(committed)" = 0 ]'
check "admin's hosts are stopped" lab_nodes_are acct stopped

# ---- 3. a host of 4000 MiB, --mem-overcommit 0.25 (1000 MiB): tiny-linux, staged boots ---------
# meminfo KB: the daemon's /proc/meminfo with MemTotal set (written in place:
# the bind mount holds the inode).
meminfo() {
	awk -v kb="$1" '/^MemTotal:/ {printf "MemTotal:       %d kB\n", kb; next} {print}' \
		/proc/meminfo >"$LW_TMP/meminfo"
}
meminfo 4096000
# The daemon in a mount namespace of its own, whatever lib.sh starts it with
# (never the host's), where the test's file is /proc/meminfo; unshare and sh
# exec, so the pid lib.sh holds stays the daemon's.
cat >"$LW_TMP/labwire-fakemem" <<EOF
#!/bin/sh
exec unshare --mount --propagation private /bin/sh -c 'mount --bind "\$0" /proc/meminfo && exec "\$@"' \\
	"$LW_TMP/meminfo" "$LW_BIN" "\$@"
EOF
chmod +x "$LW_TMP/labwire-fakemem"
lw_stop_daemon
LW_BIN=$LW_TMP/labwire-fakemem LW_DAEMON_ARGS="--mem-overcommit 0.25" lw_start_daemon
eq "the test's own /proc/meminfo is untouched" \
	"$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)" "$host_mb"
api GET /api/v1/system
eq "the daemon sees a host of 4000 MiB" "$(jqb .memory_mb)" 4000
check "with mem_overcommit 0.25" jqt '.mem_overcommit == 0.25'
eq "so starts may commit 1000 MiB" "$(jqb .memory_budget_mb)" 1000

api POST /api/v1/labs '{"name":"big","nodes":[
	{"name":"a","template":"tiny-linux","nics":1,"ram_mb":600},
	{"name":"b","template":"tiny-linux","nics":1,"ram_mb":600}]}'
eq "a lab of two 600 MiB tiny-linux nodes is created" "$STATUS" 201
A=$(node_id big a)
B=$(node_id big b)
api POST /api/v1/labs/big/start
eq "starting both (1200 MiB of 1000) answers 503" "$STATUS" 503
eq "with code unavailable" "$(jqb .error.code)" unavailable
eq "and the numbers as fields (needed, committed, available)" "$(numbers)" '[1200,0,1000]'
check "and in the message ('$(jqb .error.message)')" jqt '.error.message |
	test("^not enough host memory: the start needs 1200 MiB, 0 MiB is committed") and
	test("the host allows 1000 MiB \\(memory 4000 MiB × --mem-overcommit 0.25\\)")'
sleep 1
eq "both nodes stay stopped" "$(api GET /api/v1/labs/big; jqb -c '[.nodes[].state] | unique')" '["stopped"]'
eq "no QEMU process was spawned" "$(qemu_count)" 0
check "and no TAP made" eval "! has_iface lwt${A}n0 && ! has_iface lwt${B}n0"
eq "nothing is committed" "$(committed)" 0

# Per start: the first node fits, the second no longer does.
api POST /api/v1/labs/big/nodes/a/start
eq "starting a alone (600 of 1000) answers 202" "$STATUS" 202
eq "a's 600 MiB are committed while it starts" "$(committed)" 600
check "a's TAP is made" wait_for "a's TAP" 20 has_iface "lwt${A}n0"
api POST /api/v1/labs/big/nodes/b/start
eq "starting b beside it answers 503" "$STATUS" 503
eq "needed 600, committed 600, available 1000" "$(numbers)" '[600,600,1000]'
check "the message says so ('$(jqb .error.message)')" jqt '.error.message |
	test("needs 600 MiB, 600 MiB is committed to running and starting nodes, the host allows 1000 MiB")'
sleep 1
api GET /api/v1/labs/big/nodes/b
eq "b stays stopped" "$(jqb .state)" stopped
check "and has no error recorded" jqt '.error == null'
eq "one QEMU process runs (a's)" "$(qemu_count)" 1
check "b has no TAP" eval "! has_iface lwt${B}n0"
api POST /api/v1/labs/big/stop
check "a stops" wait_for stopped 60 lab_nodes_are big stopped

# A staged start: the host shrinks between stages. One node boots at a time;
# s1 holds the stage for a few seconds (its startup config runs before it
# reports ready) while s2 waits queued.
api POST /api/v1/labs '{"name":"staged","nodes":[
	{"name":"s1","template":"tiny-linux","nics":1,"ram_mb":400,"boot_order":1,"startup_config":"sleep 5\n"},
	{"name":"s2","template":"tiny-linux","nics":1,"ram_mb":400,"boot_order":2}]}'
eq "a lab of two 400 MiB nodes is created" "$STATUS" 201
api PATCH /api/v1/labs/staged '{"boot_concurrency":1}'
eq "that boots one node at a time" "$(jqb .boot_concurrency)" 1
S1=$(node_id staged s1)
S2=$(node_id staged s2)
api POST /api/v1/labs/staged/start
eq "its start (800 of 1000) answers 202" "$STATUS" 202
check "s1 is spawned (its TAP is made)" wait_for "s1's TAP" 20 has_iface "lwt${S1}n0"
api GET /api/v1/labs/staged/nodes/s2
eq "s2 waits its turn (starting, queued)" "$(jqb -c '[.state, .boot]')" '["starting","queued"]'
eq "the queued node's RAM counts as committed" "$(committed)" 800
meminfo 2457600 # 2400 MiB: 600 to give, and s1 already takes 400
api GET /api/v1/system
eq "the daemon sees the host shrink at once (budget 600)" "$(jqb .memory_budget_mb)" 600
check "at its turn s2 no longer fits and goes to error" wait_for "s2 in error" 90 node_is staged s2 error
check "saying why with the numbers ('$(jqb .error)')" jqt '.error |
	test("^not enough host memory: the start needs 400 MiB, 400 MiB is committed") and
	test("the host allows 600 MiB \\(memory 2400 MiB × --mem-overcommit 0.25\\)")'
check "s2 has no TAP" eval "! has_iface lwt${S2}n0"
eq "one QEMU process runs (s1's)" "$(qemu_count)" 1
s1_ready() { api GET /api/v1/labs/staged/nodes/s1; [ "$(jqb -c '[.state, .ready]')" = '["running",true]' ]; }
check "s1, admitted before, goes on to run and be ready" wait_for "s1 ready" 60 s1_ready
eq "s2's RAM is no longer committed" "$(committed)" 400

meminfo 4096000
api POST /api/v1/labs/staged/nodes/s2/start
eq "with the memory back, s2 starts from error (202)" "$STATUS" 202
check "its TAP is made" wait_for "s2's TAP" 20 has_iface "lwt${S2}n0"
api POST /api/v1/labs/staged/stop
check "the staged lab stops" wait_for stopped 60 lab_nodes_are staged stopped

check "the daemon logs its budget at start-up" grep -q \
	"host memory 4000 MiB: starts may commit 1000 MiB of guest RAM (--mem-overcommit 0.25)" \
	"$LW_TMP/daemon.log"
check "and the refused staged boot" grep -q "node $S2: start failed: not enough host memory" \
	"$LW_TMP/daemon.log"
exit 0

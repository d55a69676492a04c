#!/bin/bash
# Config drives: their text is bounded before it is built (a template that
# repeats {config} thousands of times costs nothing), and the tools that
# build them (genisoimage here, qemu-img for linked clones) run off the
# runtime's thread with a timeout: while one hangs, other nodes start and
# the API answers; after --tool-timeout it is killed and the node says why.
. "$(dirname "$0")/lib.sh"

# A genisoimage that never finishes, first in the daemon's PATH (a root-only
# directory: tools are pinned to files only root could have written).
STALL=/run/lwstall.$$
mkdir -m 0755 "$STALL"
install -m 0755 "$LW_TOOLS/lwstall" "$STALL/genisoimage"
PATH="$STALL:$PATH" LW_DAEMON_ARGS="--tool-timeout 4" lw_setup
trap 'lw_teardown; rm -rf "$STALL"' EXIT

# hwm: the highest resident memory (KiB) the daemon's processes reached so far.
hwm() {
	local p m=0 v
	for p in "$LW_PID" $(pgrep -P "$LW_PID"); do
		v=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null)
		[ -n "$v" ] && [ "$v" -gt "$m" ] && m=$v
	done
	echo "$m"
}

api POST /api/v1/labs '{"name":"cd","nodes":[{"name":"vm","template":"tiny-linux"},
	{"name":"h1","template":"linux-host"}]}'
eq "the lab is created" "$STATUS" 201
LAB=$(jqb .id)

# --- a hung tool -------------------------------------------------------------------------
api POST "/api/v1/labs/$LAB/nodes/vm/start"
eq "the VM's start is accepted" "$STATUS" 202
sleep 0.5
T0=$(date +%s%N)
api POST "/api/v1/labs/$LAB/nodes/h1/start"
eq "  a host's start is accepted while the VM's config drive tool hangs" "$STATUS" 202
h1_running() { api GET "/api/v1/labs/$LAB/nodes/h1"; [ "$(jqb .state)" = running ]; }
check "  the host runs meanwhile (the runtime is not waiting for the tool)" wait_for h1 3 h1_running
T1=$(date +%s%N)
api POST /api/v1/labs '{"name":"meanwhile"}'
T2=$(date +%s%N)
eq "  a write (a new lab) is answered meanwhile" "$STATUS" 201
check "  within a second ($(((T2 - T1) / 1000000)) ms)" test $(((T2 - T1) / 1000000)) -lt 1000
api GET "/api/v1/labs/$LAB/nodes/vm"
eq "  the VM is still starting" "$(jqb .state)" starting
# This daemon's hung tool (its file is ours; another daemon's genisoimage is not).
tool_runs() {
	local p
	for p in $(pgrep -x genisoimage); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$STALL/genisoimage" ] && return 0
	done
	return 1
}
check "  and its tool runs" tool_runs
vm_error() { api GET "/api/v1/labs/$LAB/nodes/vm"; [ "$(jqb .state)" = error ]; }
check "after --tool-timeout the VM's start fails" wait_for vm-error 10 vm_error
check "  saying which tool did not finish, and the option" \
	jqt '.error | test("genisoimage did not finish .* in 4 s \\(--tool-timeout\\)")'
T3=$(date +%s%N)
check "  about 4 s after it began ($(((T3 - T0) / 1000000)) ms)" test $(((T3 - T0) / 1000000)) -lt 9000
check "  and the tool is gone" wait_for no-tool 3 eval '! tool_runs'

# A stop while the drive is being made: the node settles stopped once the tool is done.
api POST "/api/v1/labs/$LAB/nodes/vm/start"
sleep 0.5
api POST "/api/v1/labs/$LAB/nodes/vm/stop"
eq "a VM is stopped while its drive is being made" "$STATUS" 202
api GET "/api/v1/labs/$LAB/nodes/vm"
eq "  it stays stopping while the tool runs" "$(jqb .state)" stopping
vm_stopped() { api GET "/api/v1/labs/$LAB/nodes/vm"; [ "$(jqb .state)" = stopped ]; }
check "  and is stopped when the tool is killed" wait_for vm-stopped 10 vm_stopped
check "  no QEMU ran" test "$(qemu_count)" = 0

# --- the expansion bound ---------------------------------------------------------------
# 8 files of 512 {config} each (the most a template may hold) and a 200 KiB
# config: 800 MiB of text, if it were built.
printf '{config}%.0s' $(seq 1 512) >"$LW_TMP/bomb"
jq -c --rawfile b "$LW_TMP/bomb" '.name = "tl-bomb"
	| .config_files = ([range(8)] | map({key: "f\(.)", value: $b}) | from_entries)' \
	"$LW_ROOT/images/templates/tiny-linux.json" >"$LW_TMP/bomb.json"
api POST /api/v1/templates "@$LW_TMP/bomb.json"
eq "a template whose 8 files hold 4,096 {config} is accepted (its own text is small)" "$STATUS" 201
head -c $((200 << 10)) /dev/zero | tr '\0' x >"$LW_TMP/cfg"
jq -nc --rawfile c "$LW_TMP/cfg" '{name: "big", template: "tl-bomb", startup_config: $c}' >"$LW_TMP/node.json"
api POST "/api/v1/labs/$LAB/nodes" "@$LW_TMP/node.json"
eq "  a node on it with a 200 KiB startup config is created" "$STATUS" 201
BEFORE=$(hwm)
api POST "/api/v1/labs/$LAB/nodes/big/start"
big_error() { api GET "/api/v1/labs/$LAB/nodes/big"; [ "$(jqb .state)" = error ]; }
check "  its start fails" wait_for big-error 10 big_error
check "  because the drive's files would exceed 1024 KiB" jqt '.error | test("would exceed 1024 KiB")'
AFTER=$(hwm)
check "  without the daemon building them in memory (peak RSS +$(((AFTER - BEFORE) / 1024)) MiB)" \
	test $((AFTER - BEFORE)) -lt $((64 << 10))
api GET /api/v1/health
eq "  and the daemon answers" "$STATUS" 200

api POST "/api/v1/labs/$LAB/stop"
none_run() { api GET "/api/v1/labs/$LAB"; jqt '[.nodes[] | select(.state | test("running|starting|stopping"))] == []'; }
check "the lab stops" wait_for stopped 20 none_run
lw_stop_daemon
exit 0

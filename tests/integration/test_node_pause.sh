#!/usr/bin/env bash
# A node whose disk fills up: its overlay sits on a small tmpfs, the guest
# writes until the host has no room left, and QEMU stops the guest rather
# than fail its writes (werror=enospc). The node shows paused with reason
# "disk full" (GET and the event stream); resume while the disk is still
# full pauses it again and says so; once the tmpfs has grown, resume makes
# it running and the guest's write completes. A restarted daemon finds the
# paused QEMU paused (query-status), a paused node stops at once, and a
# guest whose kernel panics (pvpanic) leaves its node in error "guest
# panicked". The tmpfs is mounted in a mount namespace of the test's own,
# so nothing outlives it.
if [ -z "${LW_PAUSE_MNTNS:-}" ]; then
	exec env LW_PAUSE_MNTNS=1 unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"

command -v qemu-img >/dev/null || { echo "1..0 # SKIP qemu-img missing"; exit 0; }
lw_setup

exec_on() { # exec_on NODE SEND EXPECT [TIMEOUT_S]
	api POST "/api/v1/labs/pz/nodes/$1/console/exec" \
		"$(jq -nc --arg s "$2" --arg e "$3" --argjson t "${4:-30}" '{send: $s, expect: $e, timeout_s: $t}')"
}
node_is() { # node_is STATE: node a reports STATE (BODY is its object)
	api GET /api/v1/labs/pz/nodes/a
	[ "$(jqb .state)" = "$1" ]
}

qemu-img create -q -f qcow2 "$LW_TMP/base.qcow2" 64M
STATUS=$(nsexec curl -s -o "$LW_TMP/body" -w '%{http_code}' -X POST --data-binary "@$LW_TMP/base.qcow2" \
	"$LW_URL/api/v1/images?name=pz-disk&template=tiny-linux" 2>/dev/null)
eq "a 64 MiB disk image uploads" "$STATUS" 201
api POST /api/v1/labs '{"name":"pz","nodes":[{"name":"a","template":"tiny-linux","image":"pz-disk","nics":0}]}'
eq "a lab with one tiny-linux node on it is created" "$STATUS" 201

# The node's directory (its overlay, logs, config drive) on a 2 MiB tmpfs,
# owned as the daemon makes it: the overlay cannot grow past that.
LABDIR=$LW_DATA/labs/$(jqb .id)
DIR=$LABDIR/nodes/$(jqb '.nodes[0].id')
DUID=$(sed -n 's/.*privsep: serving as .* (uid \([0-9]*\)).*/\1/p' "$LW_TMP/daemon.log" | tail -1)
mkdir -p "$DIR"
mount -t tmpfs -o "size=2m,mode=2770,uid=$DUID" lwpause "$DIR"
trap 'umount -l "$DIR" 2>/dev/null; lw_teardown' EXIT

ip netns exec "$LW_NS" curl -s -N "$LW_URL/api/v1/events" >"$LW_TMP/events" 2>/dev/null &
EVENTS_PID=$!
api POST '/api/v1/labs/pz/start?wait=ready&timeout=120'
eq "the lab starts, its node ready" "$STATUS" 200
check "  its overlay is on the small tmpfs" test -f "$DIR/disk.qcow2"
api POST /api/v1/labs/pz/nodes/a/resume
eq "resume of a running node is 409" "$STATUS" 409
check "  and says only a paused node resumes" jqt '.error.message | test("paused node resumes")'

# 4 MiB into a 64 MiB disk whose overlay has under 2 MiB of room; the
# result lands in a file, since the shell waits with the guest.
exec_on a '(dd if=/dev/zero of=/dev/vda bs=64k count=64 conv=fsync 2>/dev/null; echo rc=$? >/tmp/ddrc) & echo started' '^started'
eq "the guest starts writing 4 MiB" "$STATUS" 200
check "the node shows paused" wait_for paused 60 node_is paused
eq "  with reason disk full" "$(jqb .paused_reason)" "disk full"
check "  and the event stream said so" wait_for event 10 grep -q '"state":"paused".*"paused_reason":"disk full"\|"paused_reason":"disk full".*"state":"paused"' "$LW_TMP/events"
api GET /api/v1/labs/pz
eq "  the lab still runs (its node waits to be resumed)" "$(jqb .state)" running

# A daemon that takes over the paused QEMU asks it how it is, even when
# the store says running (as a daemon killed before it heard the pause left it).
kill "$EVENTS_PID" 2>/dev/null
lw_stop_daemon
sqlite3 -cmd '.timeout 5000' "$LW_DATA/labwire.db" "UPDATE nodes SET state = 'running', paused_reason = NULL"
lw_start_daemon
ip netns exec "$LW_NS" curl -s -N "$LW_URL/api/v1/events" >"$LW_TMP/events2" 2>/dev/null &
EVENTS_PID=$!
check "a restarted daemon re-adopts the node paused" wait_for adopted 10 eval \
	'node_is paused && [ "$(jqb .paused_reason)" = "disk full" ]'
api POST /api/v1/labs/pz/nodes/a/resume
eq "resume while the disk is still full is 409" "$STATUS" 409
check "  and says it paused again: disk full" jqt '.error.message | test("paused again: disk full")'
check "  the node is paused still" node_is paused
OUT=$(nsexec "$LW_BIN" --url "$LW_URL" node list pz 2>&1)
check "labwire node list says why it is paused" grep -q '^a: paused: disk full' <<<"$OUT"

mount -o remount,size=16m "$DIR"
OUT=$(nsexec "$LW_BIN" --url "$LW_URL" node resume pz a 2>&1)
eq "with room again, labwire node resume succeeds" "$?:$OUT" "0:node pz/a: running"
check "  and the node runs" node_is running
check "  without a paused reason" jqt 'has("paused_reason") | not'
check "the guest's write completes" wait_for ddrc 30 eval \
	'exec_on a "cat /tmp/ddrc 2>/dev/null" "^rc=[0-9]"; [ "$STATUS" = 200 ]'
eq "  without an error" "$(jqb .output | grep -o 'rc=[0-9]*' | tail -1)" rc=0
check "the event stream said running again" wait_for event 10 eval \
	'grep "\"action\":\"state\"" "$LW_TMP/events2" | tail -1 | grep -q "\"state\":\"running\""'

# Paused again (24 MiB more than the grown tmpfs holds), it stops at once:
# QEMU quits, no powerdown is asked of a guest that cannot hear it (5 s).
exec_on a '(dd if=/dev/zero of=/dev/vda bs=1M seek=8 count=24 conv=fsync 2>/dev/null; echo rc=$? >/tmp/ddrc) & echo started' '^started'
check "a second write fills the grown disk: paused again" wait_for paused 60 node_is paused
T0=$(date +%s%N)
api POST /api/v1/labs/pz/stop
check "the lab with its paused node stops" wait_for stopped 20 lab_nodes_are pz stopped
T=$((($(date +%s%N) - T0) / 1000000))
check "  within 3 s, without waiting for a powerdown (${T} ms)" test "$T" -lt 3000
check "  and its QEMU is gone" wait_for noqemu 10 eval 'test "$(qemu_count)" = 0'

# A kernel panic: the pvpanic device tells QEMU (GUEST_PANICKED), and the
# node ends in error rather than rebooting unseen (the guest has panic=-1).
mount -o remount,size=64m "$DIR"
api POST '/api/v1/labs/pz/start?wait=ready&timeout=120'
eq "the node starts again" "$STATUS" 200
exec_on a 'echo c >/proc/sysrq-trigger' '^never printed' 1
check "a guest whose kernel panics leaves its node in error" wait_for panicked 30 node_is error
eq "  saying guest panicked" "$(jqb .error)" "guest panicked"
check "  and the event stream said so" grep -q '"state":"error".*"guest panicked"\|"guest panicked".*"state":"error"' "$LW_TMP/events2"
check "  its QEMU is gone" wait_for noqemu 10 eval 'test "$(qemu_count)" = 0'
kill "$EVENTS_PID" 2>/dev/null
exit 0

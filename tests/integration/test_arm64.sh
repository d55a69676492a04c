#!/usr/bin/env bash
# An aarch64 guest, translated by QEMU's TCG, in the same lab as an x86_64
# one: it reports its arch and why it is translated, and the two ping each
# other across a link.
. "$(dirname "$0")/lib.sh"

[ -f "$LW_IMAGES/tiny-linux-arm64/initrd.img" ] || { echo "1..0 # SKIP no arm64 tiny-linux guest"; exit 0; }
command -v qemu-system-aarch64 >/dev/null || { echo "1..0 # SKIP qemu-system-aarch64 missing"; exit 0; }
lw_setup

exec_on() { # exec_on NODE SEND EXPECT
	api POST "/api/v1/labs/mixed/nodes/$1/console/exec" \
		"$(jq -nc --arg s "$2" --arg e "$3" '{send: $s, expect: $e, timeout_s: 30}')"
}

api POST /api/v1/labs '{"name":"mixed","nodes":[
 {"name":"x86","template":"tiny-linux","nics":1,"startup_config":"ip addr add 10.9.9.1/24 dev eth0\n"},
 {"name":"arm","template":"tiny-linux-arm64","nics":1,"startup_config":"ip addr add 10.9.9.2/24 dev eth0\n"}],
 "links":[{"endpoints":["x86:eth0","arm:eth0"]}]}'
eq "a lab with an x86_64 and an aarch64 node is created" "$STATUS" 201
T0=$SECONDS
api POST '/api/v1/labs/mixed/start?wait=ready&timeout=300'
eq "both boot to ready" "$STATUS" 200
echo "# both ready in $((SECONDS - T0)) s"

api GET /api/v1/labs/mixed/nodes/arm
eq "the ARM node reports arch aarch64" "$(jqb .arch)" aarch64
eq "  and runs translated (tcg)" "$(jqb .accel_in_use)" tcg
check "  and says why" jqt '.accel_reason | test("aarch64")'
echo "# accel_reason: $(jqb .accel_reason)"
api GET /api/v1/labs/mixed/nodes/x86
eq "the x86 node reports arch x86_64" "$(jqb .arch)" x86_64
exec_on arm 'uname -m' '^aarch64'
eq "the guest itself is aarch64 (uname -m)" "$STATUS" 200

exec_on x86 'ping -c 3 -W 2 10.9.9.2 | grep -o "[0-9]* packets received"' '[0-9] packets received'
check "x86_64 pings aarch64 across the link" jqt '.output | test("[1-9] packets received")'
exec_on arm 'ping -c 3 -W 2 10.9.9.1 | grep -o "[0-9]* packets received"' '[0-9] packets received'
check "aarch64 pings x86_64 back" jqt '.output | test("[1-9] packets received")'

api POST /api/v1/labs/mixed/stop
check "the lab stops" wait_for stopped 60 lab_nodes_are mixed stopped
api DELETE /api/v1/labs/mixed
eq "and is deleted" "$STATUS" 204
check "no QEMU process remains" wait_for noqemu 10 eval 'test "$(qemu_count)" = 0'
eq "no lw* interface remains" "$(lw_ifaces | wc -l)" 0

#!/bin/bash
# Disk limits, as a user sees them: a capture ends by itself at its
# max_bytes or max_seconds (state stopped, stop_reason) and a lab runs at
# most --captures-per-lab at once (429); a capture whose directory fills up
# ends failed with "disk full", its counters stop and its file stays a clean
# pcap of what it counted; an image upload that no longer fits as it streams
# (or from the start) is answered 507 and leaves no file; an image with a
# huge virtual size is refused 422; a node's nshost.log/qemu.log is held to
# --node-log-max (moved to .1). Namespace hosts only; small tmpfs file
# systems, mounted in a mount namespace of the test's own, stand for a full
# disk.
if [ -z "${LW_MNTNS:-}" ]; then
	exec env LW_MNTNS=1 unshare --mount --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
command -v qemu-img >/dev/null || { echo "1..0 # SKIP qemu-img missing"; exit 0; }
LW_DAEMON_ARGS="--node-log-max 65536 --captures-per-lab 2 --image-reserve-mb 8"
lw_setup
MNTS=()
# The daemon stops first, then the small file systems go, then the rest.
trap 'lw_stop_daemon; for m in "${MNTS[@]}"; do umount -l "$m"; done; lw_teardown' EXIT
# small_fs DIR SIZE: a tmpfs of SIZE on DIR, owned like DIR.
small_fs() {
	mount -t tmpfs -o "size=$2,uid=$(stat -c %u "$1"),gid=$(stat -c %g "$1"),mode=$(stat -c %a "$1")" \
		lwtest "$1" && MNTS+=("$1")
}

api POST /api/v1/labs '{"name":"disk","nodes":[
 {"name":"a","template":"linux-host","startup_config":"ip addr add 10.7.0.1/24 dev eth0\n"},
 {"name":"b","template":"linux-host","startup_config":"ip addr add 10.7.0.2/24 dev eth0\n"}],
 "links":[{"endpoints":["a:eth0","b:eth0"]}]}'
eq "a lab of two namespace hosts is created" "$STATUS" 201
LAB=$(jqb .id)
LINK=$(jqb '.links[0].id')
CAPS=/api/v1/labs/$LAB/links/$LINK/captures
api POST "/api/v1/labs/$LAB/start"
check "both hosts become ready" wait_for ready 30 lab_nodes_ready "$LAB"
nsexec curl -sN "$LW_URL/api/v1/events" >"$LW_TMP/events" 2>/dev/null &

# ping_b N: a pings b N times, 1000-byte payloads every 10 ms (answered or not).
ping_b() {
	api POST "/api/v1/labs/$LAB/nodes/a/console/exec" "$(jq -nc --arg s "ping -q -c $1 -i 0.01 -s 1000 10.7.0.2" \
		'{send: $s, expect: "packets transmitted", timeout_s: 60}')"
	sleep 0.3
}
cap_get() { api GET "$CAPS/$1"; }
cap_is() { cap_get "$1"; [ "$(jqb .state)" = "$2" ]; }
fetch() { nsexec curl -s --max-time 10 -o "$2" "$LW_URL$1"; }
records() { tcpdump -nn -r "$1" 2>/dev/null | grep -c . || true; }
pcap_clean() { tcpdump -nn -r "$1" >/dev/null 2>&1; }

# --- 1. limits ---------------------------------------------------------------------------
api POST "$CAPS" '{"max_bytes":2000000000}'
eq "max_bytes past --capture-max-mb (1024 MiB) answers 422" "$STATUS" 422
check "  naming the option ($(jqb .error.message))" jqt '.error.message | test("capture-max-mb")'
api POST "$CAPS" '{"max_seconds":0}'
eq "max_seconds 0 answers 422" "$STATUS" 422

api POST "$CAPS" '{"max_bytes":20000}'
eq "a capture with max_bytes 20000 starts" "$STATUS" 201
CB=$(jqb .id)
eq "  and shows its limit" "$(jqb .max_bytes)" 20000
eq "  and the default duration (24 h)" "$(jqb .max_seconds)" 86400
api POST "$CAPS" '{"max_seconds":1}'
eq "a capture with max_seconds 1 starts" "$STATUS" 201
CS=$(jqb .id)
api POST "$CAPS" '{}'
eq "a third capture at once answers 429 (--captures-per-lab 2)" "$STATUS" 429
check "  saying why ($(jqb .error.message))" jqt '.error.message | test("captures-per-lab")'
ping_b 40
check "the max_bytes capture stops by itself" wait_for maxb 10 cap_is "$CB" stopped
eq "  with stop_reason max_bytes" "$(jqb .stop_reason)" max_bytes
PB=$(jqb .packets)
fetch "$CAPS/$CB/pcap" "$LW_TMP/b.pcap"
SB=$(stat -c %s "$LW_TMP/b.pcap")
check "  its file is within the limit and near it ($SB bytes)" test "$SB" -le 20000 -a "$SB" -gt 17000
check "  and a clean pcap" pcap_clean "$LW_TMP/b.pcap"
eq "  holding as many frames as it counted" "$(records "$LW_TMP/b.pcap")" "$PB"
check "the max_seconds capture stops by itself" wait_for maxs 5 cap_is "$CS" stopped
eq "  with stop_reason max_seconds" "$(jqb .stop_reason)" max_seconds
api POST "$CAPS" '{}'
eq "with both ended a new capture may start" "$STATUS" 201
api DELETE "$CAPS/$(jqb .id)"
eq "a capture stopped by DELETE has no stop_reason" "$(jqb .state),$(jqb .stop_reason)" "stopped,null"

# --- 2. the capture directory fills up -------------------------------------------------
CDIR=$LW_DATA/labs/$LAB/captures
small_fs "$CDIR" 256k
check "a 256 KiB file system on the lab's capture directory" mountpoint -q "$CDIR"
api POST "$CAPS" '{}'
eq "a capture on it starts" "$STATUS" 201
CF=$(jqb .id)
ping_b 300
check "it ends failed when the disk is full" wait_for full 10 cap_is "$CF" failed
eq "  with error 'disk full'" "$(jqb .error)" "disk full"
PF=$(jqb .packets)
check "  having counted frames ($PF)" test "$PF" -gt 50
ping_b 20
cap_get "$CF"
eq "its counters stop" "$(jqb .packets),$(jqb .state)" "$PF,failed"
fetch "$CAPS/$CF/pcap" "$LW_TMP/f.pcap"
check "its file is a clean pcap" pcap_clean "$LW_TMP/f.pcap"
eq "  holding as many frames as it counted" "$(records "$LW_TMP/f.pcap")" "$PF"
fetch "$CAPS/$CF/pcap?follow=1" "$LW_TMP/ff.pcap"
check "following it gives the same file at once" cmp -s "$LW_TMP/f.pcap" "$LW_TMP/ff.pcap"
fetch "/api/v1/labs/$LAB/links/$LINK/recent.pcap" "$LW_TMP/recent.pcap"
check "the link's recent frames still serve" test "$(records "$LW_TMP/recent.pcap")" -gt 0
has_event() { grep -q "\"failed\".*\"id\": *$CF\b.*disk full\|disk full.*\"id\": *$CF\b" "$LW_TMP/events"; }
check "an event said the capture failed (disk full)" wait_for event 3 has_event

# --- 3. node logs ---------------------------------------------------------------------
NODE_A=$(api GET "/api/v1/labs/$LAB/nodes/a"; jqb .id)
NLOG=$LW_DATA/labs/$LAB/nodes/$NODE_A/nshost.log
# Appended through an O_APPEND fd kept open, as the host's own stderr is.
exec 3>>"$NLOG"
head -c 300000 /dev/zero | tr '\0' x >&3
rotated() { [ -f "$NLOG.1" ] && [ "$(stat -c %s "$NLOG")" -lt 65536 ]; }
check "a node log past --node-log-max (64 KiB) is rotated" wait_for rot 6 rotated
eq "  its .1 holds the newest 64 KiB" "$(stat -c %s "$NLOG.1")" 65536
printf 'after\n' >&3
eq "  and the writer goes on at the start of the new log" "$(head -c 6 "$NLOG")" after
exec 3>&-

# --- 4. images -------------------------------------------------------------------------
qemu-img create -q -f qcow2 "$LW_TMP/huge.qcow2" 100T
STATUS=$(nsexec curl -s -o "$LW_TMP/body" -w '%{http_code}' -X POST --data-binary "@$LW_TMP/huge.qcow2" \
	"$LW_URL/api/v1/images?name=huge" 2>/dev/null)
BODY=$(cat "$LW_TMP/body")
eq "a qcow2 of $(stat -c %s "$LW_TMP/huge.qcow2") bytes with a 100 TiB virtual size answers 422" "$STATUS" 422
check "  naming the limit ($(jqb .error.message))" jqt '.error.message | test("image-max-virtual-gb")'

IDIR=$LW_DATA/images
mkdir -p "$IDIR"
small_fs "$IDIR" 80m
store_files() { find "$IDIR" -type f | wc -l; }
head -c $((76 << 20)) /dev/zero >"$LW_TMP/big.raw"
STATUS=$(nsexec curl -s -o "$LW_TMP/body" -w '%{http_code}' -X POST --data-binary "@$LW_TMP/big.raw" \
	"$LW_URL/api/v1/images?name=big" 2>/dev/null)
BODY=$(cat "$LW_TMP/body")
eq "an upload larger than the free space (76 MiB + 8 MiB reserve, 80 MiB) answers 507" "$STATUS" 507
check "  saying so ($(jqb .error.message))" jqt '.error.message | test("free space")'
eq "  and leaves no file" "$(store_files)" 0

head -c $((40 << 20)) /dev/zero >"$LW_TMP/mid.raw"
ip netns exec "$LW_NS" curl -s -o "$LW_TMP/mid.body" -w '%{http_code}' --limit-rate 8M -X POST \
	--data-binary "@$LW_TMP/mid.raw" "$LW_URL/api/v1/images?name=mid" >"$LW_TMP/mid.status" 2>/dev/null &
CURL_PID=$!
uploading() { api GET /api/v1/images; jqt '.images[] | select(.name == "mid" and .size > 0)'; }
check "a 40 MiB upload that fits begins" wait_for begun 10 uploading
# Something else takes 34 MiB meanwhile: 40 + 34 + 8 no longer fit in 80.
fallocate -l 34M "$IDIR/filler"
curl_done() { ! kill -0 "$CURL_PID" 2>/dev/null; }
wait_for "the upload ends" 15 curl_done
eq "it is answered 507 as it streams" "$(cat "$LW_TMP/mid.status")" 507
check "  saying so ($(jq -r .error.message "$LW_TMP/mid.body" 2>/dev/null))" \
	grep -q "free space" "$LW_TMP/mid.body"
rm -f "$IDIR/filler"
eq "  and leaves no file" "$(store_files)" 0
api GET /api/v1/images
eq "no image record is left of the refused uploads" "$(jqb '[.images[].name] | join(",")')" ""

api POST "/api/v1/labs/$LAB/stop"
check "the lab stops" wait_for stopped 20 lab_nodes_are "$LAB" stopped

#!/bin/bash
# Packet capture on a link, as a user sees it: a capture refused while the
# link is down, a capture of a ping (frames, MACs, IPs and counters), a live
# follow stream that receives frames while the ping still runs and ends when
# the capture is deleted, BPF filters (good and bad) and snaplen, the link's
# always-on ring of recent frames, several captures at once, and a lab stop
# (captures stopped with their counters, files still served, no packet socket
# left) and delete (files gone). Frames are read back with tcpdump.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
lw_setup

create_pair cap
eq "lab of two nodes and one link created" "$STATUS" 201
LAB=$(jqb .id)
LINK=$(jqb '.links[0].id')
CAPS=/api/v1/labs/$LAB/links/$LINK/captures
RECENT=/api/v1/labs/$LAB/links/$LINK/recent.pcap

# exec_on NODE SEND EXPECT TIMEOUT_S: POST console/exec; sets STATUS and BODY.
exec_on() {
	api POST "/api/v1/labs/$LAB/nodes/$1/console/exec" \
		"$(jq -nc --arg s "$2" --arg e "$3" --argjson t "$4" '{send: $s, expect: $e, timeout_s: $t}')"
}
# ping_b N [ARGS]: node a pings b N times; all must answer.
ping_b() {
	exec_on a "ping -c $1 ${2:-} 10.9.0.2" "$1 packets received" 30
	# The tap hands frames over in blocks at least every 10 ms: let the last reply land.
	sleep 0.2
	[ "$STATUS" = 200 ]
}
# fetch PATH FILE: GET PATH into FILE; sets STATUS and CTYPE.
fetch() {
	local out
	out=$(nsexec curl -s -o "$2" -w '%{http_code} %{content_type}' "$LW_URL$1" 2>/dev/null) || out=000
	STATUS=${out%% *}
	CTYPE=${out#* }
}
# frames FILE: tcpdump's lines for FILE (a truncated last record is ignored).
frames() { tcpdump -nn -e -r "$1" 2>/dev/null; }
# nreq FILE [REGEX] / nrep FILE [REGEX]: echo requests / replies (also matching REGEX).
nreq() { frames "$1" | grep 'ICMP echo request' | grep -cE "${2:-.}" || true; }
nrep() { frames "$1" | grep 'ICMP echo reply' | grep -cE "${2:-.}" || true; }
# nicmp FILE: any ICMPv4 echo frame.
nicmp() { frames "$1" | grep -cE 'ICMP echo (request|reply)' || true; }
# cap_field ID FIELD: one field of GET …/captures/ID.
cap_field() { api GET "$CAPS/$1"; jqb ".$2"; }
# pcap_recs FILE: "snaplen N", then "caplen len" for each whole record.
pcap_recs() {
	"$PY" - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
print("snaplen", struct.unpack("<I", d[16:20])[0])
o = 24
while o + 16 <= len(d):
    cl, ln = struct.unpack("<II", d[o + 8:o + 16])
    if o + 16 + cl > len(d):
        break
    print(cl, ln)
    o += 16 + cl
EOF
}
gone() { ! kill -0 "$1" 2>/dev/null; }
# pcap_clean FILE: tcpdump reads it to the end. (jqt comes from lib.sh.)
# (Quiet helpers: a redirect after "check" would swallow its ok/not ok line.)
pcap_clean() { tcpdump -nn -r "$1" >/dev/null 2>&1; }
packet_sockets() { nsexec cat /proc/net/packet | tail -n +2 | grep -c . || true; }

# --- 1. the link is not up before the lab starts ---------------------------------
api POST "$CAPS" '{}'
eq "a capture on a link whose lab is stopped answers 409" "$STATUS" 409
eq "its error code is conflict" "$(jqb .error.code)" conflict
api POST "$CAPS" '{"filter":"icmp and"}'
eq "a bad filter answers 422 even while the link is down (checked first)" "$STATUS" 422
fetch "$RECENT" "$LW_TMP/r0.pcap"
eq "recent.pcap of a link that is not up answers 409" "$STATUS" 409
api GET "$CAPS"
eq "the refused requests left no capture" "$(jqb '.captures | length')" 0
eq "no packet socket while nothing runs" "$(packet_sockets)" 0

api POST "/api/v1/labs/$LAB/start"
eq "start answers 202" "$STATUS" 202
check "both nodes become ready" wait_for ready 60 lab_nodes_ready "$LAB"
MAC_A=$(api GET "/api/v1/labs/$LAB/nodes/a"; jqb '.interfaces[0].mac' | tr 'A-F' 'a-f')
MAC_B=$(api GET "/api/v1/labs/$LAB/nodes/b"; jqb '.interfaces[0].mac' | tr 'A-F' 'a-f')
check "each node reports its MAC" test -n "$MAC_A" -a -n "$MAC_B" -a "$MAC_A" != "$MAC_B"
SOCKS_UP=$(packet_sockets)
check "while the lab runs the daemon holds a packet socket (${SOCKS_UP})" test "$SOCKS_UP" -ge 1

# --- 2. a capture of a ping --------------------------------------------------------
# No body at all: every field is optional.
out=$(nsexec curl -s -o "$LW_TMP/body" -w '%{http_code}' -X POST "$LW_URL$CAPS")
BODY=$(cat "$LW_TMP/body")
eq "a capture without a body answers 201" "$out" 201
C1=$(jqb .id)
eq "it is running" "$(jqb .state)" running
eq "on this link" "$(jqb .link)" "$LINK"
eq "with no filter" "$(jqb .filter)" ""
eq "and the full snaplen" "$(jqb .snaplen)" 65535
check "it has a creation time" jqt '.created_at > 1600000000'
api GET "$CAPS"
eq "the list shows it" "$(jqb '[.captures[].id | tostring] | join(",")')" "$C1"
check "a ping of 3 from a to b succeeds" ping_b 3
c1_has_all() { fetch "$CAPS/$C1/pcap" "$LW_TMP/c1.pcap"; [ "$(nrep "$LW_TMP/c1.pcap")" -ge 3 ]; }
wait_for "3 replies in the capture" 5 c1_has_all
eq "GET …/pcap answers 200" "$STATUS" 200
eq "as application/vnd.tcpdump.pcap" "$CTYPE" application/vnd.tcpdump.pcap
check "tcpdump reads the file cleanly" pcap_clean "$LW_TMP/c1.pcap"
eq "the file holds 3 echo requests" "$(nreq "$LW_TMP/c1.pcap")" 3
eq "and 3 echo replies" "$(nrep "$LW_TMP/c1.pcap")" 3
eq "the requests go from a's MAC to b's MAC, 10.9.0.1 > 10.9.0.2" \
	"$(nreq "$LW_TMP/c1.pcap" "^[^ ]+ $MAC_A > $MAC_B, .* 10\.9\.0\.1 > 10\.9\.0\.2: ICMP")" 3
eq "the replies go from b's MAC to a's MAC, 10.9.0.2 > 10.9.0.1" \
	"$(nrep "$LW_TMP/c1.pcap" "^[^ ]+ $MAC_B > $MAC_A, .* 10\.9\.0\.2 > 10\.9\.0\.1: ICMP")" 3
api GET "$CAPS/$C1"
check "the capture reports packets >= 6 ($(jqb .packets))" jqt '.packets >= 6'
check "and bytes > 0, enough for those 6 frames ($(jqb .bytes))" jqt '.bytes >= 6 * 98'
eq "and no drops" "$(jqb '.dropped + .kernel_dropped')" 0

# --- 3. a live follow stream --------------------------------------------------------
nsexec curl -sN "$LW_URL$CAPS/$C1/pcap?follow=1" >"$LW_TMP/follow.pcap" 2>/dev/null &
FOLLOW_PID=$!
# The stream starts with the file so far: the first ping's 3 requests.
follow_has() { [ "$(nreq "$LW_TMP/follow.pcap")" -ge "$1" ]; }
check "the follow stream first delivers the file so far (3 requests)" wait_for sofar 5 follow_has 3
# A longer ping in the background, over its own connection.
nsexec curl -s -o "$LW_TMP/ping6.body" -w '%{http_code}' -X POST \
	-d '{"send":"ping -c 6 -i 0.5 10.9.0.2","expect":"6 packets received","timeout_s":30}' \
	"$LW_URL/api/v1/labs/$LAB/nodes/a/console/exec" >"$LW_TMP/ping6.status" 2>/dev/null &
PING_PID=$!
check "the follow stream receives a new request while the ping runs" wait_for live 10 follow_has 4
n=$(nreq "$LW_TMP/follow.pcap")
check "at that moment the ping has not finished ($((n - 3)) of 6 requests streamed)" \
	test ! -s "$LW_TMP/ping6.status" -a "$n" -lt 9
wait "$PING_PID"
eq "the ping of 6 succeeded" "$(cat "$LW_TMP/ping6.status")" 200
check "after the ping the stream holds all 6 new requests (9 in all)" wait_for all6 5 follow_has 9
check "and still runs" kill -0 "$FOLLOW_PID"
api DELETE "$CAPS/$C1"
eq "DELETE of the capture answers 200" "$STATUS" 200
eq "with the capture stopped" "$(jqb .state)" stopped
P1=$(jqb .packets)
check "its packets count is kept ($P1)" test "$P1" -ge 18
check "the follow stream ends by itself" wait_for followend 5 gone "$FOLLOW_PID"
wait "$FOLLOW_PID"
eq "curl saw a complete stream (exit 0)" "$?" 0
check "the streamed file is a clean pcap" pcap_clean "$LW_TMP/follow.pcap"
eq "it holds 9 requests" "$(nreq "$LW_TMP/follow.pcap")" 9
eq "and 9 replies" "$(nrep "$LW_TMP/follow.pcap")" 9
fetch "$CAPS/$C1/pcap" "$LW_TMP/c1.pcap"
eq "the stopped capture's file still downloads" "$STATUS" 200
check "the stream is byte for byte the capture's file" cmp -s "$LW_TMP/follow.pcap" "$LW_TMP/c1.pcap"
eq "the file has as many records as the capture counted" \
	"$(pcap_recs "$LW_TMP/c1.pcap" | tail -n +2 | wc -l)" "$P1"
check "more pings" ping_b 2
eq "do not change the stopped capture's count" "$(cap_field "$C1" packets)" "$P1"
eq "which stays stopped" "$(cap_field "$C1" state)" stopped
fetch "$CAPS/$C1/pcap?follow=1" "$LW_TMP/c1f.pcap"
eq "following a stopped capture answers 200 at once" "$STATUS" 200
check "with its file as it is" cmp -s "$LW_TMP/c1f.pcap" "$LW_TMP/c1.pcap"
api DELETE "$CAPS/$C1"
eq "deleting it again answers 200" "$STATUS" 200
eq "and changes nothing" "$(jqb .state),$(jqb .packets)" "stopped,$P1"

# --- 4 and 6. filters, snaplen, several captures at once --------------------------
api POST "$CAPS" '{"filter":"icmp and"}'
eq "a bad filter answers 422" "$STATUS" 422
check "with libpcap's words on the syntax ($(jqb .error.message))" \
	jqt '.error.message | test("syntax")'
api POST "$CAPS" '{"snaplen":63}'
eq "snaplen 63 answers 422" "$STATUS" 422
api POST "$CAPS" '{"snaplen":65536}'
eq "snaplen 65536 answers 422" "$STATUS" 422
api POST "$CAPS" '{"filter":"icmp","count":5}'
eq "an unknown field answers 422" "$STATUS" 422
api GET "$CAPS"
eq "the refused requests started nothing" "$(jqb '[.captures[] | select(.state == "running")] | length')" 0

api POST "$CAPS" '{"filter":"not icmp"}'
eq "a capture with filter 'not icmp' answers 201" "$STATUS" 201
C_NOT=$(jqb .id)
eq "and keeps its filter" "$(jqb .filter)" "not icmp"
api POST "$CAPS" '{"filter":"icmp[icmptype] == icmp-echo"}'
eq "a capture of echo requests only answers 201" "$STATUS" 201
C_REQ=$(jqb .id)
api POST "$CAPS" '{"snaplen":64}'
eq "a capture with snaplen 64 answers 201" "$STATUS" 201
C_SNAP=$(jqb .id)
eq "and keeps its snaplen" "$(jqb .snaplen)" 64
api POST "$CAPS" '{"filter":"host 10.9.0.2 and host 10.9.0.1"}'
eq "an unfiltered-by-type capture of the two hosts answers 201" "$STATUS" 201
C_ALL=$(jqb .id)
api GET "$CAPS"
eq "four captures run on the link at once" \
	"$(jqb '[.captures[] | select(.state == "running")] | length')" 4
check "a ping of 3 while they all run" ping_b 3
all_have() { fetch "$CAPS/$C_ALL/pcap" "$LW_TMP/all.pcap"; [ "$(nrep "$LW_TMP/all.pcap")" -ge 3 ]; }
wait_for "the replies in the capture" 5 all_have
fetch "$CAPS/$C_NOT/pcap" "$LW_TMP/not.pcap"
fetch "$CAPS/$C_REQ/pcap" "$LW_TMP/req.pcap"
fetch "$CAPS/$C_SNAP/pcap" "$LW_TMP/snap.pcap"
eq "'not icmp' holds no ICMP echo frame" "$(nicmp "$LW_TMP/not.pcap")" 0
check "yet it is a valid pcap file" pcap_clean "$LW_TMP/not.pcap"
eq "and the capture runs" "$(cap_field "$C_NOT" state)" running
eq "its packets count matches its file" \
	"$(cap_field "$C_NOT" packets)" "$(pcap_recs "$LW_TMP/not.pcap" | tail -n +2 | wc -l)"
eq "the echo-request capture holds the 3 requests" "$(nreq "$LW_TMP/req.pcap")" 3
eq "and no reply" "$(nrep "$LW_TMP/req.pcap")" 0
eq "the two-host capture, at the same time, holds 3 requests" "$(nreq "$LW_TMP/all.pcap")" 3
eq "and 3 replies" "$(nrep "$LW_TMP/all.pcap")" 3
eq "the snaplen-64 capture sees the 3 requests" "$(nreq "$LW_TMP/snap.pcap")" 3
pcap_recs "$LW_TMP/snap.pcap" >"$LW_TMP/snap.recs"
eq "its file header says snaplen 64" "$(head -n 1 "$LW_TMP/snap.recs")" "snaplen 64"
eq "its echo frames (98 bytes on the wire) are cut to 64" \
	"$(awk 'NR > 1 && $2 == 98 { print $1 }' "$LW_TMP/snap.recs" | sort -u | tr '\n' ' ')" "64 "
eq "no record is longer than 64" "$(awk 'NR > 1 && $1 > 64' "$LW_TMP/snap.recs" | wc -l)" 0
api GET "$CAPS/$C_SNAP"
check "its bytes count the frames' length on the wire ($(jqb .bytes))" \
	jqt '.bytes >= 6 * 98'
check "while its file is cut (24 + 80 per record at most, $(stat -c %s "$LW_TMP/snap.pcap") bytes)" \
	test "$(stat -c %s "$LW_TMP/snap.pcap")" -le $((24 + 80 * $(jqb .packets)))

# --- 5. the ring of recent frames -------------------------------------------------
for c in "$C_NOT" "$C_REQ" "$C_SNAP" "$C_ALL"; do
	api DELETE "$CAPS/$c"
	[ "$STATUS" = 200 ] || notok "DELETE capture $c answered $STATUS"
done
api GET "$CAPS"
eq "no capture runs any more" "$(jqb '[.captures[] | select(.state == "running")] | length')" 0
eq "the stopped ones are still listed" "$(jqb '.captures | length')" 5
check "a fresh ping of 2 (payload 321)" ping_b 2 "-s 321"
fetch "$RECENT" "$LW_TMP/recent.pcap"
eq "recent.pcap answers 200" "$STATUS" 200
eq "as application/vnd.tcpdump.pcap" "$CTYPE" application/vnd.tcpdump.pcap
check "tcpdump reads it cleanly" pcap_clean "$LW_TMP/recent.pcap"
eq "it holds the 2 fresh requests, a to b" \
	"$(nreq "$LW_TMP/recent.pcap" "$MAC_A > $MAC_B, .* 10\.9\.0\.1 > 10\.9\.0\.2: ICMP echo request, id [0-9]+, seq [0-9]+, length 329")" 2
tcpdump -nn -e -r "$LW_TMP/recent.pcap" 2>/dev/null | tail -6 | sed "s/^/# recent: /"
eq "and the 2 replies, b to a" \
	"$(nrep "$LW_TMP/recent.pcap" "$MAC_B > $MAC_A, .* 10\.9\.0\.2 > 10\.9\.0\.1: ICMP echo reply, id [0-9]+, seq [0-9]+, length 329")" 2
# 3 + 6 + 2 + 3 + 2 requests since the link came up: far less than 1 MiB.
eq "and every earlier request since the link came up" "$(nreq "$LW_TMP/recent.pcap")" 16

# --- the CLI: labwire capture -w FILE, stopped by a signal ----------------------------
# Not through nsexec: $! must be the CLI itself to send it SIGINT.
ip netns exec "$LW_NS" "$LW_BIN" --url "$LW_URL" capture "$LAB" "$LINK" -f icmp \
	-w "$LW_TMP/cli.pcap" 2>"$LW_TMP/cli.err" &
CLI_PID=$!
sleep 1
check "a ping of 2 while the CLI captures" ping_b 2
sleep 1
kill -TERM "$CLI_PID" # a background job of a script ignores SIGINT
wait "$CLI_PID"
eq "the CLI exits 0 when stopped" "$?" 0
check "its file is a clean pcap" pcap_clean "$LW_TMP/cli.pcap"
eq "holding the 2 requests" "$(nreq "$LW_TMP/cli.pcap")" 2
eq "and the 2 replies" "$(nrep "$LW_TMP/cli.pcap")" 2
check "it reports the capture's counts" grep -qE 'capture [0-9]+: [0-9]+ packets' "$LW_TMP/cli.err"
api GET "$CAPS"
eq "the CLI stopped its capture on the appliance" \
	"$(jqb '[.captures[] | select(.state == "running")] | length')" 0

# --- 7. lab stop --------------------------------------------------------------------
api POST "$CAPS" '{"filter":"icmp"}'
eq "a last capture starts" "$STATUS" 201
C_LAST=$(jqb .id)
nsexec curl -sN "$LW_URL$CAPS/$C_LAST/pcap?follow=1" >"$LW_TMP/follow2.pcap" 2>/dev/null &
FOLLOW2_PID=$!
check "a ping of 2 into it" ping_b 2
last_has() { [ "$(cap_field "$C_LAST" packets)" -ge 4 ]; }
check "it counts the 4 frames" wait_for last4 5 last_has
check "the follow stream of it got them" wait_for f2 5 eval '[ "$(nreq "$LW_TMP/follow2.pcap")" = 2 ]'
api POST "/api/v1/labs/$LAB/stop"
eq "lab stop answers 202" "$STATUS" 202
check "every node stops" wait_for stopped 30 lab_nodes_are "$LAB" stopped
check "the follow stream ends with the link" wait_for followend 5 gone "$FOLLOW2_PID"
wait "$FOLLOW2_PID"
eq "curl saw a complete stream (exit 0)" "$?" 0
api GET "$CAPS"
eq "every capture is stopped" "$(jqb '[.captures[].state] | unique | join(",")')" stopped
api GET "$CAPS/$C_LAST"
eq "the last capture is stopped" "$(jqb .state)" stopped
eq "and keeps its counters (4 packets)" "$(jqb .packets)" 4
check "and bytes ($(jqb .bytes))" jqt '.bytes == 4 * 98'
eq "the first capture keeps its count too" "$(cap_field "$C1" packets)" "$P1"
fetch "$CAPS/$C_LAST/pcap" "$LW_TMP/last.pcap"
eq "the stopped capture's pcap still downloads" "$STATUS" 200
eq "with the 2 requests" "$(nreq "$LW_TMP/last.pcap")" 2
eq "and the 2 replies" "$(nrep "$LW_TMP/last.pcap")" 2
check "the follow stream is byte for byte that file" cmp -s "$LW_TMP/follow2.pcap" "$LW_TMP/last.pcap"
fetch "$RECENT" "$LW_TMP/r1.pcap"
eq "recent.pcap answers 409 once the link is down" "$STATUS" 409
api POST "$CAPS" '{}'
eq "a new capture answers 409 once the link is down" "$STATUS" 409
check "no packet socket of the daemon remains (/proc/net/packet has only its header)" \
	wait_for nosock 5 eval '[ "$(packet_sockets)" = 0 ]'

# --- 8. lab delete -----------------------------------------------------------------
eq "the capture files are under the data dir" \
	"$(ls "$LW_DATA/labs/$LAB/captures" 2>/dev/null | grep -c '\.pcap$')" 7
api DELETE "/api/v1/labs/$LAB"
eq "delete answers 204" "$STATUS" 204
check "the capture files are gone" test ! -e "$LW_DATA/labs/$LAB/captures"
api GET "$CAPS"
eq "the captures of the deleted lab answer 404" "$STATUS" 404

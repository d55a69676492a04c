#!/bin/bash
# A link PATCH answers with what is wired, and moving a link between the
# kernel's fast path and the impairment engine loses no frame:
# - a 1 kpps stream crosses a p2p link between two namespace hosts while a
#   lossless impairment (a delay) is set and cleared 20 times: every frame
#   arrives, and every reply's datapath and impairment are what was asked;
# - a loss impairment answers "engine" at once, all zeros "kernel", and
#   down/up answer "down"/"kernel".
. "$(dirname "$0")/lib.sh"
LWF=$LW_TOOLS/lwframe
[ -x "$LWF" ] || echo "not ok - the lwframe test tool is built ($LWF)"
lw_setup

ROUNDS=20
in_node() {
	local pid
	api GET "/api/v1/labs/$LAB/nodes/$1"
	pid=$(jqb .pid)
	shift
	nsenter --net=/proc/"$pid"/ns/net "$@"
}
# patch BODY: PATCH the link; sets STATUS and BODY.
patch() { api PATCH "/api/v1/labs/$LAB/links/$LINK" "$1"; }
# replied WANT_DP WANT_DELAY: the reply is 200 with that datapath and delay.
replied() { [ "$STATUS $(jqb .datapath) $(jqb '.impairment.delay_ms // 0')" = "200 $1 $2" ]; }

api POST /api/v1/labs '{"name":"sw","nodes":[
 {"name":"a","template":"linux-host"},{"name":"b","template":"linux-host"}],
 "links":[{"endpoints":["a:eth0","b:eth0"]}]}'
eq "lab of two namespace hosts created" "$STATUS" 201
LAB=$(jqb .id)
LINK=$(jqb '.links[0].id')
api POST "/api/v1/labs/$LAB/start"
wait_for "ready" 60 lab_nodes_ready sw
check "both hosts run" lab_nodes_ready sw
api GET "/api/v1/labs/$LAB/nodes/b"
BMAC=$(jqb '.interfaces[0].mac')

# ---- replies describe what is applied ----
patch '{"impairment":{"loss_pct":25}}'
eq "a loss impairment's reply says engine" "$STATUS $(jqb .datapath) $(jqb .impairment.loss_pct)" "200 engine 25"
patch '{"impairment":{"loss_pct":0,"delay_ms":0}}'
eq "all zeros' reply says kernel" "$STATUS $(jqb .datapath)" "200 kernel"
patch '{"state":"down"}'
eq "down's reply says down" "$STATUS $(jqb .state) $(jqb .datapath)" "200 down down"
patch '{"state":"up"}'
eq "up's reply says kernel" "$STATUS $(jqb .state) $(jqb .datapath)" "200 up kernel"

# ---- hitless switching under a 1 kpps stream ----
FRAMES=$((ROUNDS * 2 * 150 + 4000)) # up to 0.15 s per switch (ASan, a loaded host), 4 s more
in_node b "$LWF" count eth0 --idle 3000 --seconds 120 >"$LW_TMP/cnt" 2>"$LW_TMP/cnte" &
CPID=$!
for _ in $(seq 1 50); do grep -qx ready "$LW_TMP/cnte" 2>/dev/null && break; sleep 0.1; done
in_node a "$LWF" blast eth0 --dst "$BMAC" --size 60 --count "$FRAMES" --pps 1000 >"$LW_TMP/sent" &
BPID=$!
sleep 0.5
bad=0
t0=$SECONDS
for i in $(seq 1 $ROUNDS); do
	for want in "engine 20" "kernel 0"; do
		patch "{\"impairment\":{\"delay_ms\":${want#* }}}"
		replied $want && continue
		bad=$((bad + 1))
		[ $bad -le 3 ] && echo "# round $i, asked $want: $STATUS $(jqb -c '[.datapath, .impairment.delay_ms]')"
	done
done
echo "# $ROUNDS set/clear rounds took $((SECONDS - t0)) s"
eq "every one of $((ROUNDS * 2)) replies names the datapath and impairment just asked" "$bad" 0
check "the stream was still running when the last switch was made" kill -0 "$BPID"
wait "$BPID"
wait "$CPID"
read -r _ got _ _ _ _ _ _ _ missing _ _ <"$LW_TMP/cnt"
echo "# sent $FRAMES, received ${got:-none}, missing ${missing:-?}"
eq "no frame lost across $((ROUNDS * 2)) engine<->kernel switches" "${got:-0}" "$FRAMES"
eq "and none missing in sequence" "${missing:-?}" 0
check "no engine TAP is left once the engine has let go" \
	wait_for "engine TAPs gone" 5 sh -c "! ip netns exec $LW_NS ip -o link show | grep -q ': lwe'"

api POST "/api/v1/labs/$LAB/stop"
wait_for "stopped" 30 lab_nodes_are sw stopped
api DELETE "/api/v1/labs/$LAB"

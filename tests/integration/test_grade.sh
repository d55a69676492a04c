#!/usr/bin/env bash
# Grading a practice lab over the nodes' own consoles: two namespace hosts,
# an FRR router and a tiny-linux VM (plus six more hosts on a LAN for the
# 10-node timing), with checks of every kind, passing and failing ones.
# Each check's passed/points/detail, the score, the stored history, the
# event, the CLI's table and exit status (--json too); a stopped node's
# checks fail at once with the reason, a console held by a program that
# prints no prompt fails its node's checks within ~5 s (never a hang), a
# stopped lab and a second grade at once are refused with 409.
. "$(dirname "$0")/lib.sh"

[ -f "$LW_IMAGES/frr-router/initrd.img" ] || { echo "1..0 # SKIP no frr-router guest (make frr-guest)"; exit 0; }
[ -f "$LW_IMAGES/tiny-linux/initrd.img" ] || { echo "1..0 # SKIP no tiny-linux guest (make guest)"; exit 0; }
lw_setup

LAB=/api/v1/labs/g1
# r1's eth0 description ends in "# h1", like a prompt: its config checks must still see all of it.
R1_CFG='hostname r1\n!\ninterface eth0\n description lan # h1\n ip address 10.0.1.1/24\nexit\n!\ninterface eth1\n ip address 10.0.2.1/24\nexit\n!\ninterface eth2\n ip address 10.0.3.1/24\nexit\n!\nip route 10.9.9.0/24 10.0.3.2\n!\nrouter ospf\n ospf router-id 1.1.1.1\n network 10.0.3.0/24 area 0\nexit\n!\nrouter bgp 65001\n neighbor 10.0.3.2 remote-as 65002\nexit\n!\n'
HOSTS=
for i in 3 4 5 6 7 8; do
	HOSTS="$HOSTS,{\"name\":\"h$i\",\"template\":\"linux-host\",\"startup_config\":\"ip addr add 10.0.8.$i/24 dev eth0\\n\"}"
done
# c ID NODE KIND POINTS FIELDS: a check as JSON.
c() { printf '{"id":"%s","description":"%s on %s","node":"%s","kind":"%s","points":%s%s}' "$1" "$3" "$2" "$2" "$3" "$4" "${5:+,$5}"; }
CHECKS=$(
	printf '%s,' \
		"$(c h1-ping-h2 h1 ping 2 '"target":"10.0.2.10"')" \
		"$(c h1-ping-none h1 ping 1 '"target":"10.0.5.5","expect":"failure"')" \
		"$(c h1-ping-bad h1 ping 1 '"target":"10.0.5.5","hint":"is 10.0.5.5 up?"')" \
		"$(c h1-default h1 route 1 '"prefix":"0.0.0.0/0","via":"10.0.1.1"')" \
		"$(c h1-default-wrong h1 route 1 '"prefix":"0.0.0.0/0","via":"10.0.1.99"')" \
		"$(c h2-config h2 config 1 '"match":"10\\.0\\.2\\.10/24"')" \
		"$(c r1-ping-t1 r1 ping 1 '"target":"10.0.3.2"')" \
		"$(c r1-static r1 route 1 '"prefix":"10.9.9.0/24","via":"10.0.3.2"')" \
		"$(c r1-static-wrong r1 route 1 '"prefix":"10.9.9.0/24","via":"10.0.2.10"')" \
		"$(c r1-absent r1 route 1 '"prefix":"10.7.0.0/16"')" \
		"$(c r1-ospf r1 ospf_neighbors 1 '"full":1')" \
		"$(c r1-ospf0 r1 ospf_neighbors 1 '"full":0')" \
		"$(c r1-bgp r1 bgp_established 1 '"peer":"10.0.3.2"')" \
		"$(c r1-bgp-none r1 bgp_established 1 '"peer":"10.0.3.9"')" \
		"$(c r1-config r1 config 1 '"match":"^router ospf"')" \
		"$(c r1-nobgp r1 config 1 '"match":"^router bgp","absent":true')" \
		"$(c t1-uname t1 exec 1 '"command":"uname -s","match":"^Linux$"')" \
		"$(c t1-addr-absent t1 exec 1 '"command":"ip -o addr show","match":"10\\.0\\.3\\.2/24","absent":true')" \
		"$(c t1-route t1 route 1 '"prefix":"10.0.0.0/16","via":"10.0.3.1"')"
)
CHECKS="[${CHECKS%,}]"
# Stage 1: passes in full. Stage 2: 20 checks over the 10 nodes, for the timing. Stage 3: fails fast (a command that outlasts its check's timeout is interrupted and the next check runs).
S2=$(
	printf '%s,' "$(c s2-h1a h1 ping 1 '"target":"10.0.2.10"')" "$(c s2-h1b h1 route 1 '"prefix":"0.0.0.0/0"')" \
		"$(c s2-h2a h2 ping 1 '"target":"10.0.1.10"')" "$(c s2-h2b h2 config 1 '"match":"10\\.0\\.2\\.10"')" \
		"$(c s2-r1a r1 ping 1 '"target":"10.0.3.2"')" "$(c s2-r1b r1 route 1 '"prefix":"10.9.9.0/24"')" \
		"$(c s2-t1a t1 ping 1 '"target":"10.0.3.1"')" "$(c s2-t1b t1 route 1 '"prefix":"10.0.3.0/24"')"
	for i in 3 4 5 6 7 8; do
		printf '%s,' "$(c "s2-h${i}a" "h$i" ping 1 "\"target\":\"10.0.8.$((i == 8 ? 3 : i + 1))\"")" \
			"$(c "s2-h${i}b" "h$i" config 1 "\"match\":\"10\\\\.0\\\\.8\\\\.$i/24\"")"
	done
)
S3="$(c s3-ospf r1 ospf_neighbors 2 '"full":2,"hint":"run OSPF on eth0 and eth1 too"'),$(c s3-sleep h1 exec 1 '"command":"sleep 30","match":"x","timeout_s":2'),$(c s3-echo h1 exec 1 '"command":"echo hi","match":"^hi$"')"
STAGES="[{\"name\":\"one\",\"checks\":[$(c s1-h2 h2 ping 3 '"target":"10.0.1.10"')]},{\"name\":\"timing\",\"checks\":[${S2%,}]},{\"name\":\"three\",\"checks\":[$S3]}]"

api POST /api/v1/labs "{\"name\":\"g1\",\"nodes\":[
 {\"name\":\"h1\",\"template\":\"linux-host\",\"startup_config\":\"ip addr add 10.0.1.10/24 dev eth0\\nip route add default via 10.0.1.1\\n\"},
 {\"name\":\"h2\",\"template\":\"linux-host\",\"startup_config\":\"ip addr add 10.0.2.10/24 dev eth0\\nip route add default via 10.0.2.1\\n\"},
 {\"name\":\"r1\",\"template\":\"frr-router\",\"nics\":3,\"startup_config\":\"$R1_CFG\"},
 {\"name\":\"t1\",\"template\":\"tiny-linux\",\"nics\":1,\"startup_config\":\"ip addr add 10.0.3.2/24 dev eth0\\nip link set eth0 up\\nip route add 10.0.0.0/16 via 10.0.3.1\\n\"}
 $HOSTS],
 \"links\":[{\"endpoints\":[\"h1:eth0\",\"r1:eth0\"]},{\"endpoints\":[\"h2:eth0\",\"r1:eth1\"]},{\"endpoints\":[\"t1:eth0\",\"r1:eth2\"]},
  {\"endpoints\":[\"h3:eth0\",\"h4:eth0\",\"h5:eth0\",\"h6:eth0\",\"h7:eth0\",\"h8:eth0\"]}],
 \"checks\":$CHECKS,\"stages\":$STAGES}"
eq "a practice lab with 19 checks and 3 stages is created" "$STATUS" 201
[ "$STATUS" = 201 ] || { echo "# $BODY"; exit 1; }
LAB_ID=$(jqb .id)

api POST "$LAB/grade"
eq "grading a stopped lab is refused with 409" "$STATUS" 409
check "  saying the lab is not running" jqt '.error.message | test("not running")'

api POST "$LAB/start?wait=ready&timeout=300"
eq "the lab starts and every node is ready" "$STATUS" 200
nsexec curl -sN "$LW_URL/api/v1/events" >"$LW_TMP/events" 2>/dev/null &
EV_PID=$!

# t1 may still be settling its address: the first grade waits for its ping.
t1_pings() { api POST "$LAB/nodes/h1/console/exec" '{"send":"ping -c 1 -W 1 10.0.3.2","expect":"received","timeout_s":10}'; jqt '.output | test("1 packets received|1 received")'; }
check "h1 reaches t1 through r1" wait_for t1 60 t1_pings

# --- a full grade: every kind, passing and failing ----------------------------------------
T0=$(date +%s.%N)
api POST "$LAB/grade"
T1=$(date +%s.%N)
eq "POST /grade answers 200" "$STATUS" 200
echo "# the 43-check grade (stage 0) of 10 nodes took $(awk "BEGIN { printf \"%.1f\", $T1 - $T0 }") s"
G1=$BODY
ck() { printf '%s' "$G1" | jq -r --arg id "$1" ".checks[] | select(.id == \$id) | $2"; }
# result ID PASSED POINTS DETAIL-REGEX
result() {
	local got
	got="$(ck "$1" .passed) $(ck "$1" .points)"
	if [ "$got" = "$2 $3" ] && ck "$1" .detail | grep -qE "$4"; then
		ok "$1: passed=$2 points=$3 ($(ck "$1" .detail))"
	else
		notok "$1: got '$got' '$(ck "$1" .detail)', want '$2 $3' /$4/"
	fi
}
result h1-ping-h2 true 2 '^[1-3] of 3 replies$'
result h1-ping-none true 1 '^0 of 3 replies, as expected$'
result h1-ping-bad false 0 '^0 of 3 replies$'
result h1-default true 1 '^route 0\.0\.0\.0/0 via 10\.0\.1\.1$'
result h1-default-wrong false 0 '^route 0\.0\.0\.0/0 via 10\.0\.1\.99 not in the table; via 10\.0\.1\.1$'
result h2-config true 1 '^matched: .*10\.0\.2\.10/24'
result r1-ping-t1 true 1 '^[1-3] of 3 replies$'
result r1-static true 1 '^route 10\.9\.9\.0/24 via 10\.0\.3\.2 \(static\)$'
result r1-static-wrong false 0 '^route 10\.9\.9\.0/24 via 10\.0\.2\.10 not in the table; via 10\.0\.3\.2$'
result r1-absent false 0 '^no route to 10\.7\.0\.0/16 in the table$'
result r1-ospf false 0 '^0 neighbours Full, expected 1$'
result r1-ospf0 true 1 '^0 neighbours Full \(at least 0 expected\)$'
result r1-bgp false 0 '^BGP session with 10\.0\.3\.2 is (Active|Connect|Idle|OpenSent)'
result r1-bgp-none false 0 '^no BGP neighbour 10\.0\.3\.9'
result r1-config true 1 '^matched: router ospf$'
result r1-nobgp false 0 '^found, must be absent: router bgp 65001$'
result t1-uname true 1 '^matched: Linux$'
result t1-addr-absent false 0 '^found, must be absent: .*10\.0\.3\.2/24'
result t1-route true 1 '^route 10\.0\.0\.0/16 via 10\.0\.3\.1$'
eq "the lab's own checks score 11 of their 20 points" "$(printf '%s' "$G1" | jq -c '[.checks[] | select(.id | startswith("s") | not)] | [(map(.points) | add), (map(.max_points) | add)]')" '[11,20]'
eq "stage 0 grades the lab's checks and every stage's: 35 of 47" "$(printf '%s' "$G1" | jq -c '[.score, .max_score, .passed, .lab, .stage, (.checks | length)]')" "[35,47,false,$LAB_ID,0,43]"
eq "a failed check's hint is given" "$(ck h1-ping-bad .hint)" "is 10.0.5.5 up?"
eq "a passed check gives no hint" "$(ck h1-ping-h2 'has("hint")')" false
check "every check says its description, node, kind and max_points" \
	eval "printf '%s' \"\$G1\" | jq -e '[.checks[] | select(.description and .node and .kind and .max_points)] | length == 43' >/dev/null"
GID=$(printf '%s' "$G1" | jq -r .id)

# --- history, the stored grade, the event ---------------------------------------------------
api GET "$LAB/grades/$GID"
eq "GET /grades/{id} gives the stored grade as POST answered it" "$(jqb -S -c .)" "$(printf '%s' "$G1" | jq -S -c .)"
api GET "$LAB/grades/99999"
eq "an unknown grade is 404" "$STATUS" 404
ev_graded() { grep -q "^data: .*\"action\":\"graded\".*\"id\":$GID," "$LW_TMP/events"; }
check "the event stream carried {kind: grade, action: graded} for it" wait_for ev 5 ev_graded
check "  as an event of type grade" grep -q '^event: grade' "$LW_TMP/events"

# --- stage 1: full marks; the CLI ----------------------------------------------------------
cli() { nsexec "$LW_BIN" --url "$LW_URL" "$@"; }
OUT=$(cli grade g1 --stage 1)
eq "labwire grade --stage 1 (full marks) exits 0" "$?" 0
check "  and prints the check's row and the score" eval 'grep -qE "^s1-h2 +h2 +3/3 +pass +[1-3] of 3 replies" <<<"$OUT" && grep -qx "score 3/3" <<<"$OUT"'
OUT=$(cli grade g1 --stage 3)
eq "labwire grade --stage 3 (1 of 4) exits 1" "$?" 1
check "  with a failed check's row and its hint under it" \
	eval 'grep -A1 -E "^s3-ospf +r1 +0/2 +FAIL +0 neighbours Full, expected 2" <<<"$OUT" | grep -qx "    hint: run OSPF on eth0 and eth1 too"'
check "  a check whose command outlasts its timeout_s (2 s) fails saying so" \
	grep -qE "^s3-sleep +h1 +0/1 +FAIL +no prompt on h1's console within 2 s of the command$" <<<"$OUT"
check "  and the node's next check runs (Ctrl-C gave the prompt back)" grep -qE "^s3-echo +h1 +1/1 +pass +matched: hi$" <<<"$OUT"
check "  and the score line" grep -qx "score 1/4" <<<"$OUT"
OUT=$(cli grade g1 --stage 1 --json)
eq "labwire grade --json exits 0 on full marks" "$?" 0
eq "  and prints the API's object" "$(jq -c '[.score, .max_score, .passed, .stage, (.checks | length)]' <<<"$OUT")" '[3,3,true,1,1]'
OUT=$(cli grade g1 --stage 9 2>&1)
eq "a stage the lab does not have: exit 1" "$?" 1
check "  saying so" grep -q "no stage 9" <<<"$OUT"

api GET "$LAB/grades"
eq "GET /grades lists the 4 grades" "$(jqb '.grades | length')" 4
eq "  newest first, each with stage, score, max_score, passed, by" \
	"$(jqb -c '[.grades[] | [.stage, .score, .max_score, .passed, .by]] | .[0:2]')" '[[1,3,3,true,"admin"],[3,1,4,false,"admin"]]'
check "  with ids descending and a time" eval "jqt '[.grades[].id] == ([.grades[].id] | sort | reverse) and all(.grades[]; .at > 1700000000)'"
api POST "$LAB/grade" '{"stage":"x"}'
eq "a stage that is not a number is refused (422)" "$STATUS" 422
api POST "$LAB/grade?stage=2x"
eq "  also in the query" "$STATUS" 422
api POST "$LAB/grade" '{"stages":1}'
eq "an unknown body field is refused (422)" "$STATUS" 422

# --- two grades at once: one is refused ----------------------------------------------------
bg_grade() { nsexec curl -s -o "$LW_TMP/bg$1.body" -w '%{http_code}' -X POST "$LW_URL$LAB/grade?stage=2" >"$LW_TMP/bg$1.st.tmp" 2>/dev/null; mv "$LW_TMP/bg$1.st.tmp" "$LW_TMP/bg$1.st"; }
bg_grade a &
bg_grade b &
check "both concurrent grades answer" wait_for bg 120 eval 'test -s "$LW_TMP/bga.st" -a -s "$LW_TMP/bgb.st"'
eq "one is graded, the other refused with 409" "$(printf '%s\n%s\n' "$(cat "$LW_TMP/bga.st")" "$(cat "$LW_TMP/bgb.st")" | sort | tr -d '\n')" "200409"
check "  saying a grade of the lab is running" grep -qh "a grade of this lab is running" "$LW_TMP/bga.body" "$LW_TMP/bgb.body"

# --- the 10-node timing: 20 checks ---------------------------------------------------------
T0=$(date +%s.%N)
api POST "$LAB/grade" '{"stage":2}'
T1=$(date +%s.%N)
eq "stage 2 (20 checks over 10 nodes) grades in full" "$(jqb -c '[.score, .max_score]')" '[20,20]'
G2=$BODY
[ "$(jqb .score)" = 20 ] || jqb -c '.checks[] | select(.passed | not) | [.id, .detail]' | sed 's/^/# /'
echo "# a 10-node lab (8 namespace hosts, 1 FRR VM, 1 tiny-linux VM) with 20 checks graded in $(awk "BEGIN { printf \"%.1f\", $T1 - $T0 }") s"

# --- who may grade: write access; read access sees the grades; others see no lab ------------
api POST /api/v1/users '{"name":"bob","password":"bob-pw-12345"}'
TB=$(login bob bob-pw-12345)
api_as "$TB" POST "$LAB/grade"
eq "bob, who cannot see g1: POST /grade is 404" "$STATUS" 404
api_as "$TB" GET "$LAB/grades"
eq "  and GET /grades is 404" "$STATUS" 404
api PATCH "$LAB" '{"shared_with":[{"user":"bob","access":"read"}]}'
api_as "$TB" GET "$LAB/grades"
eq "bob with read access: GET /grades is 200 (6 grades)" "$(jqb '.grades | length')" 6
api_as "$TB" GET "$LAB/grades/$GID"
eq "  and GET /grades/{id} too" "$(jqb .id)" "$GID"
api_as "$TB" POST "$LAB/grade"
eq "  but POST /grade (it types on consoles) is 403" "$STATUS" 403

# --- a line the learner left half typed is erased, not run ----------------------------------
printf 'echo HALF-TYPED-""RAN' >"$LW_TMP/half"
nsexec /usr/bin/python3 "$LW_ROOT/tests/integration/wsclient.py" paste "ws://127.0.0.1:$LW_PORT$LAB/nodes/h2/console" \
	"$LW_TMP/half" --expect 'HALF-TYPED-""RAN' --timeout 10 >/dev/null
eq "a half-typed line sits on h2's console" "$?" 0
api POST "$LAB/grade" '{"stage":1}'
eq "grading stage 1 then gives full marks" "$(jqb -c '[.score, .max_score]')" '[3,3]'
# Its echo shows the quotes; only its output (after bash's escapes) reads HALF-TYPED-RAN.
half_ran() { nsexec curl -s "$LW_URL$LAB/nodes/h2/console.log" | grep -q 'HALF-TYPED-RAN'; }
check "  and the half-typed line was erased (^U), not run" eval '! half_ran'

# --- a console with no prompt: its node's checks fail within ~5 s --------------------------
api POST "$LAB/nodes/h2/console/exec" '{"send":"cat","expect":"cat","timeout_s":5}'
eq "h2's console now sits in cat (no prompt)" "$STATUS" 200
T0=$SECONDS
api POST "$LAB/grade" '{"stage":1}'
eq "grading stage 1 still answers 200" "$STATUS" 200
eq "  h2's check fails: no prompt on its console within 5 s" "$(jqb -c '.checks[0] | [.passed, .detail]')" "[false,\"no prompt on h2's console within 5 s\"]"
check "  within 15 s (it took $((SECONDS - T0)) s)" test $((SECONDS - T0)) -le 15
api POST "$LAB/nodes/h2/console/exec" '{"send":"\u0003","expect":"# .{0,4}$","timeout_s":5}'
eq "Ctrl-C gives h2's prompt back" "$STATUS" 200

# --- a stopped node: its checks fail at once with the reason -------------------------------
api POST "$LAB/nodes/t1/stop"
check "t1 stops" wait_for t1-stop 60 eval 'api GET "$LAB/nodes/t1"; [ "$(jqb .state)" = stopped ]'
api POST "$LAB/grade" '{"stage":2}'
eq "with t1 stopped the lab still grades" "$STATUS" 200
eq "  t1's checks fail: node t1 is stopped" \
	"$(jqb -c '[.checks[] | select(.node == "t1") | [.passed, .detail]] | unique')" '[[false,"node t1 is stopped"]]'
# r1's ping of t1 fails now; every other check of another node is graded as before.
eq "  and the other nodes' checks are graded as before" \
	"$(jqb -c '[.checks[] | select(.node != "t1") | select(.passed) | .id]')" \
	"$(printf '%s' "$G2" | jq -c '[.checks[] | select(.node != "t1") | select(.passed) | .id | select(. != "s2-r1a")]')"

api POST "$LAB/stop"
check "the lab stops" wait_for stopped 60 lab_nodes_are g1 stopped
api POST "$LAB/grade"
eq "grading the stopped lab: 409" "$STATUS" 409
api PUT "$LAB/checks" '{"checks":[]}'
api PUT "$LAB/stages" '{"stages":[]}'
api POST "$LAB/grade"
eq "a lab with no checks: 422" "$STATUS" 422
kill "$EV_PID" 2>/dev/null
api DELETE "$LAB"
eq "the lab is deleted" "$STATUS" 204
check "no QEMU process remains" wait_for noqemu 10 eval 'test "$(qemu_count)" = 0'

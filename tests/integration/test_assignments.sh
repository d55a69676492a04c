#!/bin/bash
# Classroom assignments, on namespace hosts: an instructor (leader of a
# class) hands a practice lab (guide, checks, stages) to the class; each
# member makes their own copy (nodes, links, guide, checks, stages; owned
# by the member, counted against their quota), once (a second ask gives the
# same copy); members cannot see each other's copies (404, not in lists);
# the instructor's table lists every member with their copy's state and
# last grade (0 of 3, then full marks once the member solved it), and the
# instructor's console WebSocket on a member's node only watches (typing
# reaches nothing); who may not assign (a plain user,
# a member, an instructor who does not lead the class: 403) or see (404);
# bad input (unknown group or lab, bad name) is refused and makes nothing;
# deleting the assignment keeps the copies, deleting a copy shows it as
# none, deleting the source lab keeps the table; the CLI.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3 # a pyenv python on PATH would lack python3-websockets
WSC="$LW_ROOT/tests/integration/wsclient.py"
lw_setup

ws() { nsexec "$PY" "$WSC" "$@"; }
cli_as() { # cli_as TOKEN ARGS...: the labwire CLI as that user
	local tok=$1
	shift
	LABWIRE_TOKEN=$tok nsexec "$LW_BIN" --url "$LW_URL" "$@"
}
count_assignments() { api GET /api/v1/assignments; jqb '.assignments | length'; }
count_labs() { api GET /api/v1/labs; jqb '.labs | length'; }

# ---- a class: instructor ivan leads amy and ben; olga instructs another class; pat is nobody's ----
for u in ivan:instructor olga:instructor amy:user ben:user pat:user; do
	api POST /api/v1/users "{\"name\":\"${u%%:*}\",\"password\":\"${u%%:*}-pw-12345\",\"role\":\"${u#*:}\"}"
	eq "admin creates ${u%%:*} (${u#*:})" "$STATUS" 201
done
api POST /api/v1/groups '{"name":"cls","leaders":["ivan"],"members":["amy","ben"]}'
eq "admin creates class cls (leader ivan; amy, ben)" "$STATUS" 201
api POST /api/v1/groups '{"name":"other","leaders":["olga"],"members":["pat"]}'
eq "and class other (leader olga; pat)" "$STATUS" 201
TI=$(login ivan ivan-pw-12345) TO=$(login olga olga-pw-12345)
TA=$(login amy amy-pw-12345) TB=$(login ben ben-pw-12345) TP=$(login pat pat-pw-12345)
check "everyone logs in" test -n "$TI" -a -n "$TO" -a -n "$TA" -a -n "$TB" -a -n "$TP"

# ---- ivan's practice lab: two hosts, a link with a delay, guide, checks, one stage -------------
SRC_BODY='{"name":"src","description":"two hosts",
 "nodes":[{"name":"h1","template":"linux-host","nics":2,"x":10,"y":20,"startup_config":"ip link set eth0 up\n"},
          {"name":"h2","template":"linux-host","nics":1,"x":300,"y":40,"startup_config":"ip addr add 10.7.0.2/24 dev eth0\nip link set eth0 up\n"}],
 "links":[{"endpoints":["h1:eth0","h2:eth0"],"impairment":{"delay_ms":5}}],
 "guide":"# Two hosts\nGive **h1** 10.7.0.1/24.",
 "checks":[{"id":"ping-h2","description":"h1 reaches h2","kind":"ping","node":"h1","target":"10.7.0.2","points":2,"hint":"an address on eth0"}],
 "stages":[{"name":"addressed","checks":[{"id":"addr","description":"h1 has its address","kind":"exec","node":"h1","command":"ip -o addr show eth0","match":"10\\.7\\.0\\.1/24"}],
            "configs":{"h1":"ip addr add 10.7.0.1/24 dev eth0\nip link set eth0 up\n"}}]}'
api_as "$TI" POST /api/v1/labs "$SRC_BODY"
eq "ivan creates lab src with a guide, checks and a stage" "$STATUS" 201
SRC=$(jqb .id)
# The parts a copy must carry, as GET shows them (not ids, owner, console ports or state).
shape='{guide, checks, stages, description, nodes: [.nodes[] | {name, template, arch, cpus, ram_mb, nics, startup_config, x, y, interfaces: [.interfaces[].name]}], links: [.links[] | {kind, state, impairment, endpoints}]}'
api_as "$TI" GET "/api/v1/labs/$SRC"
SRC_SHAPE=$(jqb -cS "$shape")
check "  GET src has them" jqt '(.checks | length) == 1 and (.stages | length) == 1 and (.guide | length) > 0'

# ---- who may assign ---------------------------------------------------------------------------
api_as "$TI" POST /api/v1/assignments '{"lab":"src","group":"cls","name":"hw1"}'
eq "ivan assigns src to cls as hw1: 201" "$STATUS" 201
AID=$(jqb .id)
eq "  the assignment says what it is" "$(jqb -c '[.name, .lab, .lab_id, .group, .instructor]')" \
	"[\"hw1\",\"src\",$SRC,\"cls\",\"ivan\"]"
check "  and when it was made" jqt '.created_at > 1700000000'
N0=$(count_assignments)
eq "the admin sees one assignment" "$N0" 1
LABS0=$(count_labs)
refuse() { # refuse DESC TOKEN STATUS BODY: POST /assignments is refused with STATUS, nothing made
	api_as "$2" POST /api/v1/assignments "$4"
	eq "$1: $3" "$STATUS" "$3"
	[ "$STATUS" = "$3" ] || echo "# $BODY"
	eq "  no assignment was made" "$(count_assignments)" "$N0"
}
refuse "amy (a member) cannot assign" "$TA" 403 '{"lab":"src","group":"cls"}'
refuse "pat (a plain user, no member) cannot assign" "$TP" 403 '{"lab":"src","group":"cls"}'
refuse "olga (an instructor who does not lead cls) cannot assign to cls" "$TO" 403 '{"lab":"src","group":"cls"}'
refuse "ivan: an unknown group" "$TI" 403 '{"lab":"src","group":"nope"}'
refuse "the admin: an unknown group" "$LW_TOKEN" 404 '{"lab":"src","group":"nope"}'
refuse "ivan: an unknown lab" "$TI" 404 '{"lab":"nolab","group":"cls"}'
refuse "ivan: a bad name" "$TI" 422 '{"lab":"src","group":"cls","name":"../x"}'
refuse "ivan: a name too long" "$TI" 422 "{\"lab\":\"src\",\"group\":\"cls\",\"name\":\"$(printf 'n%.0s' {1..64})\"}"
refuse "ivan: an unknown field" "$TI" 422 '{"lab":"src","group":"cls","owner":"amy"}'
refuse "ivan: no group" "$TI" 422 '{"lab":"src"}'
refuse "ivan: the same name again in cls" "$TI" 409 '{"lab":"src","group":"cls","name":"hw1"}'
api POST /api/v1/labs '{"name":"adminlab","nodes":[{"name":"x","template":"linux-host"}]}'
LABS0=$((LABS0 + 1))
refuse "ivan: a lab he cannot read (the admin's)" "$TI" 404 '{"lab":"adminlab","group":"cls"}'
eq "no lab was made by any refusal" "$(count_labs)" "$LABS0"

# ---- who sees it --------------------------------------------------------------------------------
api_as "$TA" GET /api/v1/assignments
eq "amy lists hw1 as a member, with no copy yet" "$(jqb -c '[.assignments[] | {name, role, instance}]')" \
	'[{"name":"hw1","role":"member","instance":null}]'
api_as "$TP" GET /api/v1/assignments
eq "pat lists none" "$(jqb -c '.assignments')" '[]'
for t in pat:$TP olga:$TO; do
	api_as "${t#*:}" GET "/api/v1/assignments/$AID"
	eq "${t%%:*}: GET hw1 answers 404" "$STATUS" 404
	api_as "${t#*:}" POST "/api/v1/assignments/$AID/instance"
	eq "${t%%:*}: a copy of hw1 answers 404" "$STATUS" 404
	api_as "${t#*:}" DELETE "/api/v1/assignments/$AID"
	eq "${t%%:*}: DELETE hw1 answers 404" "$STATUS" 404
done
api_as "$TI" POST "/api/v1/assignments/$AID/instance"
eq "ivan (the leader) makes no copy: 403" "$STATUS" 403
api_as "$TI" GET "/api/v1/assignments/$AID"
eq "ivan's table: amy and ben, no copies, no grades" \
	"$(jqb -c '[.role, [.members[] | [.user, .instance, .last_grade]]]')" \
	'["instructor",[["amy",null,null],["ben",null,null]]]'

# ---- each member's copy ---------------------------------------------------------------------
api_as "$TA" POST "/api/v1/assignments/$AID/instance"
eq "amy makes her copy: 201" "$STATUS" 201
A_LAB=$(jqb .id)
eq "  named hw1-amy, owned by amy" "$(jqb -c '[.name, .owner, .access]')" '["hw1-amy","amy","own"]'
# A member sees the stages' configs (the solutions) as node names only.
SRC_SHAPE_MEMBER=$(printf '%s' "$SRC_SHAPE" | jq -cS '.stages |= map(.configs |= map_values(null) | .configs_hidden = true)')
eq "  the same nodes, links, guide, checks and stages as src (configs hidden)" "$(jqb -cS "$shape")" "$SRC_SHAPE_MEMBER"
check "  with console tokens of its own (amy may type)" jqt '[.nodes[].console.token | length > 0] | all'
api_as "$TA" POST "/api/v1/assignments/$AID/instance"
eq "asked again: 200 with the same copy" "$STATUS $(jqb .id)" "200 $A_LAB"
api_as "$TB" POST "/api/v1/assignments/$AID/instance"
eq "ben makes his: 201 hw1-ben" "$STATUS $(jqb .name)" "201 hw1-ben"
B_LAB=$(jqb .id)
eq "  owned by ben, the same shape" "$(jqb .owner) $(jqb -cS "$shape" | cmp -s - <(echo "$SRC_SHAPE_MEMBER") && echo same)" "ben same"
eq "two copies, no more labs" "$(count_labs)" $((LABS0 + 2))

# ---- the solutions stay server-side: a member reads stage configs as node names only ---------
api_as "$TA" GET "/api/v1/labs/$A_LAB"
eq "amy's GET of her copy: stage 1's configs are node names, no text" \
	"$(jqb -c '.stages[0] | [.configs, .configs_hidden]')" '[{"h1":null},true]'
api_as "$TA" GET "/api/v1/labs/$A_LAB/stages"
eq "  GET .../stages the same" "$(jqb -c '.stages[0] | [.configs, .configs_hidden]')" '[{"h1":null},true]'
STAGES_SEEN=$BODY
api_as "$TI" GET "/api/v1/labs/$A_LAB"
eq "ivan (the instructor) reads amy's copy with the configs" "$(jqb -c '.stages[0] | [.configs.h1, .configs_hidden]')" \
	'["ip addr add 10.7.0.1/24 dev eth0\nip link set eth0 up\n",null]'
api GET "/api/v1/labs/$A_LAB"
eq "  the admin too (owner-level access, like amy)" "$(jqb -r '.stages[0].configs.h1 | test("10.7.0.1/24")')" true
api_as "$TA" GET "/api/v1/labs/$A_LAB"
eq "amy again (a cached text is per viewer): still hidden" "$(jqb -c '.stages[0].configs')" '{"h1":null}'
api_as "$TA" PUT "/api/v1/labs/$A_LAB/stages" "$STAGES_SEEN"
eq "amy PUTs the stages as she saw them: 422, nothing lost" "$STATUS" 422
api_as "$TI" GET "/api/v1/labs/$A_LAB/stages"
eq "  ivan still reads stage 1's config" "$(jqb -r '.stages[0].configs.h1 | test("10.7.0.1/24")')" true
api_as "$TB" POST "/api/v1/labs/$B_LAB/stages/1/restore"
eq "ben restores stage 1 on his stopped copy: 202 (the hidden config is used)" "$STATUS $(jqb -c '[.nodes[] | .action] | unique')" '202 ["updated"]'
api_as "$TB" GET "/api/v1/labs/$B_LAB/nodes/h1"
check "  his h1's startup config is stage 1's" jqt '.startup_config | test("10.7.0.1/24")'
api_as "$TB" POST "/api/v1/labs/$B_LAB/stages/0/restore"
eq "  and back to the start: 202" "$STATUS" 202

api_as "$TA" GET "/api/v1/labs/$B_LAB"
eq "amy: ben's copy answers 404" "$STATUS" 404
api_as "$TA" GET /api/v1/labs
eq "amy's lab list: her copy only" "$(jqb -c '[.labs[].name]')" '["hw1-amy"]'
api_as "$TA" POST "/api/v1/labs/$B_LAB/start"
eq "amy: starting ben's copy answers 404" "$STATUS" 404
api_as "$TA" GET "/api/v1/assignments/$AID"
eq "amy's view of hw1: her own row only" "$(jqb -c '[.role, [.members[] | [.user, .instance.name]]]')" \
	'["member",[["amy","hw1-amy"]]]'
api_as "$TA" GET /api/v1/assignments
eq "amy's list shows her copy" "$(jqb -c '[.assignments[].instance.name]')" '["hw1-amy"]'
api_as "$TA" DELETE "/api/v1/assignments/$AID"
eq "amy (a member) cannot delete hw1: 403" "$STATUS" 403
api_as "$TI" GET /api/v1/labs
eq "ivan lists src and both copies" "$(jqb -c '[.labs[].name] | sort')" '["hw1-amy","hw1-ben","src"]'

# ---- the copy counts against the member's quota ---------------------------------------------
api PATCH /api/v1/users/ben '{"quota":{"running_nodes":1}}'
eq "admin gives ben a quota of 1 running node" "$STATUS" 200
api_as "$TB" POST "/api/v1/labs/$B_LAB/start"
eq "ben's 2-node copy does not start: 429" "$STATUS" 429
check "  the quota names ben" jqt '.error.message | test("quota: ben may run 1 nodes")'

# ---- the instructor's table and read-only console --------------------------------------------
api_as "$TA" POST "/api/v1/labs/$A_LAB/start"
eq "amy starts her copy: 202" "$STATUS" 202
table_state() { api_as "$TI" GET "/api/v1/assignments/$AID"; jqb -c '[.members[] | [.user, .instance.state]]'; }
check "ivan's table: amy's copy running, ben's stopped" wait_for table 30 \
	eval 'test "$(table_state)" = "[[\"amy\",\"running\"],[\"ben\",\"stopped\"]]"'
h1_ready() { api_as "$TA" GET "/api/v1/labs/$A_LAB/nodes/h1"; jqt '.ready == true'; }
check "amy's h1 is ready" wait_for ready 30 h1_ready
api_as "$TI" GET "/api/v1/labs/$A_LAB"
eq "ivan reads amy's copy (read access, no console tokens)" \
	"$(jqb -c '[.access, ([.nodes[].console | has("token")] | any)]')" '["read",false]'
api_as "$TI" POST "/api/v1/labs/$A_LAB/nodes/h1/console/exec" '{"send":"echo x","expect":"x","timeout_s":2}'
eq "ivan: console exec on amy's h1 answers 403" "$STATUS" 403
api_as "$TI" POST "/api/v1/labs/$A_LAB/stop"
eq "ivan: stopping amy's copy answers 403" "$STATUS" 403
WS="ws://127.0.0.1:$LW_PORT/api/v1/labs/$A_LAB/nodes/h1/console"
LW_TOKEN=$TI ws chat "$WS" --send 'echo ro$((3*5))x' --expect 'ro15x$' --timeout 4 >"$LW_TMP/ro.out" 2>&1
check "ivan types on amy's h1 over the WebSocket: no answer" test $? -ne 0
LW_TOKEN=$TA ws chat "$WS" --send 'echo rw$((2*8))x' --expect 'rw16x$' --timeout 10 >"$LW_TMP/rw.out" 2>&1
eq "  while amy typing the same way gets her answer" "$?" 0
LW_TOKEN=$TI ws chat "$WS" --expect 'wa42tch$' --timeout 20 >"$LW_TMP/watch.out" 2>&1 &
WPID=$!
sleep 2
api_as "$TA" POST "/api/v1/labs/$A_LAB/nodes/h1/console/exec" '{"send":"echo wa$((6*7))tch","expect":"wa42tch$","timeout_s":10}'
eq "amy types on her h1" "$STATUS" 200
[ "$STATUS" = 200 ] || echo "# $BODY"
wait "$WPID"
eq "ivan's WebSocket shows what amy typed (he watches)" "$?" 0
api_as "$TA" POST "/api/v1/labs/$A_LAB/nodes/h1/console/exec" '{"send":"echo af$((3+3))ter","expect":"af6ter$","timeout_s":10}'
check "ivan's line never reached amy's h1" jqt '.output | test("ro15x") | not'
api_as "$TA" GET "/api/v1/labs/$A_LAB/nodes/h1/console.log"
check "  nor her console log" test "$(grep -c 'ro15x' <<<"$BODY")" = 0

# ---- the last grade --------------------------------------------------------------------------
api_as "$TA" POST "/api/v1/labs/$A_LAB/grade"
eq "amy grades her unsolved copy: 200, 0 of 3" "$STATUS $(jqb -c '[.score, .max_score, .passed]')" "200 [0,3,false]"
api_as "$TI" GET "/api/v1/assignments/$AID"
eq "ivan's table shows it" "$(jqb -c '.members[] | select(.user == "amy") | .last_grade | [.score, .max_score, .passed]')" \
	"[0,3,false]"
api_as "$TA" POST "/api/v1/labs/$A_LAB/nodes/h1/console/exec" '{"send":"ip addr add 10.7.0.1/24 dev eth0; echo do$((2+3))ne","expect":"do5ne$","timeout_s":10}'
eq "amy gives h1 its address" "$STATUS" 200
api_as "$TA" POST "/api/v1/labs/$A_LAB/grade"
eq "amy grades again: 3 of 3, passed" "$STATUS $(jqb -c '[.score, .max_score, .passed]')" "200 [3,3,true]"
[ "$(jqb .passed)" = true ] || echo "# $(jqb -c '[.checks[] | {id, passed, detail}]')"
api_as "$TI" GET "/api/v1/assignments/$AID"
eq "ivan's table shows amy's last grade: 3 of 3, passed" \
	"$(jqb -c '.members[] | select(.user == "amy") | .last_grade | [.score, .max_score, .passed, .stage]')" "[3,3,true,0]"
check "  and when" jqt '.members[] | select(.user == "amy") | .last_grade.at > 1700000000'
check "  ben has none" jqt '.members[] | select(.user == "ben") | .last_grade == null'
api_as "$TI" POST "/api/v1/labs/$A_LAB/grade"
eq "ivan cannot grade amy's copy himself (it types on her consoles): 403" "$STATUS" 403

# ---- the CLI -----------------------------------------------------------------------------------
out=$(cli_as "$TI" assignment show "$AID" 2>&1)
check "labwire assignment show: the table (ivan)" grep -qE '^amy +hw1-amy +running +3/3 passed 20[0-9-]+ [0-9:]+Z$' <<<"$out"
check "  with ben's copy stopped" grep -qE '^ben +hw1-ben +stopped +-' <<<"$out"
out=$(cli_as "$TI" assignment create src cls --name hw-cli 2>&1)
check "labwire assignment create LAB GROUP --name N" grep -q 'assignment hw-cli (id' <<<"$out"
CLI_AID=$(sed -n 's/.*(id \([0-9]*\)).*/\1/p' <<<"$out")
out=$(cli_as "$TA" assignment create src cls 2>&1)
rc=$?
check "  amy (a member) cannot: exit 1, HTTP 403" eval '[ $rc = 1 ] && grep -q "HTTP 403" <<<"$out"'
out=$(cli_as "$TA" assignment list 2>&1)
check "labwire assignment list (amy): hw1 with her copy, hw-cli" \
	eval 'grep -qE "^$AID +hw1 +src +cls +member +hw1-amy" <<<"$out" && grep -qE "^$CLI_AID +hw-cli .* member +-" <<<"$out"'
api_as "$TI" POST /api/v1/labs/src/stages/1/restore
eq "ivan restores stage 1 on src (its h1 now starts addressed)" "$STATUS" 202
out=$(cli_as "$TA" assignment start "$CLI_AID" --wait --timeout 30 2>&1)
check "labwire assignment start ID --wait: amy's copy made and running" \
	eval 'grep -q "made your copy: lab hw-cli-amy" <<<"$out" && grep -q "h1: running" <<<"$out"'
api_as "$TA" GET /api/v1/labs/hw-cli-amy
eq "  hw-cli-amy runs" "$(jqb .state)" running
check "  its h1 starts as the lab's start, not the stage src was left in" \
	jqt '.nodes[] | select(.name == "h1") | .startup_config == "ip link set eth0 up\n"'
out=$(cli_as "$TA" assignment start "$CLI_AID" 2>&1)
check "  a second start finds the same copy" grep -q "your copy: lab hw-cli-amy" <<<"$out"
api_as "$TA" POST /api/v1/labs/hw-cli-amy/stop

# ---- a lab its instructor can no longer read is not handed out --------------------------------
api_as "$TP" POST /api/v1/labs '{"name":"pats","nodes":[{"name":"p1","template":"linux-host"}],"guide":"pat only"}'
api_as "$TP" PATCH /api/v1/labs/pats '{"shared_with":[{"user":"ivan","access":"read"}]}'
eq "pat shares her lab pats with ivan (read)" "$STATUS" 200
api_as "$TI" POST /api/v1/assignments '{"lab":"pats","group":"cls","name":"hw-pats"}'
eq "  ivan assigns it to cls: 201" "$STATUS" 201
PAID=$(jqb .id)
api_as "$TP" PATCH /api/v1/labs/pats '{"shared_with":[]}'
eq "  pat takes the share back" "$STATUS" 200
api_as "$TA" POST "/api/v1/assignments/$PAID/instance"
eq "  amy gets no copy of pats now: 409" "$STATUS $(jqb -r '.error.message | test("no longer readable")')" "409 true"
api_as "$TA" GET /api/v1/labs
eq "  and no lab was made for her" "$(jqb -c '[.labs[].name | select(startswith("hw-pats"))]')" '[]'
api_as "$TI" DELETE "/api/v1/assignments/$PAID"
api_as "$TP" DELETE /api/v1/labs/pats

api_as "$TB" DELETE "/api/v1/labs/$B_LAB"
eq "ben deletes his copy: 204" "$STATUS" 204
api_as "$TI" GET "/api/v1/assignments/$AID"
eq "ivan's table: ben has no copy now" "$(jqb -c '.members[] | select(.user == "ben") | .instance')" null
out=$(cli_as "$TI" assignment delete "$AID" 2>&1)
check "labwire assignment delete ID (ivan)" grep -q "deleted assignment $AID" <<<"$out"
api_as "$TI" GET "/api/v1/assignments/$AID"
eq "hw1 is gone: 404" "$STATUS" 404
api_as "$TA" GET "/api/v1/labs/$A_LAB"
eq "amy's copy stays hers" "$STATUS $(jqb .owner)" "200 amy"
eq "  its stage configs still hidden from her (the assignment is gone)" "$(jqb -c '.stages[0].configs')" '{"h1":null}'
api_as "$TI" GET "/api/v1/labs/$A_LAB/stages"
eq "  ivan (leading cls) still reads them" "$(jqb -r '.stages[0].configs.h1 | test("10.7.0.1/24")')" true
api_as "$TA" GET /api/v1/assignments
eq "amy's list: hw-cli only" "$(jqb -c '[.assignments[].name]')" '["hw-cli"]'
api_as "$TI" DELETE /api/v1/labs/src
eq "ivan deletes the source lab: 204" "$STATUS" 204
api_as "$TI" GET "/api/v1/assignments/$CLI_AID"
eq "hw-cli stays, its lab null, amy's copy listed" "$(jqb -c '[.lab, .lab_id, [.members[].instance.name]]')" \
	'[null,null,["hw-cli-amy",null]]'
api_as "$TB" POST "/api/v1/assignments/$CLI_AID/instance"
eq "ben: no new copy of a deleted lab (409)" "$STATUS" 409
api DELETE /api/v1/groups/cls
eq "admin deletes class cls" "$STATUS" 204
api GET "/api/v1/assignments/$CLI_AID"
eq "its assignments go with it (404)" "$STATUS" 404
api_as "$TA" GET /api/v1/labs/hw-cli-amy
eq "amy's copies stay hers" "$STATUS $(jqb .owner)" "200 amy"

lw_stop_daemon
[ "$LW_FAILS" -eq 0 ]

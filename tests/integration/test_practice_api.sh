#!/usr/bin/env bash
# Practice labs' model: guide, checks and stages are validated against the
# lab's nodes (every kind accepted; each bad definition refused with 422 or
# 413 and nothing changed, POST /labs with bad checks makes no lab), a node
# that checks name cannot be deleted (renamed, the checks follow it), a
# read-only user reads but cannot change or restore, and restoring a stage
# on a running lab (an FRR router, a namespace host and a tiny-linux VM)
# boots every node with the stage's config: show running-config / ip addr on
# their consoles hold it, stage 0 brings back the start, stage 99 is 404.
. "$(dirname "$0")/lib.sh"

[ -f "$LW_IMAGES/frr-router/initrd.img" ] || { echo "1..0 # SKIP no frr-router guest (make frr-guest)"; exit 0; }
lw_setup
L=/api/v1/labs/prac

# The lab: r1 (frr) -- h1 (namespace host); t1 (tiny-linux) -- r1.
START_R1='hostname r1\n!\n'
api POST /api/v1/labs "{\"name\":\"prac\",\"nodes\":[
 {\"name\":\"r1\",\"template\":\"frr-router\",\"nics\":2,\"startup_config\":\"$START_R1\"},
 {\"name\":\"h1\",\"template\":\"linux-host\",\"nics\":1,\"startup_config\":\"\"},
 {\"name\":\"t1\",\"template\":\"tiny-linux\",\"nics\":1,\"startup_config\":\"\"}],
 \"links\":[{\"endpoints\":[\"r1:eth0\",\"h1:eth0\"]},{\"endpoints\":[\"r1:eth1\",\"t1:eth0\"]}],
 \"guide\":\"# Practice\\nConfigure **r1**.\"}"
eq "a lab with a guide is created" "$STATUS" 201
eq "  its guide is returned" "$(jqb .guide)" "$(printf '# Practice\nConfigure **r1**.')"
eq "  with no checks or stages yet" "$(jqb -c '[.checks, .stages]')" '[[],[]]'

# Every kind, each on a node whose family runs it.
GOOD='{"checks":[
 {"id":"ping-h1","description":"r1 reaches h1","kind":"ping","node":"r1","target":"10.5.0.2"},
 {"id":"no-ping","description":"h1 does not reach 10.9.9.9","kind":"ping","node":"h1","target":"10.9.9.9","expect":"failure","points":2,"hint":"no route","timeout_s":5},
 {"id":"uname","description":"t1 runs Linux","kind":"exec","node":"t1","command":"uname -s","match":"^Linux$"},
 {"id":"no-bad","description":"no shutdown","kind":"config","node":"r1","match":"^ shutdown","absent":true},
 {"id":"rt","description":"r1 has a static route","kind":"route","node":"r1","prefix":"10.99.0.0/16","via":"10.5.0.2"},
 {"id":"dflt","description":"h1 has a default route","kind":"route","node":"h1","prefix":"0.0.0.0/0"},
 {"id":"ospf","description":"r1 has 0 neighbours","kind":"ospf_neighbors","node":"r1","full":0},
 {"id":"bgp","description":"a BGP session","kind":"bgp_established","node":"r1","peer":"2001:db8::1","points":0}]}'
api PUT $L/checks "$GOOD"
eq "PUT checks with every kind: 200" "$STATUS" 200
eq "  all 8 are kept" "$(jqb '.checks | length')" 8
api GET $L/checks
WANT=$(printf '%s' "$GOOD" | jq -cS .)
eq "GET checks gives them back as given" "$(jqb -cS .)" "$WANT"
api GET $L
eq "GET the lab carries them" "$(jqb '.checks | length')" 8
api GET /api/v1/labs
eq "the lab list does not" "$(jqb -c '.labs[0] | [has("guide"), has("checks"), has("stages")]')" '[false,false,false]'

# bad KIND: a definition that must be refused (STATUS), checks unchanged.
refused() {
	local desc=$1 want=$2 body=$3 path=${4:-checks}
	api PUT "$L/$path" "$body"
	eq "$desc: $want" "$STATUS" "$want"
	[ "$STATUS" = "$want" ] || echo "# $(jqb -c .)"
	MSG=$(jqb .error.message 2>/dev/null)
	api GET $L/checks
	eq "  the checks are unchanged" "$(jqb -cS .)" "$WANT"
}
chk() { # chk FIELDS: one check of r1 with these fields besides id, description, node
	printf '{"checks":[{"id":"c1","description":"d","node":"r1",%s}]}' "$1"
}
refused "an unknown kind" 422 "$(chk '"kind":"telnet"')"
check "  the message names the field" grep -q 'checks\[0\].kind' <<<"$MSG"
refused "an unknown field" 422 "$(chk '"kind":"ping","target":"10.0.0.1","colour":"red"')"
refused "a missing node" 422 '{"checks":[{"id":"c1","description":"d","node":"r9","kind":"ping","target":"10.0.0.1"}]}'
check "  the message names the node" grep -q "no node 'r9'" <<<"$MSG"
refused "ospf_neighbors on a linux-host" 422 '{"checks":[{"id":"c1","description":"d","node":"h1","kind":"ospf_neighbors","full":1}]}'
refused "a bad regex" 422 "$(chk '"kind":"config","match":"(unclosed"')"
check "  the message names the field" grep -q 'checks\[0\].match' <<<"$MSG"
refused "a back-reference (unbounded matching)" 422 "$(chk '"kind":"config","match":"(a+)\\1"')"
refused "a regex nested too deep" 422 "$(chk "\"kind\":\"config\",\"match\":\"$(printf '(%.0s' $(seq 40))a$(printf ')%.0s' $(seq 40))\"")"
refused "a ping target that is no address" 422 "$(chk '"kind":"ping","target":"10.0.0"')"
check "  the message says so" grep -q 'checks\[0\].target: not an IP address' <<<"$MSG"
refused "a prefix with host bits" 422 "$(chk '"kind":"route","prefix":"10.1.2.3/24"')"
refused "a prefix past /32" 422 "$(chk '"kind":"route","prefix":"10.0.0.0/33"')"
refused "a command with a newline" 422 "$(chk '"kind":"exec","command":"ls\nreboot","match":"x"')"
refused "points over 100" 422 "$(chk '"kind":"config","match":"x","points":101')"
refused "duplicate ids" 422 '{"checks":[{"id":"c1","description":"d","node":"r1","kind":"config","match":"a"},{"id":"c1","description":"d","node":"r1","kind":"config","match":"b"}]}'
many() { # many N: N valid checks
	jq -nc --argjson n "$1" '{checks: [range($n) | {id: "c\(.)", description: "d", node: "r1", kind: "config", match: "x"}]}'
}
many 300 >"$LW_TMP/300.json"
refused "300 checks" 422 "@$LW_TMP/300.json"
check "  the message gives the limit" grep -q 'at most 200 checks' <<<"$MSG"
many 10000 >"$LW_TMP/10000.json"
api PUT $L/checks "@$LW_TMP/10000.json"
check "10,000 checks: 413 or 422 ($STATUS)" test "$STATUS" = 413 -o "$STATUS" = 422
many 200 >"$LW_TMP/200.json"
api PUT $L/checks "@$LW_TMP/200.json"
eq "200 checks (the limit) are accepted" "$STATUS" 200
api PUT $L/checks "$GOOD"

# Stages: ids unique over the lab's checks and every stage's; configs name nodes.
STAGES='{"stages":[
 {"name":"Addresses","description":"Number r1 and h1.","checks":[{"id":"s1-addr","description":"r1 has 10.5.0.1","kind":"config","node":"r1","match":"ip address 10\\.5\\.0\\.1/24"}],
  "configs":{"r1":"hostname r1\n!\ninterface eth0\n ip address 10.5.0.1/24\nexit\n!\ninterface eth1\n ip address 10.6.0.2/24\nexit\n!\nip route 10.99.0.0/16 10.5.0.2\n!\n","h1":"ip addr add 10.5.0.2/24 dev eth0\nip route add default via 10.5.0.1\n","t1":"ip addr add 10.6.0.1/24 dev eth0\nip link set eth0 up\n"}},
 {"name":"Route","checks":[{"id":"s2-rt","description":"static","kind":"route","node":"r1","prefix":"10.99.0.0/16"}],
  "configs":{"r1":"hostname r1\n!\ninterface eth0\n ip address 10.5.0.1/24\nexit\n!\n"}}]}'
api PUT $L/stages "$STAGES"
eq "PUT two stages: 200" "$STATUS" 200
WANT_STAGES=$(printf '%s' "$STAGES" | jq -cS .)
stages_same() { api GET $L/stages; eq "  the stages are unchanged" "$(jqb -cS .)" "$WANT_STAGES"; }
api PUT $L/stages "$(printf '%s' "$STAGES" | jq -c '.stages[1].checks[0].id = "ping-h1"')"
eq "a stage check reusing a lab check's id: 422" "$STATUS" 422
stages_same
api PUT $L/stages "$(printf '%s' "$STAGES" | jq -c '.stages[0].configs.r9 = "x"')"
eq "a stage config for a node the lab lacks: 422" "$STATUS" 422
stages_same
api PUT $L/stages "$(jq -nc '{stages: [range(17) | {name: "s\(.)"}]}')"
eq "17 stages: 422" "$STATUS" 422
stages_same
api PUT $L/guide "$(jq -nc --arg g "$(head -c 70000 /dev/zero | tr '\0' x)" '{guide: $g}')"
eq "a guide over 64 KiB: 413" "$STATUS" 413
api GET $L/guide
eq "  the guide is unchanged" "$(jqb .guide | head -1)" "# Practice"
api PUT $L/guide '{"guide":"## New\ntext"}'
eq "PUT a guide: 200" "$(jqb .guide | head -1)" "## New"

# A lab created with bad checks does not exist; one with good ones carries them all.
BAD_LAB='{"name":"prac2","nodes":[{"name":"a","template":"linux-host","nics":1}],
 "checks":[{"id":"x","description":"d","node":"b","kind":"ping","target":"10.0.0.1"}]}'
api POST /api/v1/labs "$BAD_LAB"
eq "POST /labs with a check on a missing node: 422" "$STATUS" 422
api GET /api/v1/labs/prac2
eq "  no lab was made" "$STATUS" 404
printf '%s' "$BAD_LAB" | jq -c '.checks[0].node = "a" | .stages = [{name: "one", checks: [{id: "y", description: "d", node: "a", kind: "exec", command: "true", match: "x"}], configs: {a: "echo one\n"}}] | .guide = "# G\nline 2"' >"$LW_TMP/prac2.json"
cli() { nsexec "$LW_BIN" --url "$LW_URL" "$@"; }
OUT=$(cli lab create "$LW_TMP/prac2.json")
eq "labwire lab create FILE with guide, checks and stages" "$OUT" "created lab prac2 (id 2): 2 checks, 1 stages"
api GET /api/v1/labs/prac2
eq "  all three are kept" "$(jqb -c '[.guide, (.checks | length), .stages[0].name]')" '["# G\nline 2",1,"one"]'
eq "labwire lab guide prints the guide" "$(cli lab guide prac2)" "$(printf '# G\nline 2')"
OUT=$(cli stage list prac2)
check "labwire stage list shows the start and stage 1" grep -qE '^1 +one +1 +a$' <<<"$OUT"
check "  (stage 0: the lab's own check)" grep -qE '^0 +\(start\) +1 +-$' <<<"$OUT"
eq "labwire stage restore prac2 1 (a stopped node is updated)" "$(cli stage restore prac2 1)" "lab prac2: stage 1 restored: a updated"
api GET /api/v1/labs/prac2/nodes/a
eq "  a's startup config is stage 1's" "$(jqb .startup_config)" "echo one"
cli stage restore prac2 7 2>"$LW_TMP/err" >/dev/null
eq "labwire stage restore prac2 7 fails (no such stage)" "$?" 1
check "  and says so" grep -q "no stage 7" "$LW_TMP/err"

# Nodes the checks name.
api DELETE $L/nodes/h1
eq "deleting a node that checks name: 409" "$STATUS" 409
check "  naming the checks" grep -q 'no-ping' <<<"$(jqb .error.message)"
api PATCH $L/nodes/r1 '{"name":"r7"}'
eq "renaming one (r1 to r7): 200" "$STATUS" 200
api GET $L
eq "  the checks and stage configs follow it" "$(jqb -c '[([.checks[] | select(.node == "r7")] | length), ([.stages[].checks[] | select(.node == "r7")] | length), (.stages[0].configs | has("r7")), ([.. | objects | select(.node? == "r1")] | length)]')" '[5,2,true,0]'
api PATCH $L/nodes/r7 '{"name":"h1"}'
eq "renaming r7 to h1 (taken): 409" "$STATUS" 409
api PATCH $L/nodes/r7 '{"name":"r1"}'
api GET $L/checks
eq "and back to r1: the checks are as they were" "$(jqb -cS .)" "$WANT"
stages_same
api DELETE /api/v1/labs/prac2/nodes/a
eq "  (prac2's node a, named by check x, cannot go either)" "$STATUS" 409

# A read-only user.
api POST /api/v1/users '{"name":"bob","password":"bobsecret1","role":"user"}'
api PATCH $L '{"shared_with":[{"user":"bob","access":"read"}]}'
TB=$(login bob bobsecret1)
api_as "$TB" GET $L/checks
eq "a user with read access reads the checks" "$STATUS" 200
api_as "$TB" PUT $L/checks '{"checks":[]}'
eq "  but cannot PUT them: 403" "$STATUS" 403
api_as "$TB" PUT $L/guide '{"guide":""}'
eq "  nor the guide: 403" "$STATUS" 403
api_as "$TB" POST $L/stages/1/restore
eq "  nor restore a stage: 403" "$STATUS" 403
api_as "$TB" GET /api/v1/labs/prac2/checks
eq "a user without access gets 404" "$STATUS" 404
api GET $L/checks
eq "  the checks are unchanged" "$(jqb -cS .)" "$WANT"

# --- restoring a stage on the running lab ---------------------------------------------------
exec_on() { # exec_on NODE SEND EXPECT: OUT holds the console's output
	api POST "$L/nodes/$1/console/exec" \
		"$(jq -nc --arg s "$2" --arg x "$3" '{send: $s, expect: $x, timeout_s: 20}')"
	OUT=$(jqb .output)
}
r1_has() { exec_on r1 'show running-config' 'r1# .{0,4}$'; grep -q "$1" <<<"$OUT"; }
sh_has() { exec_on "$1" 'ip -o addr show eth0; echo DONE-$((6*7))' 'DONE-42'; grep -q "$2" <<<"$OUT"; }
# The lacks: the console answered (what it always shows is there), the text is not.
r1_lacks() { r1_has 'hostname r1' && ! grep -q "$1" <<<"$OUT"; }
sh_lacks() { sh_has "$1" 'DONE-42' && ! grep -q "$2" <<<"$OUT"; }
T0=$SECONDS
api POST "$L/start?wait=ready&timeout=300"
eq "the lab starts" "$STATUS" 200
echo "# the lab started in $((SECONDS - T0)) s"
check "r1 starts without 10.5.0.1" wait_for r1-console 120 r1_lacks "ip address 10.5.0.1/24"
api POST $L/stages/99/restore
eq "restoring stage 99: 404" "$STATUS" 404
api POST $L/stages/x/restore
eq "restoring stage x: 404" "$STATUS" 404
T0=$SECONDS
api POST $L/stages/1/restore
eq "restoring stage 1: 202" "$STATUS" 202
eq "  every running node is reloaded" "$(jqb -c '[.nodes[] | .action] | unique')" '["reloaded"]'
api GET $L/nodes/h1
eq "  h1's startup config is stage 1's" "$(jqb .startup_config | head -1)" "ip addr add 10.5.0.2/24 dev eth0"
check "  the nodes are ready again" wait_for ready1 300 lab_nodes_ready prac
echo "# stage 1 restored and every node ready in $((SECONDS - T0)) s"
check "r1's running config holds stage 1's address" wait_for r1-cfg 120 r1_has "ip address 10.5.0.1/24"
check "  and its static route" r1_has "ip route 10.99.0.0/16 10.5.0.2"
check "h1 (linux-host) has 10.5.0.2" wait_for h1-addr 20 sh_has h1 10.5.0.2/24
check "t1 (tiny-linux) has 10.6.0.1" wait_for t1-addr 20 sh_has t1 10.6.0.1/24
ping_r1() { # the typed line shows "$?", the answer its value (bash may put an escape before it)
	exec_on h1 'ping -c 1 -W 2 10.5.0.1 >/dev/null; echo PING-RC-$?' 'PING-RC-[0-9]+'
	grep -q 'PING-RC-0' <<<"$OUT"
}
check "h1 pings r1 over their link" wait_for ping 30 ping_r1
echo "# stage 1 restored and checked in $((SECONDS - T0)) s"

# t1 stopped: stage 0 updates it and reboots the others.
api POST $L/nodes/t1/stop
check "t1 stops" wait_for t1-stop 30 eval 'api GET $L/nodes/t1; test "$(jqb .state)" = stopped'
T0=$SECONDS
api POST $L/stages/0/restore
eq "restoring stage 0 (the start): 202" "$STATUS" 202
eq "  r1 and h1 are reloaded, t1 (stopped) updated" "$(jqb -c '[.nodes[] | "\(.name) \(.action)"] | sort')" '["h1 reloaded","r1 reloaded","t1 updated"]'
nodes_ready() { # nodes_ready NODE...: each runs and is ready
	for n in "$@"; do
		api GET "$L/nodes/$n"
		[ "$(jqb -c '[.state, .ready]')" = '["running",true]' ] || return 1
	done
}
check "  r1 and h1 are ready again" wait_for ready0 300 nodes_ready r1 h1
check "r1 is back to its start: no 10.5.0.1" wait_for r1-start 120 r1_lacks "ip address 10.5.0.1/24"
check "h1 has no 10.5.0.2" sh_lacks h1 10.5.0.2
echo "# stage 0 restored and checked in $((SECONDS - T0)) s"
api GET $L/nodes/r1
eq "  r1's startup config is the start's" "$(jqb .startup_config)" "$(printf "$START_R1")"

api POST $L/stop
check "the lab stops" wait_for stopped 60 lab_nodes_are prac stopped
api POST $L/stages/2/restore
eq "restoring stage 2 on a stopped lab: 202" "$STATUS" 202
eq "  the nodes are only updated" "$(jqb -c '[.nodes[] | .action] | unique')" '["updated"]'
api GET $L/nodes/r1
check "  r1 keeps stage 2's config for its next start" grep -q "10.5.0.1/24" <<<"$(jqb .startup_config)"
api GET $L/nodes/t1
eq "  t1, which stage 2 does not list, gets the start's" "$(jqb .startup_config)" ""
api DELETE $L
eq "the lab is deleted" "$STATUS" 204
check "no QEMU process remains" wait_for noqemu 10 eval 'test "$(qemu_count)" = 0'

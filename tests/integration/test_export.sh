#!/usr/bin/env bash
# Export (API only, no node starts): a lab with an FRR router, namespace
# hosts and a tiny-linux VM, a link that is down, one with an impairment, a
# 3-member LAN, positions, startup configs, a guide, checks and a stage is
# exported as labwire JSON and YAML (attachment headers); deleted and
# imported back from each file, it exports the very same bytes. The shipped
# sample lab's containerlab export re-imports with the same node names,
# templates and link endpoints. A user without access gets 404, a member's
# copy of an assignment exports no stage configs, and an unknown format or
# as is 422.
. "$(dirname "$0")/lib.sh"

[ -f "$LW_IMAGES/frr-router/initrd.img" ] || { echo "1..0 # SKIP no frr-router guest (make frr-guest)"; exit 0; }
lw_setup

# export LAB QUERY FILE: GET the export into FILE, its headers into FILE.h; sets STATUS.
export_to() {
	STATUS=$(nsexec curl -s -D "$3.h" -o "$3" -w '%{http_code}' "$LW_URL/api/v1/labs/$1/export$2")
}
header() { sed -n "s/^$2: \(.*\)\r$/\1/Ip" "$1.h"; }

# import FILE QUERY: POST the file to /labs/import; sets STATUS and BODY.
import() {
	STATUS=$(nsexec curl -s -o "$LW_TMP/body" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/octet-stream' --data-binary "@$1" \
		"$LW_URL/api/v1/labs/import$2")
	BODY=$(cat "$LW_TMP/body")
}

BODY_EX='{"name":"ex","description":"all a lab file carries",
 "nodes":[
  {"name":"r1","template":"frr-router","nics":3,"x":300,"y":-20,"boot_order":2,"cpu_cap_pct":50,
   "startup_config":"hostname r1\n!\ninterface eth0\n ip address 10.1.0.1/24\nexit\n!\n"},
  {"name":"h1","template":"linux-host","nics":2,"x":100,"y":200,
   "startup_config":"ip addr add 10.1.0.2/24 dev eth0\nip route add default via 10.1.0.1\n"},
  {"name":"t1","template":"tiny-linux","nics":1,"x":500,"y":200,"ram_mb":96},
  {"name":"h2","template":"linux-host","nics":1,"startup_config":"echo \"yes: #1\"  \n"},
  {"name":"h3","template":"linux-host","nics":1}],
 "links":[{"endpoints":["r1:eth0","h1:eth0"],"state":"down"},
  {"endpoints":["r1:eth1","t1:eth0"],"impairment":{"delay_ms":20,"loss_pct":1.5,"seed":7}},
  {"endpoints":["r1:eth2","h2:eth0","h3:eth0"]}],
 "guide":"# Export\nPing **h1** from r1.\n",
 "checks":[{"id":"ping-h1","description":"r1 reaches h1","kind":"ping","node":"r1","target":"10.1.0.2"}],
 "stages":[{"name":"addressed","checks":[{"id":"addr","description":"h2 has an address","kind":"exec","node":"h2","command":"ip -o addr","match":"10\\.2\\.0\\.2"}],
   "configs":{"h2":"ip addr add 10.2.0.2/24 dev eth0\n"}}]}'
api POST /api/v1/labs "$BODY_EX"
eq "a lab with every part is created" "$STATUS" 201

T=$LW_TMP
export_to ex "" "$T/a.json"
eq "export (labwire JSON by default): 200" "$STATUS" 200
eq "  Content-Type application/json" "$(header "$T/a.json" Content-Type)" "application/json"
eq "  an attachment named ex.labwire.json" "$(header "$T/a.json" Content-Disposition)" \
	'attachment; filename="ex.labwire.json"'
# What the POST body said, and nothing the store made up.
eq "  format labwire, version 1, the lab's parts" \
	"$(jq -c '[.format, .version, .name, .description, (.nodes | map(.name)), (.links | length), (.checks | length), .stages[0].configs.h2, .guide]' "$T/a.json")" \
	'["labwire",1,"ex","all a lab file carries",["r1","h1","t1","h2","h3"],3,1,"ip addr add 10.2.0.2/24 dev eth0\n","# Export\nPing **h1** from r1.\n"]'
eq "  nodes keep position, hardware, config" \
	"$(jq -c '.nodes[0] | [.template, .x, .y, .boot_order, .cpu_cap_pct, .nics, .startup_config]' "$T/a.json")" \
	'["frr-router",300,-20,2,50,3,"hostname r1\n!\ninterface eth0\n ip address 10.1.0.1/24\nexit\n!\n"]'
eq "  links keep state and impairment" \
	"$(jq -c '[.links[] | [.endpoints, .state, .impairment]]' "$T/a.json")" \
	'[[["r1:eth0","h1:eth0"],"down",{}],[["r1:eth1","t1:eth0"],"up",{"delay_ms":20,"loss_pct":1.5,"seed":7}],[["r1:eth2","h2:eth0","h3:eth0"],"up",{}]]'
eq "  no ids, ports, MACs, tokens, owner or state: only what POST /labs takes" \
	"$(jq -c '[keys, (.nodes | map(keys) | add | unique), (.links | map(keys) | add | unique)]' "$T/a.json")" \
	'[["checks","description","format","guide","links","name","nodes","stages","version"],["accel","arch","boot_order","cpu_cap_pct","cpus","name","nics","ram_mb","startup_config","template","x","y"],["endpoints","impairment","state"]]'
check "  keys sorted, 2-space indent, a final newline" \
	cmp -s "$T/a.json" <(jq -S --indent 2 . "$T/a.json")
export_to ex "?as=yaml" "$T/a.yaml"
eq "export as YAML: 200 application/yaml ex.labwire.yaml" \
	"$STATUS $(header "$T/a.yaml" Content-Type) $(header "$T/a.yaml" Content-Disposition)" \
	'200 application/yaml attachment; filename="ex.labwire.yaml"'
check "  block style, the config a literal block" grep -qx 'startup_config: |' <(sed 's/^ *//' "$T/a.yaml")

# Round trips: delete, import the file, export again.
roundtrip() { # roundtrip FILE QUERY [LAB]
	api DELETE "/api/v1/labs/${3:-ex}"
	eq "${1##*/}: the lab is deleted" "$STATUS" 204
	import "$1" ""
	eq "  importing it: 201" "$STATUS" 201
	[ "$STATUS" = 201 ] || echo "# $BODY"
	export_to "${3:-ex}" "$2" "$T/b"
	check "  exporting again gives the same bytes" cmp "$1" "$T/b"
}
roundtrip "$T/a.json" ""
roundtrip "$T/a.yaml" "?as=yaml"
export_to ex "" "$T/c.json"
check "  and the YAML import's JSON export is the JSON one" cmp "$T/a.json" "$T/c.json"

# containerlab: the shipped sample, re-imported.
api POST /api/v1/labs "$(cat "$LW_ROOT/labs/samples/h1-r1-h2.json")"
eq "the sample lab h1-r1-h2 is created" "$STATUS" 201
export_to h1-r1-h2 "?format=clab" "$T/s.clab.yml"
eq "clab export: 200 application/yaml h1-r1-h2.clab.yml" \
	"$STATUS $(header "$T/s.clab.yml" Content-Type) $(header "$T/s.clab.yml" Content-Disposition)" \
	'200 application/yaml attachment; filename="h1-r1-h2.clab.yml"'
check "  names the lab and its nodes with kinds" grep -qE '^(name: h1-r1-h2|    h1:|      kind: linux)$' "$T/s.clab.yml"
import "$T/s.clab.yml" "?format=clab&name=s2"
eq "  it imports back as clab: 201" "$STATUS" 201
[ "$STATUS" = 201 ] || echo "# $BODY"
shape='[(.nodes | map([.name, .template, .x, .y, .startup_config])), (.links | map(.endpoints | map(.node + ":" + .interface)))]'
api GET /api/v1/labs/h1-r1-h2
WANT=$(jqb -c "$shape")
api GET /api/v1/labs/s2
eq "  with the same nodes, templates, positions, configs and links" "$(jqb -c "$shape")" "$WANT"
# A LAN becomes a bridge node with a link a member, and back a LAN.
export_to ex "?format=clab" "$T/ex.clab.yml"
import "$T/ex.clab.yml" "?format=clab&name=ex2"
eq "ex's clab export imports: 201" "$STATUS" 201
api GET /api/v1/labs/ex2
eq "  the LAN is a LAN again, h1's script its config" \
	"$(jqb -c '[(.links | map(.endpoints | map(.node + ":" + .interface))), (.nodes[] | select(.name == "h1") | .startup_config)]')" \
	'[[["r1:eth0","h1:eth0"],["r1:eth1","t1:eth0"],["r1:eth2","h2:eth0","h3:eth0"]],"ip addr add 10.1.0.2/24 dev eth0\nip route add default via 10.1.0.1\n"]'

# containerlab keeps eth0 for management: a node that uses its eth0 is
# shifted (eth0 -> eth1), one that does not keeps its names, so the exec
# lines a clab file brought ("dev eth1") still fit the exported file.
check "  r1 and h1 use eth0: their eth0 is written eth1" grep -q 'h1:eth1' "$T/ex.clab.yml"
api POST /api/v1/labs '{"name":"duo","nodes":[{"name":"a","template":"linux-host","nics":2,
 "startup_config":"ip addr add 10.9.0.1/24 dev eth1\n"},{"name":"b","template":"linux-host","nics":2}],
 "links":[{"endpoints":["a:eth1","b:eth1"]}]}'
eq "a lab on eth1 only: 201" "$STATUS" 201
export_to duo "?format=clab" "$T/duo.clab.yml"
check "  its clab export keeps a:eth1 and b:eth1" grep -qE '^ *- (- )?a:eth1$|"a:eth1"|a:eth1' "$T/duo.clab.yml"
check "  and says so (labwire.eth-offset 0)" grep -q 'labwire.eth-offset: "0"' "$T/duo.clab.yml"
check "  nowhere eth2" eval '! grep -q eth2 "$T/duo.clab.yml"'
import "$T/duo.clab.yml" "?format=clab&name=duo2"
api GET /api/v1/labs/duo2
eq "  it imports back onto eth1" "$(jqb -c '.links | map(.endpoints | map(.node + ":" + .interface))')" '[["a:eth1","b:eth1"]]'

# Its nodes keep where they came from (origin), and so does a labwire round trip.
export_to ex2 "" "$T/ex2.json"
eq "  its labwire export has each node's origin" "$(jq -c '.nodes[0].origin' "$T/ex2.json")" \
	'{"format":"clab","image":"quay.io/frrouting/frr:8.4.1","kind":"linux"}'
roundtrip "$T/ex2.json" "" ex2

# Refusals.
export_to ex "?format=eve" "$T/x"
eq "format=eve: 422" "$STATUS" 422
export_to ex "?as=xml" "$T/x"
eq "as=xml: 422" "$STATUS" 422
export_to ex "?format=clab&as=json" "$T/x"
eq "a clab file as JSON: 422" "$STATUS" 422
export_to nosuch "" "$T/x"
eq "an unknown lab: 404" "$STATUS" 404
api POST /api/v1/users '{"name":"bob","password":"bob-pw-12345"}'
TB=$(login bob bob-pw-12345)
api_as "$TB" GET /api/v1/labs/ex/export
eq "bob, without access to ex, gets 404" "$STATUS" 404
api PATCH /api/v1/labs/ex '{"shared_with":[{"user":"bob","access":"read"}]}'
api_as "$TB" GET /api/v1/labs/ex/export
check "  shared read-only with him, he gets the export" test "$STATUS" = 200 -a "$BODY" = "$(cat "$T/a.json")"

# A member's copy of an assignment hides the stage's configs: not exported.
api POST /api/v1/users '{"name":"amy","password":"amy-pw-12345"}'
api POST /api/v1/groups '{"name":"cls","members":["amy"]}'
api POST /api/v1/assignments '{"lab":"ex","group":"cls","name":"hw"}'
eq "ex is assigned to a class with amy" "$STATUS" 201
AID=$(jqb .id)
TA=$(login amy amy-pw-12345)
api_as "$TA" POST "/api/v1/assignments/$AID/instance"
eq "amy's copy of the assignment is made" "$STATUS" 201
api_as "$TA" GET "/api/v1/labs/$(jqb .name)/export"
eq "  her export has the stage without its configs" \
	"$(jqb -c '[.stages[0].name, (.stages[0] | has("configs")), (.stages[0].checks | length)]')" '["addressed",false,1]'

[ "$LW_FAILS" -eq 0 ]

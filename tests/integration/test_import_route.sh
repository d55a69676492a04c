#!/bin/bash
# POST /api/v1/labs/import as a client meets it (API only, no guests): the
# file is the raw body under its own 8 MiB limit (past --max-body, which
# still bounds every other route; 413 past 8 MiB, refused before it is
# read); 201 with the lab, the report and a Location; a taken name 409, a
# file that is not UTF-8 422 with the byte, and nothing created by either;
# credentials needed (and checked before the body is read); a node's origin kept and shown (also on an
# assignment's copy), bounded on POST /labs; GET /templates shows which foreign kinds map to each template.
. "$(dirname "$0")/lib.sh"
LW_DAEMON_ARGS="--max-body 16384"
lw_setup

nlabs() { api GET /api/v1/labs; jqb '.labs | length'; }

# import FILE [QUERY]: POST the file as it is; STATUS, BODY, and HDRS (the headers).
import() {
	local out
	out=$(nsexec curl -s -D "$LW_TMP/hdrs" -o "$LW_TMP/body" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/octet-stream' --data-binary @"$1" \
		"$LW_URL/api/v1/labs/import${2-}" 2>/dev/null) || out=000
	STATUS=$out
	BODY=$(cat "$LW_TMP/body")
	HDRS=$(tr -d '\r' <"$LW_TMP/hdrs")
}

# A labwire file of two nodes with a long guide: 50 KB, past --max-body.
head -c 50000 /dev/zero | tr '\0' 'g' >"$LW_TMP/guide"
jq -n --rawfile g "$LW_TMP/guide" '{format: "labwire", version: 1, name: "imp", guide: $g,
	nodes: [{name: "r1", template: "linux-host"},
		{name: "h1", template: "linux-host", x: 10, y: 20,
		 origin: {format: "clab", kind: "linux", image: "alpine:3", config: "echo hi"}}],
	links: [{endpoints: ["r1:eth0", "h1:eth0"]}]}' >"$LW_TMP/lab.json"
api POST /api/v1/labs "@$LW_TMP/lab.json"
eq "POST /labs still refuses a body past --max-body" "$STATUS" 413

import "$LW_TMP/lab.json"
eq "the same file imports: the import route has its own limit" "$STATUS" 201
eq "the answer has the lab" "$(jqb '.lab.name + " " + (.lab.nodes | length | tostring)')" "imp 2"
eq "and the report" "$(jqb '.report.format + " " + (.report.nodes | tostring) + " " + (.report.links | tostring)')" "labwire 2 1"
eq "Location names the lab" "$(printf '%s\n' "$HDRS" | sed -n 's/^Location: //p')" \
	"/api/v1/labs/$(jqb .lab.id)"
api GET /api/v1/labs/imp
eq "an imported node's origin is shown" "$(jqb '.nodes[] | select(.name == "h1") | .origin.kind + " " + .origin.config')" "linux echo hi"
eq "a node with none shows none" "$(jqb '.nodes[] | select(.name == "r1") | has("origin")')" false
eq "the guide came along" "$(jqb '.guide | length')" 50000

# A member's copy of the imported lab (an assignment) keeps the origin.
api POST /api/v1/users '{"name":"amy","password":"amy-pw-12345"}'
api POST /api/v1/groups '{"name":"cls","members":["amy"]}'
api POST /api/v1/assignments '{"lab":"imp","group":"cls","name":"hw"}'
AID=$(jqb .id)
TA=$(login amy amy-pw-12345)
api_as "$TA" POST "/api/v1/assignments/$AID/instance"
api_as "$TA" GET "/api/v1/labs/$(jqb .name)"
eq "an assignment's copy keeps the origin" "$(jqb '.nodes[] | select(.name == "h1") | .origin.image')" "alpine:3"

import "$LW_TMP/lab.json"
eq "a taken name: 409" "$STATUS" 409
import "$LW_TMP/lab.json" "?name=imp2"
eq "?name= names it otherwise" "$STATUS $(jqb .lab.name)" "201 imp2"
N=$(nlabs)
printf '{"format":"labwire","name":"bad","description":"caf\xe9"}' >"$LW_TMP/latin1.json"
import "$LW_TMP/latin1.json"
eq "a Latin-1 file: 422 at its byte" "$STATUS $(jqb .error.message)" \
	"422 not UTF-8 at byte 51: save the file as UTF-8 and import it again"
import "$LW_TMP/lab.json" "?format=docker"
eq "an unknown format: 422" "$STATUS" 422
eq "and nothing was created" "$(nlabs)" "$N"

head -c $((8 * 1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$LW_TMP/big.json"
import "$LW_TMP/big.json"
eq "a file past 8 MiB: 413" "$STATUS" 413
eq "saying so" "$(jqb .error.message)" "request body larger than 8388608 bytes"

STATUS=$(nsexec curl -q -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$LW_TMP/lab.json" \
	"$LW_URL/api/v1/labs/import?name=anon")
eq "without credentials: 401" "$STATUS" 401
# Nor is a file of up to 8 MiB read into memory for a caller who is not let
# in: a body that promises 8 MB and stalls after a byte hears 401 at once.
STATUS=$( (printf x; sleep 4) | nsexec curl -q -s -o /dev/null -w '%{http_code}' -m 3 -X POST \
	-H 'Content-Length: 8000000' -H 'Expect:' -H 'Authorization: Bearer nosuchtoken' \
	--data-binary @- "$LW_URL/api/v1/labs/import?name=anon") || true
eq "a stranger's file is refused before it is read: 401" "$STATUS" 401

api POST /api/v1/labs '{"name":"o","nodes":[{"name":"a","template":"linux-host","origin":{"kind":"x","colour":"red"}}]}'
eq "POST /labs refuses an origin with a key of its own" "$STATUS" 422

api GET /api/v1/templates
eq "GET /templates: frr-router substitutes for routers" \
	"$(jqb '.templates[] | select(.name == "frr-router") | .substitute_for | join(",")')" router
eq "and shows the kinds that map to it" \
	"$(jqb '[.templates[] | select(.name == "frr-router") | .imports[] | .format + ":" + .kind] | index("clab:linux") != null')" true
api GET /api/v1/templates/iosv
eq "one template too" "$(jqb '[.imports[] | .format + ":" + .kind] | index("cml:iosv") != null')" true

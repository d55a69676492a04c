#!/bin/bash
# Lab files of other tools through POST /api/v1/labs/import, as a user
# brings them. (1) Every hand-written file under tests/import/ that has an
# expect.json: imported with its format told from the file, and once more
# with ?format= and ?name=; the report's counts, each node's template, every
# link's endpoints, the interface renames, what was dropped and kept, the
# configs and positions are what the expect file says; deleted again.
# (2) The containerlab lab of Linux nodes (clab-hosts.clab.yml) imported,
# started (namespace hosts), each link pinged across with the addresses its
# exec lines gave, stopped, deleted, nothing left in the namespace.
# (3) Bad files -- truncated YAML, XML and JSON, wrong types, 100,000 nodes,
# billion laughs, a YAML alias bomb, bytes that are not UTF-8, a file of no
# known format, a format that is not the file's, 9 MB -- each answered
# quickly with 422 (413 for the size) and a message naming the line or
# field, and no lab made. (4) Credentials as POST /labs wants them. (5) The
# CLI's lab import and lab export against the daemon. About 7 s (11 under ASan).
. "$(dirname "$0")/lib.sh"
IMP=$LW_ROOT/tests/import
lw_setup

# imp FILE [QUERY [CURL ARGS...]]: POST FILE's bytes as they are (curl -q: no admin token
# when credentials are given); STATUS, BODY and SECS (the answer's time).
imp() {
	local file=$1 q=${2-} out
	shift 2 2>/dev/null || shift $#
	local args=(-s -o "$LW_TMP/body" -w '%{http_code} %{time_total}' --max-time 20 -X POST
		-H 'Content-Type: application/octet-stream' --data-binary "@$file")
	[ $# -gt 0 ] && args=(-q "${args[@]}" "$@")
	out=$(nsexec curl "${args[@]}" "$LW_URL/api/v1/labs/import$q" 2>/dev/null) || out="000 20"
	STATUS=${out% *}
	SECS=${out#* }
	BODY=$(cat "$LW_TMP/body" 2>/dev/null)
}
nlabs() { api GET /api/v1/labs; jqb '.labs | length'; }

# ---- 1. every tests/import file with an expect.json -------------------------------------------

# expect_file BASE: the file BASE.expect.json describes (BASE.<ext>, not the expect file).
expect_file() {
	local f
	for f in "$1".*; do
		case $f in *.expect.json) ;; *) [ -f "$f" ] && { echo "$f"; return 0; } ;; esac
	done
	return 1
}

# mismatches EXPECT REPORT LAB: what of EXPECT the report and the lab do not show, one per line.
mismatches() {
	jq -nr --argjson e "$1" --argjson r "$2" --argjson l "$3" '
	($l.nodes | map({(.name): .}) | add // {}) as $n |
	def eps: [.endpoints[] | if type == "string" then . else "\(.node):\(.interface)" end] | sort;
	(["nodes", "links", "lans"][] | select($e[.] != null and $r[.] != $e[.]) | "report.\(.) is \($r[.]), not \($e[.])"),
	(if $r.format != $e.format then "report.format is \($r.format), not \($e.format)" else empty end),
	(($e.templates // {}) | to_entries[] | select($n[.key].template != .value) |
		"node \(.key) is \($n[.key].template // "missing"), not \(.value)"),
	(if $e.link_endpoints != null and ([$e.link_endpoints[] | sort] | sort) != ([$l.links[] | eps] | sort)
	 then "links are \([$l.links[] | eps | join(" ")] | sort), not \([$e.link_endpoints[] | sort | join(" ")] | sort)" else empty end),
	(($e.interfaces // [])[] | . as $i | select([($r.interfaces // [])[] | select(.node == $i.node and .from == $i.from and .to == $i.to)] | length == 0) |
		"no interface rename \(.node) \(.from) -> \(.to) in \($r.interfaces)"),
	(($e.dropped // [])[] | . as $s | select([($r.dropped // [])[] | "\(.what) \(.reason)" | select(contains($s))] | length == 0) |
		"nothing dropped says \"\(.)\""),
	(($e.kept // [])[] | . as $s | select([($r.kept // [])[] | "\(.node) \(.what) \(.reason)" | select(contains($s))] | length == 0) |
		"nothing kept says \"\(.)\""),
	(($e.configs // {}) | to_entries[] | . as $c | select((($n[$c.key].startup_config // "") + "\n" + ($n[$c.key].origin.config // "")) | contains($c.value) | not) |
		"node \(.key)'"'"'s config lacks \"\(.value)\""),
	(($e.positions // {}) | to_entries[] | select([$n[.key].x, $n[.key].y] != .value) |
		"node \(.key) is at \([$n[.key].x, $n[.key].y]), not \(.value)")' 2>&1 || echo "(jq failed on the expect file)"
}

# import_expect EXPECT_FILE: the file imported twice (detected; ?format=&name=) and checked.
import_expect() {
	local exp base file want fmt lab got
	exp=$(cat "$1")
	base=$(basename "$1" .expect.json)
	fmt=$(jq -r .format <<<"$exp")
	if ! file=$(expect_file "${1%.expect.json}"); then
		notok "$base: the file its expect.json describes is there"
		return
	fi
	imp "$file"
	if [ "$STATUS" != 201 ]; then
		notok "$base: imported, format told from the file (got $STATUS: $(head -c 400 <<<"$BODY"))"
		return
	fi
	ok "$base: imported, format told from the file (201)"
	local report id
	report=$(jq -c .report <<<"$BODY")
	id=$(jq -r .lab.id <<<"$BODY")
	api GET "/api/v1/labs/$id"
	lab=$BODY
	got=$(mismatches "$exp" "$report" "$lab")
	eq "$base: report counts, templates, links, renames, drops, kept, configs, positions as expected" "$got" ""
	api DELETE "/api/v1/labs/$id"
	eq "$base: deleted" "$STATUS" 204
	imp "$file" "?format=$fmt&name=imp-$base"
	want=$(jq -c '[.nodes, .links, .lans // 0]' <<<"$exp")
	eq "$base: with ?format=$fmt&name=imp-$base: 201, that name, the same counts" \
		"$STATUS $(jq -c '[.lab.name, .report.format, .report.nodes, .report.links, .report.lans // 0]' <<<"$BODY")" \
		"201 [\"imp-$base\",\"$fmt\",${want:1}"
	api DELETE "/api/v1/labs/imp-$base"
}

n=0
for f in "$IMP"/*.expect.json; do
	[ -f "$f" ] || continue
	import_expect "$f"
	n=$((n + 1))
done
check "tests/import holds files with what they must import to ($n)" test "$n" -gt 0
eq "no lab is left" "$(nlabs)" 0

# ---- 2. a containerlab lab of Linux nodes starts and pings across its links ---------------------

HOSTS=$IMP/clab-hosts.clab.yml
L=/api/v1/labs/hosts
# pings A ADDR: A pings ADDR once, and a reply came.
pings() {
	api POST "$L/nodes/$1/console/exec" \
		"$(jq -nc --arg s "ping -c 1 -W 2 $2" '{send: $s, expect: "received|packet loss", timeout_s: 10}')"
	jqb .output | grep -qE '(^| )1 (packets )?received'
}
# ping_links: each link of lab hosts pinged from its first end to the address
# the exec lines gave its second end ("ip addr add ADDR/LEN dev IFACE").
ping_links() {
	local lab a ai b bi addr n=0
	api GET "$L"
	lab=$BODY
	while read -r a ai b bi; do
		addr=$(jq -r --arg n "$b" '.nodes[] | select(.name == $n) | .startup_config' <<<"$lab" |
			sed -n "s|.*ip addr\(ess\)\? add \([0-9.]*\)/[0-9]* dev $bi\$|\2|p" | head -n 1)
		if [ -z "$addr" ]; then
			notok "$b:$bi has an address from its exec lines"
			continue
		fi
		check "$a:$ai pings $b:$bi ($addr) across the imported link" wait_for "ping $addr" 10 pings "$a" "$addr"
		n=$((n + 1))
	done < <(jq -r '.links[] | [.endpoints[0].node, .endpoints[0].interface, .endpoints[1].node, .endpoints[1].interface] | @tsv' <<<"$lab")
	eq "  both links pinged" "$n" 2
}
hosts_lab_runs() {
	imp "$HOSTS" "?name=hosts"
	if [ "$STATUS" != 201 ]; then
		notok "clab-hosts.clab.yml imported (got $STATUS: $(head -c 300 <<<"$BODY"))"
		return
	fi
	ok "clab-hosts.clab.yml imported (201)"
	eq "  three linux-host nodes, two links" \
		"$(jq -c '[.report.nodes, .report.links, ([.report.mapped[].to] | unique)]' <<<"$BODY")" '[3,2,["linux-host"]]'
	api POST "$L/start?wait=ready&timeout=60"
	eq "the imported lab starts" "$STATUS" 200
	ping_links
	api POST "$L/stop"
	check "the lab stops" wait_for "stopped" 30 lab_nodes_are hosts stopped
	api DELETE "$L"
	eq "and is deleted" "$STATUS" 204
	check "nothing of it is left in the namespace (no lw* interface)" wait_for "no lw interfaces" 10 eval 'test -z "$(lw_ifaces)"'
}
hosts_lab_runs

# ---- 3. bad files: 422 (413) at once, with the line or field, and no lab ------------------------

B=$LW_TMP/bad
mkdir -p "$B"
printf 'name: cut\ntopology:\n  nodes:\n    r1:\n      kind: linux\n      image: [alpine\n' >"$B/trunc.clab.yml"
printf '<?xml version="1.0"?>\n<lab name="cut">\n <topology>\n  <nodes>\n   <node id="1" name="r1" type="qemu" template="vios"' >"$B/trunc.unl"
printf '{"type": "topology", "revision": 9, "name": "cut",\n "topology": {"nodes": [\n  {"name": "r1", "node_type": "vpcs"' >"$B/trunc.gns3"
printf 'name: s\ntopology:\n  nodes: "r1 r2"\n' >"$B/nodes-string.clab.yml"
printf 'name: l\ntopology:\n  nodes:\n    r1:\n      kind: [linux, frr]\n' >"$B/kind-list.clab.yml"
printf '<?xml version="1.0"?>\n<lab name="ram" version="1">\n <topology>\n  <nodes>\n   <node id="1" name="r1" type="qemu" template="vios" image="vios-15" ram="x" ethernet="4" left="10" top="10"/>\n  </nodes>\n </topology>\n</lab>\n' >"$B/ram.unl"
{
	printf 'name: big\ntopology:\n  nodes:\n'
	seq 1 100000 | sed 's/.*/    n&: {kind: linux}/'
} >"$B/big.clab.yml"
{
	printf '<?xml version="1.0"?>\n<!DOCTYPE lab [\n <!ENTITY l0 "lol">\n'
	for i in $(seq 1 9); do printf ' <!ENTITY l%d "%s">\n' "$i" "$(printf "&l$((i - 1));%.0s" $(seq 10))"; done
	printf ']>\n<lab name="&l9;" version="1"><topology><nodes><node id="1" name="&l9;" type="vpcs"/></nodes></topology></lab>\n'
} >"$B/laughs.unl"
{
	printf 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
	for i in $(seq 1 9); do
		printf 'a%d: &a%d [%s]\n' "$i" "$i" "$(printf "*a$((i - 1)), %.0s" $(seq 9) | sed 's/, $//')"
	done
	printf 'name: bomb\ntopology:\n  nodes:\n    r1: {kind: linux, labels: {x: *a9}}\n'
} >"$B/alias-bomb.clab.yml"
printf 'name: latin1\ntopology:\n  nodes:\n    r1: {kind: linux}\n# caf\xe9\n' >"$B/latin1.clab.yml"
printf 'hello: world\nthings: [1, 2, 3]\n' >"$B/unknown.yml"
printf 'name: two\ntopology:\n  nodes:\n    a: {kind: linux}\n    b: {kind: linux}\n  links:\n    - endpoints: ["a:eth1", "b:eth1"]\n' >"$B/two.clab.yml"
head -c $((9 << 20)) /dev/zero | tr '\0' '#' >"$B/nine-mb.clab.yml"

before=$(nlabs)
FAST=5 # seconds: an answer, not a parse that ran away (ASan's build is slower)
case $LW_BUILD in */asan) FAST=15 ;; esac
# bad FILE QUERY STATUS REGEX DESC
bad() {
	imp "$B/$1" "$2"
	local msg
	msg=$(jqb '.error.message // empty' 2>/dev/null)
	if [ "$STATUS" = "$3" ] && grep -qE "$4" <<<"$msg" && awk -v s="$SECS" -v f="$FAST" 'BEGIN { exit !(s < f) }'; then
		ok "$5: $3 in ${SECS}s: $msg"
	else
		notok "$5: want $3 matching /$4/ within $FAST s; got $STATUS in ${SECS}s: $(head -c 300 <<<"$BODY")"
	fi
}
bad trunc.clab.yml "" 422 'line [0-9]+' "truncated YAML names the line"
bad trunc.unl "" 422 'line [0-9]+' "truncated XML names the line"
bad trunc.gns3 "" 422 'line [0-9]+' "truncated JSON names the line"
bad nodes-string.clab.yml "" 422 'topology\.nodes' "nodes as a string names topology.nodes"
bad kind-list.clab.yml "" 422 'kind' "a kind that is a list names the field"
bad ram.unl "" 422 'ram' "ram=\"x\" names the field"
bad big.clab.yml "" 422 'more than 1000 nodes' "100,000 nodes (a $(($(stat -c %s "$B/big.clab.yml") >> 10)) KiB file)"
bad laughs.unl "" 422 '.' "billion laughs (entities) are refused"
bad alias-bomb.clab.yml "" 422 '.' "a YAML alias bomb (9 levels of 9) is refused"
bad latin1.clab.yml "" 422 'not UTF-8 at byte [0-9]+' "bytes that are not UTF-8 name the byte"
bad unknown.yml "" 422 'cannot tell the format' "a file of no known format asks for ?format="
bad two.clab.yml "?format=gns3" 422 '.' "?format=gns3 on a containerlab file"
bad two.clab.yml "?format=word" 422 'format' "?format=word is not a format"
bad nine-mb.clab.yml "" 413 '.' "a 9 MB file is too large"
eq "no bad file made a lab" "$(nlabs)" "$before"
api GET /api/v1/health
eq "the daemon answers after them all" "$STATUS" 200

# ---- 4. credentials: as POST /labs --------------------------------------------------------------

imp "$B/two.clab.yml" "?name=anon" -H 'Accept: application/json'
eq "no credentials: 401" "$STATUS" 401
imp "$B/two.clab.yml" "?name=forged" -H 'Authorization: Bearer lw_madeup0000000000000000'
eq "a made-up token: 401" "$STATUS" 401
api POST /api/v1/users '{"name":"bob","password":"bob-pass-1234","role":"user"}'
TB=$(login bob bob-pass-1234)
imp "$B/two.clab.yml" "?name=bobs" -b "labwire_session=$TB"
eq "bob's session cookie without Origin: 403, as for POST /labs" "$STATUS" 403
imp "$B/two.clab.yml" "?name=bobs" -H "Authorization: Bearer $TB"
eq "bob imports a lab of his own (201)" "$STATUS $(jqb -r .lab.owner)" "201 bob"
api_as "$TB" GET /api/v1/labs
eq "  bob sees one lab, his" "$(jqb -c '[.labs[].name]')" '["bobs"]'
imp "$B/two.clab.yml" "?name=bobs" -H "Authorization: Bearer $TB"
eq "  the same name again: 409, no second lab" "$STATUS $(nlabs)" "409 1"
api DELETE /api/v1/labs/bobs

# ---- 5. the CLI --------------------------------------------------------------------------------

cli() { nsexec "$LW_BIN" --url "$LW_URL" "$@"; }
cli lab import "$B/two.clab.yml" --name cli-hosts >"$LW_TMP/cli.out" 2>&1
eq "labwire lab import: exit 0" "$?" 0
check "  it prints the lab and the counts" grep -qE '^imported lab cli-hosts \(id [0-9]+\) from clab: 2 nodes, 1 link \(0 LAN segments\)$' "$LW_TMP/cli.out"
check "  and a row per node: a, b from clab:linux to linux-host" eval \
	"grep -qE '^a +clab:linux +linux-host' '$LW_TMP/cli.out' && grep -qE '^b +clab:linux +linux-host' '$LW_TMP/cli.out'"
cli lab export cli-hosts -o "$LW_TMP/cli.labwire.json" >/dev/null
api GET "/api/v1/labs/cli-hosts/export"
check "labwire lab export -o FILE writes the daemon's labwire export" eval \
	'[ "$(cat "$LW_TMP/cli.labwire.json")" = "$BODY" ] && jq -e ".format == \"labwire\" and (.nodes | length) == 2" "$LW_TMP/cli.labwire.json" >/dev/null'
check "labwire lab export --format clab writes a containerlab file" eval \
	'cli lab export cli-hosts --format clab | grep -q "^topology:"'
cli lab import "$B/latin1.clab.yml" >/dev/null 2>"$LW_TMP/cli.err"
eq "lab import of a bad file: exit 1" "$?" 1
check "  with the daemon's message" grep -q 'not UTF-8 at byte .* (HTTP 422)' "$LW_TMP/cli.err"
api DELETE /api/v1/labs/cli-hosts
lw_teardown

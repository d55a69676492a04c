#!/bin/bash
# The API at classroom scale: the open-file limit raised and reported; a
# lab's GET carries an ETag and answers 304 while the lab is unchanged, 200
# after a change, and a read-only user never gets the owner's copy; lists
# page with ?limit and ?after; hundreds of event streams are held without a
# thread each and all get an event; past the per-address and the global
# connection limits clients get 429 and 503 while the streams already open
# keep working, and once they close the API answers again.
. "$(dirname "$0")/lib.sh"
LW_DAEMON_ARGS="--max-connections 300 --max-connections-per-address 250"
lw_setup
HERE=$(cd "$(dirname "$0")" && pwd)
HOSTPORT=${LW_URL#*://}
HOSTPORT=${HOSTPORT%%/*}
PORT=${HOSTPORT##*:}

# The process serving the API (with privilege separation, the unprivileged child).
srv_pid() { nsexec ss -Hltnp "sport = :$PORT" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2; }
threads() { awk '/^Threads:/ {print $2}' "/proc/$(srv_pid)/status"; }

api GET /api/v1/system
eq "/system reports the open-file limit raised to the hard limit" \
	"$(jqb .limits.open_files)" "$(jqb .limits.open_files_max)"
check "which is above select()'s 1024" [ "$(jqb .limits.open_files)" -gt 1024 ]
eq "and the connection limits it was given" \
	"$(jqb -c '[.limits.connections, .limits.connections_per_address]')" "[300,250]"

# ---- a 50-node lab: ETag, 304, 200 after a change ----
api POST /api/v1/labs "$(hosts_lab p50 50 2 chain)"
eq "a 50-node lab is created" "$STATUS" 201
# get_lab TOKEN [CURL ARGS]: the status; headers in h, body in b.
get_lab() {
	local tok=$1
	shift
	rm -f "$LW_TMP/b"
	nsexec curl -q -s -D "$LW_TMP/h" -o "$LW_TMP/b" -w '%{http_code}' \
		-H "Authorization: Bearer $tok" "$@" "$LW_URL/api/v1/labs/p50"
}
etag() { grep -i '^etag:' "$LW_TMP/h" | tr -d '\r' | awk '{print $2}'; }
eq "GET of the lab answers 200" "$(get_lab "$LW_TOKEN")" 200
E1=$(etag)
check "with an ETag" [ -n "$E1" ]
eq "and the whole lab" "$(jq '[(.nodes | length), (.links | length)]' -c "$LW_TMP/b")" "[50,49]"
eq "asked again with If-None-Match: 304" "$(get_lab "$LW_TOKEN" -H "If-None-Match: $E1")" 304
eq "with no body" "$(stat -c %s "$LW_TMP/b" 2>/dev/null || echo 0)" 0
eq "and the same ETag" "$(etag)" "$E1"
eq "a list of ETags that holds it: 304" \
	"$(get_lab "$LW_TOKEN" -H "If-None-Match: \"0000000000000000\", $E1")" 304
eq "another ETag: 200" "$(get_lab "$LW_TOKEN" -H 'If-None-Match: "0000000000000000"')" 200
cp "$LW_TMP/b" "$LW_TMP/plain"
enc() { grep -i '^content-encoding:' "$LW_TMP/h" | tr -d '\r' | awk '{print $2}'; }
eq "a client that accepts gzip gets it" "$(get_lab "$LW_TOKEN" -H 'Accept-Encoding: gzip, deflate, br') $(enc)" "200 gzip"
check "the same lab, smaller than a tenth" cmp -s "$LW_TMP/plain" <(zcat "$LW_TMP/b")
check "(its $(stat -c %s "$LW_TMP/b") bytes against $(stat -c %s "$LW_TMP/plain"))" \
	[ $(($(stat -c %s "$LW_TMP/b") * 10)) -lt "$(stat -c %s "$LW_TMP/plain")" ]
EZ=$(etag)
check "under an ETag of its own ($EZ)" [ -n "$EZ" ] && [ "$EZ" != "$E1" ]
eq "which revalidates too: 304" "$(get_lab "$LW_TOKEN" -H 'Accept-Encoding: gzip' -H "If-None-Match: $EZ")" 304
eq "the gzip form's ETag does not revalidate the plain text: 200" "$(get_lab "$LW_TOKEN" -H "If-None-Match: $EZ")" 200
eq "nor the plain text's the gzip form" "$(get_lab "$LW_TOKEN" -H 'Accept-Encoding: gzip' -H "If-None-Match: $E1")" 200
eq "a weak ETag revalidates too: 304" "$(get_lab "$LW_TOKEN" -H "If-None-Match: W/$E1")" 304
eq "gzip;q=0 is a refusal: uncompressed" "$(get_lab "$LW_TOKEN" -H 'Accept-Encoding: gzip;q=0, identity') $(enc)x" "200 x"
api PATCH /api/v1/labs/p50 '{"description":"changed"}'
eq "after a change the old ETag gets 200" "$(get_lab "$LW_TOKEN" -H "If-None-Match: $E1")" 200
eq "with the change" "$(jq -r .description "$LW_TMP/b")" changed
E2=$(etag)
check "and a new ETag" [ -n "$E2" ] && [ "$E2" != "$E1" ]
api POST /api/v1/labs/p50/nodes '{"name":"h51","template":"linux-host"}'
eq "a node added: 200 again" "$(get_lab "$LW_TOKEN" -H "If-None-Match: $E2")" 200
eq "and the lab has it" "$(jq '.nodes | length' "$LW_TMP/b")" 51
api POST /api/v1/labs/p50/nodes/h1/start
wait_for "h1 running" 30 lab_nodes_are p50 running h1 2>/dev/null ||
	wait_for "h1 running" 30 eval '[ "$(api GET /api/v1/labs/p50/nodes/h1; jqb .state)" = running ]'
eq "a node started: the lab's GET shows it running" \
	"$(get_lab "$LW_TOKEN" >/dev/null; jq -r '.nodes[] | select(.name == "h1") | .state' "$LW_TMP/b")" running
api POST /api/v1/labs/p50/nodes/h1/stop
E3=$(get_lab "$LW_TOKEN" >/dev/null; etag)
api POST /api/v1/users '{"name":"ro","password":"ro-password-1234","role":"user"}'
TRO=$(login ro ro-password-1234)
api PATCH /api/v1/labs/p50 '{"shared_with":[{"user":"ro","access":"read"}]}'
E3=$(get_lab "$LW_TOKEN" >/dev/null; etag)
eq "a read-only user is not given the owner's copy (200, not 304)" \
	"$(get_lab "$TRO" -H "If-None-Match: $E3")" 200
eq "theirs says read access" "$(jq -r .access "$LW_TMP/b")" read
eq "and holds no console token" "$(jq '[.nodes[].console.token // empty] | length' "$LW_TMP/b")" 0
ER=$(etag)
eq "their own copy's ETag gets them 304" "$(get_lab "$TRO" -H "If-None-Match: $ER")" 304
eq "an ETag is no key: without credentials 401" \
	"$(nsexec curl -q -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $E3" "$LW_URL/api/v1/labs/p50")" 401

# ---- pages ----
api GET "/api/v1/labs/p50/nodes?limit=20"
eq "nodes?limit=20 gives 20" "$(jqb '.nodes | length')" 20
NEXT=$(jqb .next)
eq "and next names the 20th" "$NEXT" "$(jqb '.nodes[19].id')"
all=$(jqb -r '.nodes[].name')
pages=1
while [ "$NEXT" != null ] && [ "$pages" -lt 10 ]; do
	api GET "/api/v1/labs/p50/nodes?limit=20&after=$NEXT"
	all+=$'\n'$(jqb -r '.nodes[].name')
	NEXT=$(jqb .next)
	pages=$((pages + 1))
done
eq "following next gives every node once, in 3 pages" \
	"$(sort -u <<<"$all" | wc -l) $(wc -l <<<"$all") $pages" "51 51 3"
api GET "/api/v1/labs/p50/links?limit=10&after=0"
eq "links?limit=10 gives 10 and a next" "$(jqb -c '[(.links | length), (.next != null)]')" "[10,true]"
api GET /api/v1/labs/p50/nodes
eq "without limit every node, and no next" "$(jqb -c '[(.nodes | length), .next]')" "[51,null]"
api POST /api/v1/labs '{"name":"p2"}'
api GET "/api/v1/labs?limit=1"
eq "labs?limit=1 gives one lab and a next" "$(jqb -c '[(.labs | length), (.next != null)]')" "[1,true]"
api GET "/api/v1/labs?limit=1&after=$(jqb .next)"
eq "the next page the other" "$(jqb -r '.labs[0].name')" p2
for bad in "limit=0" "limit=-1" "limit=x" "limit=100000" "after=x" "after=-3"; do
	api GET "/api/v1/labs/p50/nodes?$bad"
	eq "?$bad is refused with 400" "$STATUS $(jqb -r .error.code)" "400 bad_request"
done

# ---- streams without a thread each ----
FIFOS=()
# hold NAME N SRC: N event streams from SRC, held by streams.py until its fifo closes.
hold() {
	local name=$1 n=$2 src=$3
	mkfifo "$LW_TMP/$name.in"
	nsexec /usr/bin/python3 "$HERE/streams.py" 127.0.0.1 "$PORT" "$LW_TOKEN" "$n" "$src" \
		"$LW_TMP/$name.ready" <"$LW_TMP/$name.in" >"$LW_TMP/$name.out" 2>"$LW_TMP/$name.err" &
	eval "pid_$name=$!"
	eval "exec {fd_$name}>\"\$LW_TMP/\$name.in\""
	wait_for "$n streams from $src ($name)" 30 test -s "$LW_TMP/$name.ready"
}
release() {
	local v="fd_$1"
	(trap '' PIPE; echo quit >&"${!v}") 2>/dev/null # in a subshell: a reader gone is no SIGPIPE here
	eval "exec ${!v}>&-"
	v="pid_$1"
	wait "${!v}"
}
# count NAME: how many of its streams see an event (after one is published).
count_of() {
	local v="fd_$1" before
	before=$(wc -l <"$LW_TMP/$1.out")
	echo count >&"${!v}"
	wait_for "$1's count" 10 eval "[ \$(wc -l <\"$LW_TMP/$1.out\") -gt $before ]"
	tail -n 1 "$LW_TMP/$1.out"
}

T0=$(threads)
hold a 200 127.0.0.1
eq "200 event streams open" "$(cat "$LW_TMP/a.ready")" "open 200 0"
api GET /api/v1/system
check "/system counts them (streams_open >= 200)" [ "$(jqb .limits.streams_open)" -ge 200 ]
T1=$(threads)
check "and the server holds them without a thread each ($T0 -> $T1 threads)" [ $((T1 - T0)) -lt 10 ]
api PATCH /api/v1/labs/p50 '{"description":"event for all"}'
eq "an event reaches all 200" "$(count_of a)" 200

# ---- the limits: 429 past one address's, 503 past the server's ----
hold b 50 127.0.0.1
refused() { # SRC: "status code retry-after" of a GET /health... of an authenticated GET from SRC
	nsexec curl -q -s -D "$LW_TMP/rh" -o "$LW_TMP/rb" -w '%{http_code}' --interface "$1" \
		-H "Authorization: Bearer $LW_TOKEN" "$LW_URL/api/v1/labs" >"$LW_TMP/rc"
	printf '%s %s %s' "$(cat "$LW_TMP/rc")" "$(jq -r .error.code "$LW_TMP/rb" 2>/dev/null)" \
		"$(grep -i '^retry-after:' "$LW_TMP/rh" | tr -d '\r' | awk '{print $2}')"
}
eq "250 held from one address: its next request gets 429 with Retry-After" \
	"$(refused 127.0.0.1)" "429 too_many_requests 1"
grep -q "max-connections-per-address" "$LW_TMP/rb" && ok "and the message names the option" ||
	notok "and the message names the option: $(cat "$LW_TMP/rb")"
eq "another address still gets in" "$(refused 127.0.0.2 | cut -d' ' -f1)" 200
hold c 50 127.0.0.2
eq "300 held in all: a third address gets 503 with Retry-After" \
	"$(refused 127.0.0.3)" "503 unavailable 1"
release b
streams_below() { api GET /api/v1/system; [ "$(jqb '.limits.connections_open // 999999')" -lt "$1" ]; }
wait_for "the 50 closed streams let go" 10 streams_below 260
eq "once 50 close, the API answers again" "$(refused 127.0.0.3 | cut -d' ' -f1)" 200
api PATCH /api/v1/labs/p50 '{"description":"after the refusals"}'
eq "the streams held through it all still get events (first address)" "$(count_of a)" 200
eq "(second address)" "$(count_of c)" 50
release a
release c
# A stream's entry goes when its response is freed, its connection's count a moment later.
streams_gone() { api GET /api/v1/system; [ "$(jqb -c '[.limits.streams_open, .limits.connections_open]')" = "[0,1]" ]; }
wait_for "the streams let go" 10 streams_gone
eq "closed streams are let go at once (no keepalive needed to notice)" \
	"$(jqb -c '[.limits.streams_open, .limits.connections_open]')" "[0,1]"
lw_teardown

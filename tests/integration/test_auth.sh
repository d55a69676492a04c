#!/bin/bash
# The identity layer, attacked from outside: every route of web/api.c's table
# without credentials (401) and, under /labs/{lab}, by another plain user
# (404), admin-only routes by a plain user (403) -- nothing changes either
# way; logins (one message, throttling with Retry-After, logout, API tokens,
# expiry in the store); two users' labs, consoles (WebSocket and telnet),
# captures and event streams kept apart; read and write shares; an
# instructor watching a class member's lab read-only; the telnet login
# (no scrollback before it, garbage refused, the CLI's token login);
# quotas; the cookie's Origin check and DNS rebinding; the host-side
# password reset; the audit log; session idle and absolute expiry.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3 # a pyenv python on PATH would lack python3-websockets
WSC="$LW_ROOT/tests/integration/wsclient.py"
lw_setup

# ---- helpers ---------------------------------------------------------------------

# req TOKEN METHOD PATH [BODY [CURL-ARGS...]]: like api_as with a time limit;
# the response headers land in $LW_TMP/headers. Sets STATUS and BODY.
req() {
	local tok=$1 method=$2 path=$3 data=${4-} out
	shift 3
	[ $# -gt 0 ] && shift
	local args=(-q -s --max-time 10 -o "$LW_TMP/body" -D "$LW_TMP/headers" -w '%{http_code}'
		-X "$method" -H 'Content-Type: application/json')
	[ -n "$tok" ] && args+=(-H "Authorization: Bearer $tok")
	[ -n "$data" ] && args+=(--data-binary "$data")
	: >"$LW_TMP/body"
	out=$(nsexec curl "${args[@]}" "$@" "$LW_URL$path" 2>/dev/null)
	STATUS=${out:-000}
	BODY=$(tr -d '\0' <"$LW_TMP/body" 2>/dev/null)
}
header_of() { tr -d '\r' <"$LW_TMP/headers" | sed -n "s/^$1: //Ip" | head -n 1; }
login_body() { jq -nc --arg u "$1" --arg p "$2" '{username: $u, password: $p}'; }
ws() { nsexec "$PY" "$WSC" "$@"; }
# pair_body NAME: create_pair's topology, for any user.
pair_body() {
	printf '%s' "{\"name\":\"$1\",\"nodes\":[
	{\"name\":\"a\",\"template\":\"tiny-linux\",\"nics\":1,\"startup_config\":\"ip addr add 10.9.0.1/24 dev eth0\\nip link set eth0 up\\n\"},
	{\"name\":\"b\",\"template\":\"tiny-linux\",\"nics\":1,\"startup_config\":\"ip addr add 10.9.0.2/24 dev eth0\\nip link set eth0 up\\n\"}],
	\"links\":[{\"endpoints\":[\"a:eth0\",\"b:eth0\"]}]}"
}
# A telnet client: tn.py PORT STEP... with steps e:SECS:REGEX (wait for REGEX
# in what arrived since the last match), s:TEXT (send TEXT and CR), w:SECS
# (read on). Prints what arrived (telnet commands removed, CR dropped) and
# "[closed]" when the daemon hung up; exits 1 when an expectation failed.
cat >"$LW_TMP/tn.py" <<'EOF'
import re, socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
text, pos, closed, state, rc = "", 0, False, 0, 0
def feed(data):
    global text, state
    out = bytearray()
    for b in data:
        if state == 0:
            if b == 255: state = 1
            else: out.append(b)
        elif state == 1:
            if b == 255: out.append(b); state = 0
            elif b in (251, 252, 253, 254): state = 2
            elif b == 250: state = 3
            else: state = 0
        elif state == 2: state = 0
        elif state == 3: state = 4 if b == 255 else 3
        elif state == 4: state = 0 if b == 240 else 3
    text += out.decode("utf-8", "replace").replace("\r", "")
def pump(until, pattern=None):
    global closed
    while not closed:
        if pattern is not None and pattern.search(text, pos): return True
        left = until - time.monotonic()
        if left <= 0: break
        s.settimeout(min(left, 0.2))
        try:
            d = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            d = b""
        if not d: closed = True
        else: feed(d)
    return pattern is not None and pattern.search(text, pos) is not None
for step in sys.argv[2:]:
    kind, _, arg = step.partition(":")
    if kind == "e":
        secs, _, regex = arg.partition(":")
        p = re.compile(regex, re.M)
        if pump(time.monotonic() + float(secs), p):
            pos = p.search(text, pos).end()
        else:
            print("# tn.py: no /%s/" % regex, file=sys.stderr); rc = 1; break
    elif kind == "s":
        try: s.sendall(arg.encode() + b"\r")
        except OSError: closed = True
    elif kind == "w":
        pump(time.monotonic() + float(arg))
sys.stdout.write(text)
if closed: print("[closed]")
sys.exit(rc)
EOF
tn() { nsexec "$PY" "$LW_TMP/tn.py" "$@"; }

# Event streams: ev_start NAME TOKEN; ev_stop NAME; ev_labs NAME prints the
# lab each event of the stream is about, one a line.
declare -A EVPID
ev_start() {
	nsexec curl -q -sN --max-time 300 -H "Authorization: Bearer $2" "$LW_URL/api/v1/events" \
		>"$LW_TMP/ev.$1" 2>/dev/null &
	EVPID[$1]=$!
}
ev_stop() { kill "${EVPID[$1]}" 2>/dev/null; wait "${EVPID[$1]}" 2>/dev/null; }
ev_labs() {
	grep '^data: ' "$LW_TMP/ev.$1" | sed 's/^data: //' |
		jq -r '(.node.lab // .lab.lab // .link.lab // .capture.lab // 0)'
}
ev_count() { ev_labs "$1" | grep -cx "$2" || true; }
ev_has() { [ "$(ev_count "$1" "$2")" -ge "$3" ]; }

# ---- users, a class, two labs ------------------------------------------------------
api POST /api/v1/users '{"name":"alice","password":"alice-pw-1234","role":"user"}'
eq "admin creates user alice" "$STATUS" 201
api POST /api/v1/users '{"name":"bob","password":"bob-pw-12345"}'
eq "admin creates user bob (role user by default)" "$(jqb .role)" user
api POST /api/v1/users '{"name":"ivan","password":"ivan-pw-1234","role":"instructor"}'
eq "admin creates instructor ivan" "$STATUS" 201
api POST /api/v1/users '{"name":"quinn","password":"quinn-pw-123"}'
eq "admin creates user quinn" "$STATUS" 201
api POST /api/v1/users '{"name":"tgt","password":"tgt-pw-12345"}'
eq "admin creates user tgt" "$STATUS" 201
api POST /api/v1/groups '{"name":"cls","leaders":["ivan"],"members":["alice"]}'
eq "admin creates group cls (leader ivan, member alice)" "$STATUS" 201
TA=$(login alice alice-pw-1234)
TB=$(login bob bob-pw-12345)
TI=$(login ivan ivan-pw-1234)
TQ=$(login quinn quinn-pw-123)
check "alice, bob, ivan and quinn log in" test -n "$TA" -a -n "$TB" -a -n "$TI" -a -n "$TQ"

create_pair adm
eq "admin creates lab adm" "$STATUS" 201
ADM=$(jqb .id)
eq "the admin owns adm" "$(jqb .owner)" admin
ADM_LINK=$(jqb '.links[0].id')
# A practice part an attacker could rewrite (guide, checks, stages: in the snapshot).
api PUT "/api/v1/labs/$ADM/checks" '{"checks":[{"id":"c1","description":"a runs","node":"a","kind":"exec","command":"true","match":"x"}]}'
eq "the admin gives adm a check" "$STATUS" 200
api PUT "/api/v1/labs/$ADM/guide" '{"guide":"the admin'"'"'s task"}'
req "$TA" POST /api/v1/labs "$(pair_body alab)"
eq "alice creates lab alab" "$STATUS" 201
ALAB=$(jqb .id)
ALAB_LINK=$(jqb '.links[0].id')
eq "alice owns alab" "$(jqb .owner)" alice
eq "alab is shared with nobody" "$(jqb -c .shared_with)" "[]"
check "alice (owner) sees node a's console token" jqt '.nodes[0].console.token | length > 0'
PORT_A=$(jqb '.nodes[] | select(.name == "a") | .console.port')
PORT_B=$(jqb '.nodes[] | select(.name == "b") | .console.port')
TOKEN_A=$(jqb -r '.nodes[] | select(.name == "a") | .console.token')
api POST "/api/v1/labs/$ADM/start"
eq "admin starts adm" "$STATUS" 202
req "$TA" POST "/api/v1/labs/alab/start"
eq "alice starts alab" "$STATUS" 202

# ---- 2. logins, throttling, logout, API tokens ---------------------------------------
req "" POST /api/v1/auth/login "$(login_body alice wrong-password)"
st1=$STATUS m1=$(jqb .error.message)
req "" POST /api/v1/auth/login "$(login_body nobody-here wrong-password)"
eq "login: a wrong password answers 401" "$st1" 401
eq "login: an unknown user answers 401" "$STATUS" 401
eq "login: both say the same thing" "$(jqb .error.message)" "$m1"
for i in 1 2 3 4 5; do
	req "" POST /api/v1/auth/login "$(login_body tgt "wrong-$i")"
	eq "login: tgt's failure $i answers 401" "$STATUS" 401
done
req "" POST /api/v1/auth/login "$(login_body tgt tgt-pw-12345)"
eq "login: after 5 failures even tgt's right password answers 429" "$STATUS" 429
ra=$(header_of Retry-After)
check "login: the 429 carries Retry-After (1..300 s; got '$ra')" \
	test -n "$ra" -a "${ra:-0}" -ge 1 -a "${ra:-0}" -le 300 2>/dev/null
check "login: the 429 is not a session" test "$(jqb '.token // empty')" = ""
req "" POST /api/v1/auth/login "$(login_body alice alice-pw-1234)"
eq "login: another user from the same address still logs in" "$STATUS" 200
check "login: the answer has a token and the user's role" jqt '(.token | length > 20) and .user.role == "user"'

TA2=$(login alice alice-pw-1234)
req "$TA2" GET /api/v1/auth/me
eq "a session token works (me = alice)" "$(jqb .name)" alice
req "$TA2" POST /api/v1/auth/logout
eq "logout answers 204" "$STATUS" 204
req "$TA2" GET /api/v1/auth/me
eq "the logged-out token answers 401" "$STATUS" 401
req "$TA" GET /api/v1/auth/me
eq "alice's other session still works" "$STATUS" 200
req "not-a-token" GET /api/v1/auth/me
eq "a made-up bearer token answers 401" "$STATUS" 401
req "" GET /api/v1/auth/me "" -H "Authorization: Basic YWRtaW46YWRtaW4="
eq "Basic credentials answer 401" "$STATUS" 401
req "" GET /api/v1/auth/me "" -b "labwire_session=forged"
eq "a forged session cookie answers 401" "$STATUS" 401

req "$TA" POST /api/v1/auth/tokens '{"name":"ci"}'
eq "alice creates an API token (201)" "$STATUS" 201
APITOK=$(jqb .token) APITOK_ID=$(jqb .id)
req "$APITOK" GET /api/v1/auth/me
eq "the API token authenticates as alice" "$(jqb .name)" alice
req "$TA" GET /api/v1/auth/tokens
check "the token list names it" jqt '.tokens | map(.name) | index("ci") != null'
check "the token list does not hold its secret" test "$(grep -c -- "$APITOK" <<<"$BODY")" = 0
check "nor any token or digest field" jqt '[.tokens[] | keys[]] | (index("token") == null and index("digest") == null)'
req "$TB" DELETE "/api/v1/auth/tokens/$APITOK_ID"
eq "bob cannot revoke alice's token (404)" "$STATUS" 404
req "$APITOK" GET /api/v1/auth/me
eq "and it still works" "$STATUS" 200
req "$TA" DELETE "/api/v1/auth/tokens/$APITOK_ID"
eq "alice revokes it (204)" "$STATUS" 204
req "$APITOK" GET /api/v1/auth/me
eq "the revoked API token answers 401" "$STATUS" 401
req "$TA" GET /api/v1/auth/tokens
check "and it is no longer listed" jqt '.tokens | map(.name) | index("ci") == null'
req "$TA" POST /api/v1/auth/tokens '{"name":"short","expires_days":1}'
EXPTOK=$(jqb .token) EXPTOK_ID=$(jqb .id)
req "$EXPTOK" GET /api/v1/auth/me
eq "a token with expires_days works before it expires" "$STATUS" 200
sqlite3 -cmd '.timeout 5000' "$LW_DATA/labwire.db" \
	"UPDATE tokens SET expires_at = CAST(strftime('%s','now') AS INTEGER) - 10 WHERE id = $EXPTOK_ID"
eq "expires_at set in the past in the store" "$?" 0
req "$EXPTOK" GET /api/v1/auth/me
eq "an expired API token answers 401" "$STATUS" 401

# ---- 8. the cookie's Origin check, DNS rebinding -------------------------------------------
JAR=$LW_TMP/jar
nsexec curl -q -s -c "$JAR" -D "$LW_TMP/headers" -o /dev/null -H 'Content-Type: application/json' \
	--data-binary "$(login_body alice alice-pw-1234)" "$LW_URL/api/v1/auth/login"
cookie=$(header_of Set-Cookie)
check "login sets the session cookie HttpOnly" grep -qi 'HttpOnly' <<<"$cookie"
check "and SameSite=Strict" grep -qi 'SameSite=Strict' <<<"$cookie"
req "" GET /api/v1/auth/me "" -b "$JAR"
eq "the cookie alone authenticates a GET" "$(jqb .name)" alice
req "" POST /api/v1/auth/tokens '{"name":"ck-none"}' -b "$JAR"
eq "a cookie POST without Origin answers 403" "$STATUS" 403
req "" POST /api/v1/auth/tokens '{"name":"ck-evil"}' -b "$JAR" -H "Origin: http://evil.example"
eq "a cookie POST with a foreign Origin answers 403" "$STATUS" 403
req "" POST /api/v1/auth/tokens '{"name":"ck-null"}' -b "$JAR" -H "Origin: null"
eq "a cookie POST with Origin: null answers 403" "$STATUS" 403
req "" POST /api/v1/auth/tokens '{"name":"ck-good"}' -b "$JAR" -H "Origin: http://127.0.0.1:$LW_PORT"
eq "a cookie POST with the daemon's own Origin works (201)" "$STATUS" 201
req "$TA" GET /api/v1/auth/tokens
eq "only that one made a token" "$(jqb -c '[.tokens[].name | select(startswith("ck-"))]')" '["ck-good"]'
req "" GET /api/v1/health "" -H "Host: evil.example:$LW_PORT"
eq "DNS rebinding: Host evil.example answers 403 (health)" "$STATUS" 403
req "$TA" GET /api/v1/labs "" -H "Host: evil.example:$LW_PORT"
eq "DNS rebinding: Host evil.example answers 403 even with a token" "$STATUS" 403
req "" POST /api/v1/auth/login "$(login_body alice alice-pw-1234)" -H "Host: evil.example:$LW_PORT"
eq "DNS rebinding: a login through a foreign Host answers 403" "$STATUS" 403
req "$TA" GET /api/v1/auth/me "" -H "Host: localhost:$LW_PORT"
eq "Host localhost (one of its names) is served" "$STATUS" 200

# ---- both labs up ------------------------------------------------------------------------------
check "adm's nodes become ready" wait_for ready 90 lab_nodes_ready "$ADM"
check "alab's nodes become ready" wait_for ready 90 lab_nodes_ready "$ALAB"
api POST "/api/v1/labs/$ADM/links/$ADM_LINK/captures" '{}'
eq "admin starts a capture on adm's link" "$STATUS" 201
ADM_CAP=$(jqb .id)
api POST /api/v1/auth/tokens '{"name":"sweep"}'
ADMIN_TOK_ID=$(jqb .id)
api GET /api/v1/images
IMG=$(jqb -r '(.images // .) | map(.name) | .[0] // "tiny-linux"')

# ---- 1. the route table: no credentials 401; another user 404; admin-only 403 -------------------
mapfile -t ROUTES < <(grep -oE '^\s*\{"(GET|POST|PATCH|DELETE|PUT)", "/api/v1[^"]*", [a-z_0-9]+, [^}]*\}' \
	"$LW_ROOT/web/api.c" | sed -E 's/^\s*\{"([A-Z]+)", "([^"]*)", [a-z_0-9]+, ([^}]*)\}$/\1 \2 \3/')
check "the route table of web/api.c parses (${#ROUTES[@]} routes)" test "${#ROUTES[@]}" -ge 50
eq "every route line of web/api.c is parsed" "${#ROUTES[@]}" \
	"$(grep -cE '^\s*\{"[A-Z]+", "/api/v1' "$LW_ROOT/web/api.c")"

# route_path PATTERN: the pattern with real ids; a parameter of an unknown kind fails the test.
route_path() {
	local p
	p=$(sed -E "s#/labs/\{\}#/labs/$ADM#; s#/nodes/\{\}#/nodes/a#; s#/links/\{\}#/links/$ADM_LINK#;
		s#/captures/\{\}#/captures/$ADM_CAP#; s#/users/\{\}#/users/alice#; s#/groups/\{\}#/groups/cls#;
		s#/templates/\{\}#/templates/tiny-linux#; s#/images/\{\}#/images/$IMG#;
		s#/stages/\{\}#/stages/1#; s#/grades/\{\}#/grades/1#;
		s#/tokens/\{\}#/tokens/$ADMIN_TOK_ID#" <<<"$1")
	case "$p" in *'{}'*) return 1 ;; esac
	printf '%s' "$p"
}
# route_body METHOD PATTERN: what an attacker would send.
route_body() {
	case "$1 $2" in
	"PATCH /api/v1/labs/{}") echo '{"description":"pwned","shared_with":[{"user":"bob","access":"write"}]}' ;;
	"POST /api/v1/labs/{}/nodes") echo '{"name":"evil","template":"tiny-linux"}' ;;
	"PATCH /api/v1/labs/{}/nodes/{}") echo '{"x":666}' ;;
	"POST /api/v1/labs/{}/nodes/{}/console/exec") echo '{"send":"echo pw$((1+1))ned","expect":"pw2ned","timeout_s":2}' ;;
	"POST /api/v1/labs/{}/links") echo '{"endpoints":["a:eth0","b:eth0"]}' ;;
	"PUT /api/v1/labs/{}/guide") echo '{"guide":"pwned"}' ;;
	"PUT /api/v1/labs/{}/checks") echo '{"checks":[]}' ;;
	"PUT /api/v1/labs/{}/stages") echo '{"stages":[]}' ;;
	"PATCH /api/v1/labs/{}/links/{}") echo '{"state":"down"}' ;;
	"POST /api/v1/users") echo '{"name":"evil","password":"evil-pw-123","role":"admin"}' ;;
	"PATCH /api/v1/users/{}") echo '{"role":"admin","password":"evil-pw-123"}' ;;
	"POST /api/v1/groups") echo '{"name":"evil","leaders":["ivan"],"members":["bob"]}' ;;
	"PATCH /api/v1/groups/{}") echo '{"members":["bob"]}' ;;
	"POST /api/v1/labs") echo "$(pair_body evil)" ;;
	"POST /api/v1/auth/tokens") echo '{"name":"evil"}' ;;
	*) case "$1" in GET | DELETE) echo '' ;; *) echo '{}' ;; esac ;;
	esac
}
has_flag() { tr -d '|' <<<"$1" | grep -qw "$2"; }
# A snapshot of what an attacker might change, as the admin sees it.
snapshot() {
	{
		api GET /api/v1/labs
		jqb -S '[.labs[] | {id, name, description, owner, node_count, link_count}]'
		api GET "/api/v1/labs/$ADM"
		jqb -S '{name, description, owner, shared_with, guide, checks, stages, nodes: [.nodes[] | {name, state, template, ram_mb, cpus, startup_config, x, y, console}], links: [.links[] | {id, state, impairment, endpoints}]}'
		api GET "/api/v1/labs/$ADM/links/$ADM_LINK/captures"
		jqb -S '[(.captures // .)[] | {id, state}]'
		api GET /api/v1/users
		jqb -S '[.users[] | {name, role, quota, groups}]'
		api GET /api/v1/groups
		jqb -S .
		api GET /api/v1/templates
		jqb -S '[(.templates // .)[] | .name]'
		api GET /api/v1/images
		jqb -S '[(.images // .)[] | .name]'
		api GET /api/v1/auth/tokens
		jqb -S '[.tokens[] | {id, name}]'
		req "$TA" GET /api/v1/auth/tokens
		jqb -S '[.tokens[] | {id, name}]'
	} 2>&1
}
before=$(snapshot)
for r in "${ROUTES[@]}"; do
	read -r method pattern flags <<<"$r"
	has_flag "$flags" P && continue
	if ! path=$(route_path "$pattern"); then
		notok "no credentials: $method $pattern has a parameter this test does not know"
		continue
	fi
	req "" "$method" "$path" "$(route_body "$method" "$pattern")"
	eq "no credentials: $method $pattern answers 401" "$STATUS" 401
done
req "" POST "/api/v1/images?name=evil" "not an image" -H 'Content-Type: application/octet-stream'
eq "no credentials: POST /api/v1/images (upload) answers 401" "$STATUS" 401
eq "no credentials: the console WebSocket answers 401" \
	"$(LW_TOKEN='' ws status "ws://127.0.0.1:$LW_PORT/api/v1/labs/$ADM/nodes/a/console")" 401
after=$(snapshot)
eq "no credentials: nothing changed (labs, users, groups, templates, images, tokens)" "$after" "$before"
[ "$after" = "$before" ] && : || diff <(echo "$before") <(echo "$after") | head -n 20 | sed 's/^/# /'

for r in "${ROUTES[@]}"; do
	read -r method pattern flags <<<"$r"
	case "$pattern" in /api/v1/labs/\{\}*) ;; *) continue ;; esac
	path=$(route_path "$pattern") || continue
	req "$TB" "$method" "$path" "$(route_body "$method" "$pattern")"
	eq "bob on the admin's lab: $method $pattern answers 404" "$STATUS" 404
	[ "$STATUS" = 404 ] && { jqt '.error.message | test("not found")' || notok "bob: $method $pattern: message '$(jqb .error.message)'"; }
done
req "$TB" GET "/api/v1/labs/no-such-lab"
nf_missing=$(jqb .error.message | sed 's/no-such-lab/X/')
req "$TB" GET "/api/v1/labs/adm"
eq "bob: the admin's lab by name says the same as a missing lab" "$(jqb .error.message | sed 's/adm/X/')" "$nf_missing"
req "$TB" GET /api/v1/labs
eq "bob's lab list is empty" "$(jqb -c '[.labs[].name]')" "[]"
eq "bob: the admin's console WebSocket answers 404" \
	"$(LW_TOKEN=$TB ws status "ws://127.0.0.1:$LW_PORT/api/v1/labs/$ADM/nodes/a/console")" 404

for r in "${ROUTES[@]}"; do
	read -r method pattern flags <<<"$r"
	case "$pattern" in /api/v1/labs/\{\}*) continue ;; esac
	has_flag "$flags" P && continue
	path=$(route_path "$pattern") || continue
	if has_flag "$flags" A; then
		req "$TB" "$method" "$path" "$(route_body "$method" "$pattern")"
		eq "bob on an admin route: $method $pattern answers 403" "$STATUS" 403
	elif [[ $pattern == /api/v1/users/* || $pattern == /api/v1/auth/tokens/* ]]; then # another's
		req "$TB" "$method" "$path" "$(route_body "$method" "$pattern")"
		check "bob on another's object: $method $pattern is refused (403/404; got $STATUS)" \
			test "$STATUS" = 403 -o "$STATUS" = 404
	fi
done
req "$TB" POST "/api/v1/images?name=evil&template=tiny-linux" "not an image" -H 'Content-Type: application/octet-stream'
eq "bob: an image upload answers 403" "$STATUS" 403
req "$TB" PATCH /api/v1/users/bob '{"role":"admin"}'
eq "bob cannot make himself admin (403)" "$STATUS" 403
req "$TB" PATCH /api/v1/users/bob '{"quota":{"running_nodes":1000}}'
eq "bob cannot raise his own quota (403)" "$STATUS" 403
req "$TB" PATCH /api/v1/users/bob '{"password":"bob-new-pw-1"}'
eq "bob cannot change his password without the current one (422)" "$STATUS" 422
req "$TB" GET /api/v1/groups
eq "bob leads no group: the group list is empty" "$(jqb -c '[.groups[].name]')" "[]"
after=$(snapshot)
eq "bob: nothing changed (labs, users, groups, templates, images, tokens)" "$after" "$before"
[ "$after" = "$before" ] && : || diff <(echo "$before") <(echo "$after") | head -n 20 | sed 's/^/# /'
api GET "/api/v1/labs/$ADM/nodes/a"
eq "the admin's node a still runs" "$(jqb .state)" running
api POST "/api/v1/labs/$ADM/stop"
eq "admin stops adm (its part is done)" "$STATUS" 202

# ---- 3. two users: labs, consoles, captures, events apart ---------------------------------
ev_start A "$TA"
ev_start B "$TB"
TA3=$(login alice alice-pw-1234)
ev_start A3 "$TA3"
sleep 0.5
req "$TA" PATCH /api/v1/labs/alab '{"description":"phase 3"}'
eq "alice describes alab" "$STATUS" 200
check "alice's stream shows the update" wait_for eventA 5 ev_has A "$ALAB" 1
check "alice's second session's stream too" wait_for eventA3 5 ev_has A3 "$ALAB" 1
req "$TA3" POST /api/v1/auth/logout
eq "alice logs the second session out" "$STATUS" 204
n_a3=$(ev_count A3 "$ALAB")
req "$TA" POST "/api/v1/labs/alab/links/$ALAB_LINK/captures" '{}'
eq "alice starts a capture on alab's link" "$STATUS" 201
ACAP=$(jqb .id)
req "$TA" PATCH /api/v1/labs/alab '{"description":"phase 3b"}'
sleep 1
req "$TA" DELETE "/api/v1/labs/alab/links/$ALAB_LINK/captures/$ACAP"
eq "alice stops the capture (200 with its final counters)" "$STATUS" 200
req "$TA" GET "/api/v1/labs/alab/links/$ALAB_LINK/captures/$ACAP/pcap"
eq "alice downloads her pcap (200)" "$STATUS" 200
req "$TB" GET "/api/v1/labs/$ALAB/links/$ALAB_LINK/captures/$ACAP/pcap"
eq "bob: alice's pcap answers 404" "$STATUS" 404
req "$TB" GET "/api/v1/labs/$ALAB/links/$ALAB_LINK/recent.pcap"
eq "bob: alice's link's recent.pcap answers 404" "$STATUS" 404
req "$TB" GET /api/v1/labs/alab
eq "bob: alice's lab answers 404" "$STATUS" 404
req "$TB" POST "/api/v1/labs/$ALAB/nodes/a/console/exec" '{"send":"echo x","expect":"x"}'
eq "bob: exec on alice's console answers 404" "$STATUS" 404
req "$TB" GET "/api/v1/labs/$ALAB/nodes/a/console.log"
eq "bob: alice's console log answers 404" "$STATUS" 404
eq "bob: alice's console WebSocket answers 404" \
	"$(LW_TOKEN=$TB ws status "ws://127.0.0.1:$LW_PORT/api/v1/labs/$ALAB/nodes/a/console")" 404
out=$(tn "$PORT_A" e:5:'login: $' s:bob e:5:'Password: $' s:bob-pw-12345 e:8:'Login incorrect|\(read-only' w:0.5)
check "bob: telnet to alice's console with bob's password gets 'Login incorrect'" grep -q 'Login incorrect' <<<"$out"
check "and sees nothing of the guest" eval '! grep -q "labwire: ready" <<<"$out"'
check "alice's stream shows her capture and updates" wait_for eventA 5 ev_has A "$ALAB" 4
sleep 1
eq "bob's event stream carried none of it (no events at all)" "$(grep -c '^data: ' "$LW_TMP/ev.B")" 0
eq "a stream whose session was logged out carries no new event" "$(ev_count A3 "$ALAB")" "$n_a3"
ev_stop A
ev_stop B
ev_stop A3

# ---- 4. shares -----------------------------------------------------------------------------------
req "$TA" PATCH /api/v1/labs/alab '{"shared_with":[{"user":"bob","access":"read"}]}'
eq "alice shares alab with bob, read-only" "$(jqb -c .shared_with)" '[{"user":"bob","access":"read"}]'
ev_start B2 "$TB"
sleep 0.5
req "$TA" PATCH /api/v1/labs/alab '{"description":"phase 4"}'
eq "alice describes alab again" "$STATUS" 200
req "$TB" GET /api/v1/labs/alab
eq "bob (read): GET alab answers 200" "$STATUS" 200
check "bob (read): no console token in the lab's nodes" jqt '[.nodes[].console | has("token")] | any | not'
check "bob (read): the lab still shows the console port" jqt '.nodes[0].console.port > 0'
req "$TB" GET /api/v1/labs/alab/nodes/a
check "bob (read): no console token in GET node" jqt '(.console | has("token")) | not'
req "$TB" GET /api/v1/labs/alab/nodes
check "bob (read): no console token in the node list" \
	jqt '[(.nodes // .)[] | .console | has("token")] | any | not'
req "$TB" GET /api/v1/labs
check "bob (read): alab is in bob's lab list" jqt '.labs | map(.name) | index("alab") != null'
snapA() { req "$TA" GET /api/v1/labs/alab; jqb -S '{name, description, owner, shared_with, nodes: [.nodes[] | {name, state, x}], links: [.links[] | {id, state}]}'; }
before=$(snapA)
for w in "POST /api/v1/labs/alab/start" "POST /api/v1/labs/alab/stop" "POST /api/v1/labs/alab/nodes/a/stop" \
	"POST /api/v1/labs/alab/nodes/a/reload" "DELETE /api/v1/labs/alab/nodes/b" "DELETE /api/v1/labs/alab"; do
	req "$TB" $w
	eq "bob (read): $w answers 403" "$STATUS" 403
done
req "$TB" PATCH /api/v1/labs/alab '{"description":"by bob"}'
eq "bob (read): PATCH alab answers 403" "$STATUS" 403
req "$TB" PATCH /api/v1/labs/alab '{"shared_with":[{"user":"bob","access":"write"}]}'
eq "bob (read): raising his own share answers 403" "$STATUS" 403
req "$TB" POST /api/v1/labs/alab/nodes '{"name":"c","template":"tiny-linux"}'
eq "bob (read): adding a node answers 403" "$STATUS" 403
req "$TB" PATCH "/api/v1/labs/alab/links/$ALAB_LINK" '{"state":"down"}'
eq "bob (read): taking the link down answers 403" "$STATUS" 403
req "$TB" POST /api/v1/labs/alab/nodes/a/console/exec '{"send":"echo ex$((2+2))ec","expect":"ex4ec","timeout_s":2}'
eq "bob (read): console exec answers 403" "$STATUS" 403
req "$TB" POST "/api/v1/labs/alab/links/$ALAB_LINK/captures" '{}'
eq "bob (read): starting a capture answers 403" "$STATUS" 403
eq "bob (read): nothing changed in alab" "$(snapA)" "$before"
WS_A="ws://127.0.0.1:$LW_PORT/api/v1/labs/$ALAB/nodes/a/console"
LW_TOKEN=$TB ws chat "$WS_A" --send 'echo ro$((3*5))x' --expect '^ro15x$' --timeout 4 >"$LW_TMP/ro.out" 2>&1
check "bob (read): what bob types on the WebSocket gets no answer" test $? -ne 0
req "$TA" POST /api/v1/labs/alab/nodes/a/console/exec '{"send":"echo al$((1+1))ive","expect":"^al2ive","timeout_s":10}'
eq "alice's console still answers" "$STATUS" 200
check "bob's line never reached the guest (alice's view of the console)" jqt '.output | test("ro15x") | not'
req "$TA" GET /api/v1/labs/alab/nodes/a/console.log
check "nor alice's console log" test "$(grep -c 'ro15x' <<<"$BODY")" = 0
LW_TOKEN=$TB ws chat "$WS_A" --expect '^wa42tch$' --timeout 20 >"$LW_TMP/watch.out" 2>&1 &
WPID=$!
sleep 2
req "$TA" POST /api/v1/labs/alab/nodes/a/console/exec '{"send":"echo wa$((6*7))tch","expect":"^wa42tch","timeout_s":10}'
wait "$WPID"
eq "bob (read): the WebSocket shows what alice typed (watching)" "$?" 0
check "bob's stream (opened after the share) shows alab's events" wait_for eventB2 5 ev_has B2 "$ALAB" 1
ev_stop B2

req "$TA" PATCH /api/v1/labs/alab '{"shared_with":[{"user":"bob","access":"write"}]}'
eq "alice gives bob write access" "$(jqb -c .shared_with)" '[{"user":"bob","access":"write"}]'
req "$TB" GET /api/v1/labs/alab/nodes/a
check "bob (write): the node shows its console token now" jqt '.console.token | length > 0'
req "$TB" POST /api/v1/labs/alab/nodes/b/stop
eq "bob (write): stopping node b answers 202" "$STATUS" 202
node_b_is() { req "$TA" GET /api/v1/labs/alab/nodes/b; [ "$(jqb .state)" = "$1" ]; }
check "node b stops" wait_for stopped 30 node_b_is stopped
req "$TB" POST /api/v1/labs/alab/start
eq "bob (write): starting the lab answers 202" "$STATUS" 202
check "node b runs again" wait_for running 30 node_b_is running
req "$TB" PATCH /api/v1/labs/alab '{"description":"by bob","shared_with":[{"user":"bob","access":"write"},{"user":"ivan","access":"write"}]}'
eq "bob (write): changing shared_with answers 403" "$STATUS" 403
req "$TA" GET /api/v1/labs/alab
eq "and the description in the same request was not applied" "$(jqb .description)" "phase 4"
eq "nor the shares" "$(jqb -c .shared_with)" '[{"user":"bob","access":"write"}]'
req "$TB" PATCH /api/v1/labs/alab '{"owner":"bob"}'
eq "bob (write): taking ownership answers 403" "$STATUS" 403
req "$TB" DELETE /api/v1/labs/alab
eq "bob (write): deleting the lab answers 403" "$STATUS" 403
LW_TOKEN=$TB ws chat "$WS_A" --expect '^rv77ok$' --timeout 10 >"$LW_TMP/revoked.out" 2>&1 &
WPID=$!
sleep 2
req "$TA" PATCH /api/v1/labs/alab '{"shared_with":[]}'
eq "alice removes the share" "$(jqb -c .shared_with)" "[]"
req "$TA" POST /api/v1/labs/alab/nodes/a/console/exec '{"send":"echo rv$((7*11))ok","expect":"^rv77ok","timeout_s":10}'
wait "$WPID"
check "bob's console WebSocket opened under the share shows nothing once it is removed" test $? -ne 0
req "$TB" GET /api/v1/labs/alab
eq "bob: alab answers 404 again" "$STATUS" 404

# ---- 5. the instructor ----------------------------------------------------------------------------
req "$TI" GET /api/v1/labs
check "ivan (leader of alice's class) lists alab" jqt '.labs | map(.name) | index("alab") != null'
check "but not the admin's lab" jqt '.labs | map(.name) | index("adm") == null'
req "$TI" GET /api/v1/labs/alab
eq "ivan reads alab (200)" "$STATUS" 200
check "ivan sees no console token" jqt '[.nodes[].console | has("token")] | any | not'
req "$TI" GET /api/v1/groups
eq "ivan lists the group he leads" "$(jqb -c '[.groups[].name]')" '["cls"]'
for w in "POST /api/v1/labs/alab/start" "POST /api/v1/labs/alab/stop" "POST /api/v1/labs/alab/nodes/a/stop"; do
	req "$TI" $w
	eq "ivan: $w answers 403" "$STATUS" 403
done
req "$TI" GET "/api/v1/labs/$ADM"
eq "ivan: the admin's lab answers 404" "$STATUS" 404
LW_TOKEN=$TI ws chat "$WS_A" --send 'echo iv$((2*9))ws' --expect '^iv18ws$' --timeout 4 >/dev/null 2>&1
check "ivan: what he types on the WebSocket gets no answer" test $? -ne 0
out=$(tn "$PORT_A" e:5:'login: $' s:ivan e:5:'Password: $' s:ivan-pw-1234 \
	e:10:'read-only' s:'echo in$((4*4))str' w:3)
check "ivan: telnet with his password gets the read-only notice" grep -q '(read-only: you can watch this console, not type)' <<<"$out"
check "ivan: the watcher gets the scrollback" grep -q 'labwire: ready' <<<"$out"
check "ivan: his telnet line gets no answer" eval '! grep -q "^in16str" <<<"$out"'
req "$TA" POST /api/v1/labs/alab/nodes/a/console/exec '{"send":"echo af$((3+3))ter","expect":"^af6ter","timeout_s":10}'
check "ivan's lines never reached the guest" jqt '.output | test("in16str|iv18ws") | not'
req "$TA" GET /api/v1/labs/alab/nodes/a/console.log
check "nor alice's console log" test "$(grep -cE 'in16str|iv18ws' <<<"$BODY")" = 0
api PATCH /api/v1/users/ivan '{"role":"user"}'
eq "admin demotes ivan to a plain user" "$(jqb .role)" user
req "$TI" GET /api/v1/labs/alab
eq "demoted ivan no longer reads his old class's lab (404)" "$STATUS" 404
api PATCH /api/v1/users/ivan '{"role":"instructor"}'

# Sharing alab rotated its nodes' console tokens: one seen under the old shares is dead.
out=$(tn "$PORT_A" e:5:'login: $' s:token e:5:'Password: $' s:"$TOKEN_A" e:8:'Login incorrect|\$ $' w:0.5)
check "after alab's shares changed, node a's old console token is refused" grep -q 'Login incorrect' <<<"$out"
OLD_TOKEN_A=$TOKEN_A
req "$TA" GET /api/v1/labs/alab
TOKEN_A=$(jqb -r '.nodes[] | select(.name == "a") | .console.token')
check "alice sees node a's new console token" test -n "$TOKEN_A" -a "$TOKEN_A" != "$OLD_TOKEN_A"

# ---- 6. the telnet login -----------------------------------------------------------------------
out=$(tn "$PORT_A" w:3)
check "telnet without credentials: the login prompt" grep -q 'login: ' <<<"$out"
check "and no scrollback (no boot text)" eval '! grep -qE "labwire: ready|Linux|eth0" <<<"$out"'
out=$(tn "$PORT_A" e:5:'login: $' s:root e:5:'Password: $' s:root e:8:'Login incorrect' \
	e:5:'login: $' s:admin e:5:'Password: $' s:admin e:8:'Login incorrect' \
	e:5:'login: $' s:token e:5:'Password: $' s:lwc_0000 e:8:'Login incorrect' w:2)
check "garbage credentials: 'Login incorrect' three times" test "$(grep -c 'Login incorrect' <<<"$out")" = 3
check "then 'Too many failures' and the port hangs up" grep -qzE 'Too many failures.*\[closed\]' <<<"$out"
check "and no guest output was shown" eval '! grep -qE "labwire: ready|ro15x|wa42tch" <<<"$out"'
out=$(tn "$PORT_B" e:5:'login: $' s:token e:5:'Password: $' s:"$TOKEN_A" e:8:'Login incorrect|\$ $' w:0.5)
check "node a's console token does not open node b's console" grep -q 'Login incorrect' <<<"$out"
out=$(tn "$PORT_A" e:5:'login: $' s:token e:5:'Password: $' s:"$TOKEN_A" w:1 s:'echo tk$((5*5))ok' e:10:'^tk25ok')
check "node a's console token opens node a's console (typing works)" grep -q '^tk25ok' <<<"$out"
out=$(console alab a --send 'echo cl$((2*21))i' --expect '^cl42i$' --timeout 20 2>&1)
check "labwire console (admin's token) logs in by itself and types" grep -q '^cl42i' <<<"$out"
out=$(LABWIRE_TOKEN=$TA console alab a --send 'echo al$((2*21))i' --expect '^al42i$' --timeout 20 2>&1)
check "labwire console as alice works on her own lab" grep -q '^al42i' <<<"$out"
out=$(LABWIRE_TOKEN=$TB console "$ALAB" a --expect 'labwire: ready' --timeout 5 2>&1)
check "labwire console as bob does not attach to alice's lab" eval '! grep -q "labwire: ready" <<<"$out"'

# ---- 7. quotas -----------------------------------------------------------------------------------
api PATCH /api/v1/users/quinn '{"quota":{"running_nodes":1}}'
eq "admin sets quinn's quota to 1 running node" "$(jqb .quota.running_nodes)" 1
req "$TQ" POST /api/v1/labs "$(pair_body qlab)"
eq "quinn creates a 2-node lab" "$STATUS" 201
nq=$(qemu_count)
req "$TQ" POST /api/v1/labs/qlab/start
eq "quinn starting 2 nodes over a quota of 1 answers 429" "$STATUS" 429
check "the message names the numbers (may run 1, would start 2; got '$(jqb .error.message)')" \
	jqt '.error.message | test("\\b1\\b") and test("\\b2\\b")'
req "$TQ" GET /api/v1/labs/qlab
eq "no node of qlab started" "$(jqb -c '[.nodes[].state] | unique')" '["stopped"]'
sleep 1
eq "no QEMU process was added" "$(qemu_count)" "$nq"
req "$TQ" POST /api/v1/labs/qlab/nodes/a/start
eq "quinn starting one node (within the quota) answers 202" "$STATUS" 202
req "$TQ" POST /api/v1/labs/qlab/nodes/b/start
eq "a second node answers 429" "$STATUS" 429
req "$TQ" GET /api/v1/labs/qlab/nodes/b
eq "and node b stays stopped" "$(jqb .state)" stopped
req "$TQ" POST /api/v1/labs/qlab/stop
qlab_stopped() { req "$TQ" GET /api/v1/labs/qlab; [ "$(jqb -c '[.nodes[].state] | unique')" = '["stopped"]' ]; }
check "qlab stops" wait_for stopped 60 qlab_stopped
req "$TQ" DELETE /api/v1/labs/qlab
eq "quinn deletes qlab (owner: 204)" "$STATUS" 204

# ---- 10. the audit log ----------------------------------------------------------------------------
api GET "/api/v1/audit?limit=1000"
eq "admin reads the audit log" "$STATUS" 200
audit_has() { jqt "[.entries[] | select($1)] | length > 0"; }
check "audit: the failed logins (tgt)" audit_has '.action == "login" and .ok == false and .target == "tgt"'
check "audit: the unknown user's failed login" audit_has '.action == "login" and .ok == false and .target == "nobody-here"'
check "audit: alice's successful login" audit_has '.action == "login" and .ok == true and .user == "alice"'
check "audit: alice's lab create" audit_has '.action == "lab.create" and .user == "alice" and .target == "alab"'
check "audit: alice's lab start" audit_has '.action == "lab.start" and .user == "alice" and .target == "alab"'
check "audit: quinn's refused lab start" audit_has '.action == "lab.start" and .user == "quinn" and .ok == false'
check "audit: quinn's lab delete" audit_has '.action == "lab.delete" and .user == "quinn" and .target == "qlab"'
check "audit: bob watching a console (console.ws)" audit_has '.action == "console.ws" and .user == "bob"'
check "audit: ivan's telnet console attach" audit_has '.action == "console.telnet" and .user == "ivan" and .ok == true'
check "audit: refused telnet logins" audit_has '.action == "console.telnet" and .ok == false'
check "audit: alice's token creation" audit_has '.action == "token.create" and .user == "alice" and .target == "ci"'
check "audit: entries carry the client's address" audit_has '.action == "login" and .addr == "127.0.0.1"'
check "audit: no password in the log" test "$(grep -cE 'alice-pw-1234|wrong-password' <<<"$BODY")" = 0

# ---- 11. what a review found: demotion, follow streams, resets, limits --------------------
api POST /api/v1/users '{"name":"mal","password":"mal-pw-12345","role":"admin"}'
TM=$(login mal mal-pw-12345)
ev_start M "$TM"
req "$TM" GET /api/v1/labs/alab
MAL_TOK=$(jqb -r '.nodes[] | select(.name == "a") | .console.token')
check "mal (an admin) sees node a's console token" test -n "$MAL_TOK" -a "$MAL_TOK" != null
sleep 1
api PATCH /api/v1/users/mal '{"role":"user"}'
eq "admin demotes mal to a plain user" "$(jqb .role)" user
out=$(tn "$PORT_A" e:5:'login: $' s:token e:5:'Password: $' s:"$MAL_TOK" e:8:'Login incorrect|\$ $' w:0.5)
check "demoted mal's console token no longer opens node a's console" grep -q 'Login incorrect' <<<"$out"
n_m=$(ev_count M "$ALAB")
req "$TA" PATCH /api/v1/labs/alab '{"description":"after mal"}'
sleep 2
eq "demoted mal's open event stream carries no more of alab's events" "$(ev_count M "$ALAB")" "$n_m"
ev_stop M

req "$TA" PATCH /api/v1/labs/alab '{"shared_with":[{"user":"bob","access":"read"}]}'
req "$TA" POST "/api/v1/labs/alab/links/$ALAB_LINK/captures" '{}'
eq "alice starts a capture for bob to follow" "$STATUS" 201
FCAP=$(jqb .id)
# Not through nsexec: $! must be curl itself.
ip netns exec "$LW_NS" curl -q -sN --max-time 60 -H "Authorization: Bearer $TB" \
	"$LW_URL/api/v1/labs/$ALAB/links/$ALAB_LINK/captures/$FCAP/pcap?follow=1" >"$LW_TMP/bobfollow" 2>/dev/null &
FPID=$!
sleep 1
check "bob (read share) follows alice's live capture" kill -0 "$FPID"
req "$TA" PATCH /api/v1/labs/alab '{"shared_with":[]}'
follow_ended() { ! kill -0 "$FPID" 2>/dev/null; }
check "bob's follow stream ends once the share is gone" wait_for followend 12 follow_ended
kill "$FPID" 2>/dev/null
wait "$FPID" 2>/dev/null
req "$TA" DELETE "/api/v1/labs/alab/links/$ALAB_LINK/captures/$FCAP"

req "$TB" POST /api/v1/auth/tokens '{"name":"bobci"}'
BOBAPI=$(jqb -r .token)
api PATCH /api/v1/users/bob '{"password":"bob-new-pw-123"}'
eq "admin resets bob's password" "$STATUS" 200
req "$BOBAPI" GET /api/v1/auth/me
eq "the reset revokes bob's API tokens too (401)" "$STATUS" 401
req "$TB" GET /api/v1/auth/me
eq "and his sessions (401)" "$STATUS" 401
req "$TQ" PATCH /api/v1/users/quinn '{"current_password":"quinn-pw-123","password":"quinn-pw-456"}'
eq "quinn changes her own password" "$STATUS" 200
req "$TQ" GET /api/v1/auth/me
eq "the session she changed it with still works" "$STATUS" 200
for i in $(seq 1 100); do req "$TQ" POST /api/v1/auth/tokens "{\"name\":\"t$i\"}"; done
eq "quinn's 100th API token is made" "$STATUS" 201
req "$TQ" POST /api/v1/auth/tokens '{"name":"t101"}'
eq "the 101st answers 429 (at most 100 a user)" "$STATUS" 429

req "$TA" POST /api/v1/labs/alab/stop
eq "alice stops alab" "$STATUS" 202
check "every node stops" wait_for stopped 60 lab_nodes_are "$ALAB" stopped
check "adm stopped too" wait_for stopped 60 lab_nodes_are "$ADM" stopped

# ---- 9. the host-side password reset ----------------------------------------------------------
OLD_PW=$(cat "$LW_DATA/initial-admin-password")
lw_stop_daemon
echo 'admin-new-pw-42' | "$LW_BIN" user passwd admin --data-dir "$LW_DATA" >"$LW_TMP/passwd.out" 2>&1
eq "labwire user passwd admin --data-dir exits 0" "$?" 0
check "the initial-admin-password file is gone" test ! -e "$LW_DATA/initial-admin-password"
lw_start_daemon
req "" POST /api/v1/auth/login "$(login_body admin "$OLD_PW")"
eq "the old admin password answers 401" "$STATUS" 401
req "$LW_TOKEN" GET /api/v1/auth/me
eq "the admin's old session was ended by the reset (401)" "$STATUS" 401
NEWT=$(login admin admin-new-pw-42)
check "the new admin password logs in" test -n "$NEWT"
req "$NEWT" GET /api/v1/auth/me
eq "as admin" "$(jqb .role)" admin
req "$TA" GET /api/v1/labs/alab
eq "alice's session survives the daemon restart" "$STATUS" 200

# ---- 2b. session expiry: idle 2 s, at most 3 s --------------------------------------------------
# Times are whole seconds: a session made at second S (its expires_at is
# S+3) is idle-expired from S+2 unless used meanwhile, and gone from S+3.
lw_stop_daemon
LW_DAEMON_ARGS="--session-idle 2 --session-max 3" lw_start_daemon
sleep_until() { sleep "$(awk -v t="$1" -v n="$(date +%s.%N)" 'BEGIN { d = t - n; if (d < 0) d = 0; printf "%.3f", d }')"; }
req "" POST /api/v1/auth/login "$(login_body alice alice-pw-1234)"
TS=$(jqb .token) S=$(($(jqb .expires_at) - 3))
check "login's expires_at is --session-max ahead (made at $S, now $(date +%s))" \
	test $(($(date +%s) - S)) -ge 0 -a $(($(date +%s) - S)) -le 1
req "$TS" GET /api/v1/auth/me
F=$(date +%s) # this use may count (from the second after the login on)
eq "a fresh session works" "$STATUS" 200
sleep_until "$((F + 2)).2"
req "$TS" GET /api/v1/auth/me
eq "a session unused for --session-idle answers 401" "$STATUS" 401
req "" POST /api/v1/auth/login "$(login_body alice alice-pw-1234)"
TS=$(jqb .token) S=$(($(jqb .expires_at) - 3))
alive=0 tries=0
while awk -v t="$((S + 2)).6" -v n="$(date +%s.%N)" 'BEGIN { exit !(n < t) }'; do
	req "$TS" GET /api/v1/auth/me # used every 0.3 s: never idle for 2 s
	tries=$((tries + 1))
	[ "$STATUS" = 200 ] && alive=$((alive + 1))
	sleep 0.3
done
eq "a session in use stays valid past --session-idle (to 2.6 s after its second)" "$alive" "$tries"
sleep_until "$((S + 3)).2"
req "$TS" GET /api/v1/auth/me
eq "a session past --session-max answers 401 however used" "$STATUS" 401

# ---- 2c. the per-address limit (last: it locks this address out) -----------------------------
for i in $(seq 1 20); do
	req "" POST /api/v1/auth/login "$(login_body "nobody$i" wrong)"
done
eq "after 20 failures (4x the user limit) from one address the 20th still answered 401" "$STATUS" 401
req "" POST /api/v1/auth/login "$(login_body bob bob-pw-12345)"
eq "then any login from that address answers 429" "$STATUS" 429
check "with Retry-After" test -n "$(header_of Retry-After)"

# ---- 2d. guesses sent all at once count like guesses sent one by one ---------------------------
lw_stop_daemon
LW_DAEMON_ARGS= lw_start_daemon # a fresh count for this address
PAR=()
for i in $(seq 1 12); do
	nsexec curl -q -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
		--data-binary "$(login_body tgt "wrong$i")" "$LW_URL/api/v1/auth/login" >"$LW_TMP/par.$i" &
	PAR+=($!)
done
wait "${PAR[@]}" # not the daemon's pid: a bare wait would wait for it too
cat "$LW_TMP"/par.* >"$LW_TMP/par"
eq "12 parallel wrong logins for one user: 5 are checked (401)" "$(grep -c 401 "$LW_TMP/par")" 5
eq "and 7 are refused unchecked (429)" "$(grep -c 429 "$LW_TMP/par")" 7

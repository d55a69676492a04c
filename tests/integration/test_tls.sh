#!/bin/bash
# HTTPS: the daemon's own self-signed certificate (made on first start with
# this host's names, kept across restarts, verified by curl, the CLI and a
# wss console client against it), a certificate the user gives, the Secure
# session cookie, --tls auto beyond loopback, and the options it refuses.
. "$(dirname "$0")/lib.sh"

LW_URL=https://127.0.0.1:$LW_PORT
LW_CACERT=$LW_DATA/tls/cert.pem
LW_DAEMON_ARGS="--tls on"
lw_setup

# --- the self-signed certificate ----------------------------------------------------
api GET /api/v1/health
eq "health over https, verified against the daemon's certificate" "$STATUS" 200
eq "its key is readable by root only" "$(stat -c %a "$LW_DATA/tls/key.pem")" 600
eq "its directory too" "$(stat -c %a "$LW_DATA/tls")" 700
san=$(openssl x509 -in "$LW_CACERT" -noout -ext subjectAltName 2>/dev/null)
check "its subjectAltName names 127.0.0.1" grep -q 'IP Address:127.0.0.1' <<<"$san"
check "and localhost" grep -q 'DNS:localhost' <<<"$san"
check "it is an ECDSA certificate" \
	grep -q 'id-ecPublicKey' <<<"$(openssl x509 -in "$LW_CACERT" -noout -text)"
nsexec curl -q -s -o /dev/null "$LW_URL/api/v1/health"
eq "curl without --cacert refuses it (exit 60: not trusted)" "$?" 60
out=$(nsexec curl -q -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$LW_PORT/api/v1/health")
check "plain HTTP gets no API answer on the TLS port" test "$out" != 200
nsexec curl -q -s -o /dev/null --cacert "$LW_CACERT" --resolve "evil.example:$LW_PORT:127.0.0.1" \
	"https://evil.example:$LW_PORT/api/v1/health"
eq "a name not in the certificate fails verification (exit 60)" "$?" 60

# --- identity over TLS ----------------------------------------------------------------
nsexec curl -q -s -D "$LW_TMP/hdr" -o /dev/null --cacert "$LW_CACERT" \
	-H 'Content-Type: application/json' --data-binary \
	"$(jq -nc --arg p "$(cat "$LW_DATA/initial-admin-password")" '{username: "admin", password: $p}')" \
	"$LW_URL/api/v1/auth/login"
check "the session cookie is Secure under TLS" grep -qi '^set-cookie: labwire_session=.*; Secure' "$LW_TMP/hdr"
check "and HttpOnly, SameSite=Strict" grep -qi '^set-cookie: .*HttpOnly; SameSite=Strict' "$LW_TMP/hdr"
api_as "" GET /api/v1/labs
eq "no credentials over TLS is still 401" "$STATUS" 401

create_pair tls
eq "a lab over https" "$STATUS" 201
out=$(nsexec "$LW_BIN" --url "$LW_URL" lab list 2>&1)
check "the CLI lists it over https (\$LABWIRE_CACERT)" grep -q ' tls ' <<<"$out"
out=$(LABWIRE_CACERT= nsexec "$LW_BIN" --url "$LW_URL" lab list 2>&1)
check "without the certificate the CLI says why it cannot connect" grep -qi 'certificate' <<<"$out"

api POST /api/v1/labs/tls/start
check "the lab's nodes are ready" wait_for ready 90 lab_nodes_ready tls
out=$(nsexec /usr/bin/python3 "$LW_ROOT/tests/integration/wsclient.py" chat \
	"wss://127.0.0.1:$LW_PORT/api/v1/labs/tls/nodes/a/console" \
	--send 'echo $((20+22))wss' --expect '^42wss$' 2>&1)
eq "a console over wss (verified against the certificate) runs a command" "$?" 0
out=$(console tls a --send 'echo $((40+2))tn' --expect '^42tn$' --timeout 20)
check "the CLI console finds the node over https and logs in on telnet" grep -q '^42tn' <<<"$out"
api POST /api/v1/labs/tls/stop
check "the lab stops" wait_for stopped 60 lab_nodes_are tls stopped

# --- a restart keeps the certificate --------------------------------------------------
sum=$(sha256sum <"$LW_CACERT")
lw_stop_daemon
lw_start_daemon
eq "a restart keeps the same certificate" "$(sha256sum <"$LW_CACERT")" "$sum"
api GET /api/v1/labs/tls
eq "and the same token still works over https" "$STATUS" 200

# --- a certificate the user gives ------------------------------------------------------
lw_stop_daemon
G=$LW_TMP/given
mkdir -p "$G"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=given-ca \
	-keyout "$G/ca.key" -out "$G/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=lab.example \
	-keyout "$G/srv.key" -out "$G/srv.csr" 2>/dev/null
printf 'subjectAltName=DNS:lab.example,IP:127.0.0.1\n' >"$G/ext"
openssl x509 -req -in "$G/srv.csr" -CA "$G/ca.pem" -CAkey "$G/ca.key" -CAcreateserial -days 2 \
	-extfile "$G/ext" -out "$G/srv.pem" 2>/dev/null
LW_CACERT=$G/ca.pem
LW_DAEMON_ARGS="--tls on --tls-cert $G/srv.pem --tls-key $G/srv.key --server-names lab.example"
lw_start_daemon
api GET /api/v1/labs/tls
eq "the daemon serves the given certificate (verified by its CA)" "$STATUS" 200
out=$(nsexec curl -q -s -o /dev/null -w '%{http_code}' --cacert "$G/ca.pem" \
	--resolve "lab.example:$LW_PORT:127.0.0.1" "https://lab.example:$LW_PORT/api/v1/health")
eq "reached by its name (in --server-names)" "$out" 200
out=$(nsexec curl -q -s -o /dev/null -w '%{http_code}' --cacert "$G/ca.pem" \
	-H "Host: rebound.example:$LW_PORT" "$LW_URL/api/v1/health")
eq "a Host that is none of its names is refused (DNS rebinding)" "$out" 403
lw_stop_daemon

# --- what the daemon refuses to start with ---------------------------------------------
refuses() { # DESC WORD ARGS...: the daemon exits non-zero and says WORD
	local desc=$1 word=$2 out rc
	shift 2
	out=$(timeout 20 nsenter --net=/run/netns/"$LW_NS" "$LW_BIN" serve --data-dir "$LW_DATA" \
		--image-dir "$LW_IMAGES" --template-dir "$LW_ROOT/images/templates" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q -- "$word" <<<"$out"; then
		ok "$desc"
	else
		notok "$desc (exit $rc: $(tail -n 1 <<<"$out"))"
	fi
}
refuses "--auth off beyond loopback is refused" "loopback" --listen 0.0.0.0:18081 --auth off
refuses "--tls-cert without --tls-key is refused" "go together" --listen 127.0.0.1:18081 \
	--tls on --tls-cert "$G/srv.pem"
refuses "an unreadable --tls-cert is refused, naming the file" "$G/nope.pem" \
	--listen 127.0.0.1:18081 --tls on --tls-cert "$G/nope.pem" --tls-key "$G/srv.key"
refuses "a key that is not the certificate's is refused" "is not the key" --listen 127.0.0.1:18081 \
	--tls on --tls-cert "$G/srv.pem" --tls-key "$G/ca.key"

# --- --tls auto: on beyond loopback ------------------------------------------------------
nsexec ip addr add 10.77.0.1/24 dev lo
# A certificate made before the address existed would not name it: start afresh.
rm -rf "$LW_DATA/tls"
LW_CACERT=$LW_DATA/tls/cert.pem
LW_DAEMON_ARGS="--listen 10.77.0.1:$LW_PORT"
LW_URL=https://10.77.0.1:$LW_PORT
# lib.sh's daemon listens on 127.0.0.1: this one is started by hand.
nsenter --net=/run/netns/"$LW_NS" "$LW_BIN" serve --listen "10.77.0.1:$LW_PORT" --data-dir "$LW_DATA" \
	--image-dir "$LW_IMAGES" --template-dir "$LW_ROOT/images/templates" \
	--console-port-min 6000 --console-port-max 6099 >>"$LW_TMP/daemon.log" 2>&1 &
LW_PID=$!
check "--tls auto serves https on a non-loopback address" wait_for https 20 \
	eval 'api GET /api/v1/health; [ "$STATUS" = 200 ]'
check "its certificate names that address" \
	grep -q 'IP Address:10.77.0.1' <<<"$(openssl x509 -in "$LW_CACERT" -noout -ext subjectAltName)"
api GET /api/v1/labs/tls
eq "the API answers there with the token" "$STATUS" 200
api DELETE /api/v1/labs/tls
eq "the lab is deleted" "$STATUS" 204
lw_teardown

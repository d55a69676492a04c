#!/bin/bash
# The browser UI in a real Chromium (tests/ui/smoke.mjs): the daemon serves
# it at "/", it builds and deletes labs, starts one and shows live node
# states and a working console; lab.mjs builds a whole lab in the page;
# auth.mjs logs in, administers users and shares a lab read-only.
# Screenshots go to build/test-artifacts/ui/.
. "$(dirname "$0")/lib.sh"
LW_NPM=${LW_NPM:-$LW_BUILD/npm-uitest}
ART=$LW_BUILD/test-artifacts/ui # each pass its own (build/, build/asan/): they run side by side
rm -rf "$ART"
mkdir -p "$ART"
lw_setup

fetch_head() { nsexec curl -s -o /dev/null -w '%{http_code} %{content_type}' "$LW_URL$1"; }
eq "the page is served at /" "$(fetch_head /)" "200 text/html; charset=utf-8"
eq "its script with a JavaScript type" "$(fetch_head /ui/app.js)" "200 text/javascript; charset=utf-8"
eq "xterm.js is served from the build" "$(fetch_head /ui/vendor/xterm.mjs)" "200 text/javascript; charset=utf-8"
eq "an unknown page is 404" "$(fetch_head /ui/nope.js | cut -d' ' -f1)" 404
eq "no path escapes the UI files" "$(nsexec curl -s --path-as-is -o /dev/null -w '%{http_code}' "$LW_URL/ui/../../etc/passwd")" 404
eq "nor an encoded one" "$(fetch_head /ui/%2e%2e/%2e%2e/etc/passwd | cut -d' ' -f1)" 404
eq "the API is still the API" "$(fetch_head /api/v1/health | cut -d' ' -f1)" 200

api POST /api/v1/labs '{"name":"uilab","nodes":[{"name":"a","template":"linux-host"},
	{"name":"b","template":"linux-host"}],"links":[{"endpoints":["a:eth0","b:eth0"]}]}'
eq "a lab for the browser" "$STATUS" 201
browser smoke.mjs
check "screenshots of the running lab and a console are saved" test -s "$ART/lab.png" -a -s "$ART/console.png"
# A whole lab, h1 -- r1 -- h2, built and used through the browser only.
browser lab.mjs
check "screenshots of the lab's canvas and h1's console are saved" test -s "$ART/lab-canvas.png" -a -s "$ART/lab-console.png"
api GET /api/v1/labs/webl
eq "the lab built in the browser is gone" "$STATUS" 404
api POST /api/v1/labs/uilab/stop
wait_for stopped 30 lab_nodes_are uilab stopped
api DELETE /api/v1/labs/uilab

# Identity in the browser: the login page, the Admin view, a lab shared
# read-only (running: its console is watched) and one that is not shared.
api POST /api/v1/labs '{"name":"sharedlab","nodes":[{"name":"a","template":"linux-host"}]}'
eq "a lab to share" "$STATUS" 201
api POST /api/v1/labs '{"name":"otherlab"}'
eq "a lab not shared" "$STATUS" 201
api POST /api/v1/labs/sharedlab/start
check "the lab to share is running" wait_for running 30 lab_nodes_are sharedlab running
LW_ADMIN_PASSWORD=$(cat "$LW_DATA/initial-admin-password") LW_USER=alice LW_USER_PASSWORD=alice-pass-1 browser auth.mjs
check "screenshots of the login page, the Share dialog, the read-only lab and the admin pages are saved" \
	test -s "$ART/login.png" -a -s "$ART/share.png" -a -s "$ART/readonly-lab.png" -a -s "$ART/admin.png"
api GET /api/v1/labs/sharedlab
eq "the Share dialog stored a read-only share" "$(jqb -c .shared_with)" '[{"user":"alice","access":"read"}]'
api_as "$(login alice alice-pass-1-new)" GET /api/v1/labs/otherlab
eq "the user's own password (changed in the page) logs in, and the lab not shared is 404 to them" "$STATUS" 404
api POST /api/v1/labs/sharedlab/stop
wait_for stopped 30 lab_nodes_are sharedlab stopped
api DELETE /api/v1/labs/sharedlab
api DELETE /api/v1/labs/otherlab
api DELETE /api/v1/users/alice
eq "the user made in the page is deleted" "$STATUS" 204
lw_teardown

#!/bin/bash
# A practice lab in the browser (tests/ui/practice.mjs, real Chromium): its
# guide rendered from Markdown and sanitized (a <script>, an onerror handler,
# a remote image, an iframe, a javascript: link and an id of the page's own
# in it reach neither the DOM nor the network), "Check my work" refused
# while the lab is stopped and then showing one check passed and one failed
# with its hint and the score, a stage restored and checked to full marks;
# then an assignment made by an instructor in the page, a member starting
# and checking their copy in the page, and the instructor's table with the
# member's state and grade and a read-only console; the owner editing the
# guide. Namespace hosts only, for speed: about 18 s.
# Screenshots go to $LW_BUILD/test-artifacts/ui-practice/ (each pass its own).
. "$(dirname "$0")/lib.sh"
LW_NPM=${LW_NPM:-$LW_BUILD/npm-uitest}
ART=$LW_BUILD/test-artifacts/ui-practice
rm -rf "$ART"
mkdir -p "$ART"
lw_setup

csp=$(nsexec curl -s -D - -o /dev/null "$LW_URL/" | tr -d '\r' | sed -n 's/^Content-Security-Policy: //Ip')
check "the page's policy loads scripts and images from the daemon only, no plugins or frames" \
	eval "[[ \"\$csp\" == *\"script-src 'self'\"* && \"\$csp\" == *\"img-src 'self'\"* && \"\$csp\" == *\"object-src 'none'\"* && \"\$csp\" == *\"frame-src 'none'\"* ]]"
check "marked and DOMPurify are served from the build" eval \
	'[ "$(nsexec curl -s -o /dev/null -w "%{http_code}" "$LW_URL/ui/vendor/marked.esm.js") $(nsexec curl -s -o /dev/null -w "%{http_code}" "$LW_URL/ui/vendor/purify.es.mjs")" = "200 200" ]'

# h1 (10.0.0.1) -- h2 (10.0.0.2); h1 has no default route at the start.
# Checks: h1 pings h2 (passes), h1's default route via h2 (fails, with a
# hint); stage 1 is the default route made, with a check of its own.
GUIDE='# Static routing practice

Make h1 send everything through h2.

- Give each host its address
- Add a default route on h1

<script>window.__guidePwned = "script"</script>

<img src="http://203.0.113.9/x.png" onerror=window.__guidePwned++>

![tracker](http://203.0.113.9/pixel.png)

<iframe src="http://203.0.113.9/frame"></iframe>

<input type="image" src="http://203.0.113.9/input.png" alt="in"><map name="m"><area shape="rect" coords="0,0,9,9" href="/api/v1/labs"></map>

<details open ontoggle=window.__guidePwned++><summary>More</summary><svg><a href="javascript:window.__guidePwned++"><text>svg</text></a></svg></details>

<meta http-equiv="refresh" content="0;url=http://203.0.113.9/"><form action="http://203.0.113.9/"><button>Send</button></form>

<p style="background: url(http://203.0.113.9/bg.png)">Styled text, <span id="grade-score">an id the page uses</span>.</p>

Read [the docs](https://example.com/docs), not <a href="javascript:window.__guidePwned=1">this</a>.'
H1='ip addr add 10.0.0.1/24 dev eth0\n'
LAB=$(jq -nc --arg guide "$GUIDE" --arg h1 "$(printf "$H1")" --arg h2 "$(printf 'ip addr add 10.0.0.2/24 dev eth0\n')" \
	--arg s1 "$(printf "${H1}ip route add default via 10.0.0.2\n")" '{name: "plab", guide: $guide,
	nodes: [{name: "h1", template: "linux-host", startup_config: $h1}, {name: "h2", template: "linux-host", startup_config: $h2}],
	links: [{endpoints: ["h1:eth0", "h2:eth0"]}],
	checks: [{id: "ping-h2", description: "h1 reaches h2", kind: "ping", node: "h1", target: "10.0.0.2"},
		{id: "default-route", description: "h1 has a default route via h2", kind: "route", node: "h1",
		 prefix: "0.0.0.0/0", via: "10.0.0.2", points: 2, hint: "On h1: ip route add default via 10.0.0.2"}],
	stages: [{name: "Default route", description: "h1 sends everything through h2.", configs: {h1: $s1},
		checks: [{id: "s1-route", description: "h1 has a default route", kind: "route", node: "h1",
		 prefix: "0.0.0.0/0", hint: "Restore stage 1 to see it done"}]}]}')
api POST /api/v1/labs "$LAB"
eq "a practice lab with a guide, checks and a stage" "$STATUS" 201

# For the assignment part: an instructor leading a group of one member,
# the lab shared with the instructor to read.
api POST /api/v1/users '{"name":"teach","password":"teach-pass-1","role":"instructor"}'
eq "an instructor" "$STATUS" 201
api POST /api/v1/users '{"name":"stu","password":"stu-pass-1","role":"user"}'
eq "a learner" "$STATUS" 201
api POST /api/v1/groups '{"name":"class1","leaders":["teach"],"members":["stu"]}'
eq "a group the instructor leads" "$STATUS" 201
api PATCH /api/v1/labs/plab '{"shared_with":[{"user":"teach","access":"read"}]}'
eq "the lab shared with the instructor to read" "$STATUS" 200

LW_ASSIGN=1 LW_TEACH=teach LW_TEACH_PASSWORD=teach-pass-1 LW_STUDENT=stu LW_STUDENT_PASSWORD=stu-pass-1 browser practice.mjs
check "screenshots of the guide, the results and the stage's results are saved" \
	test -s "$ART/guide.png" -a -s "$ART/results.png" -a -s "$ART/stage.png"
check "a screenshot of the instructor's table and a watched console is saved" test -s "$ART/assignment.png"
api GET /api/v1/labs/plab/grades
eq "the page's grades are stored, newest first: the stage's full marks, every check's 1 of 4 (the refused one is not)" \
	"$(jqb -c '[.grades[] | [.stage, .score, .max_score]]')" '[[1,1,1],[0,1,4]]'
api GET /api/v1/labs/plab
check "the restore in the page gave h1 stage 1's config" jqt '.nodes[] | select(.name == "h1") | .startup_config | contains("default via 10.0.0.2")'
lw_teardown

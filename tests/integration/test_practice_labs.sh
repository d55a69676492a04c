#!/usr/bin/env bash
# The library of practice labs (labs/practice) works: every NAME.json is
# created through the API as it is shipped (guide, checks, stages), started,
# and graded below full marks at its start; its NAME.solution.json is typed
# line by line on the nodes' consoles (POST .../console/exec, as a learner
# types it: every line answered by the prompt, none refused), and the lab then
# grades full marks once the protocols converge. One lab with stages (a
# different one each day) has each stage restored and graded: that stage's
# full marks. Every lab is deleted and nothing is left (QEMU, interfaces).
# The labs run side by side in one daemon. Under ASan (LW_BUILD ending in
# /asan) only the two smallest labs run, without the stage restore;
# LW_PRACTICE_LABS="NAME ..." picks the labs, LW_PRACTICE_STAGE_LAB=NAME the
# lab whose stages are restored.
. "$(dirname "$0")/lib.sh"

[ -f "$LW_IMAGES/frr-router/initrd.img" ] || { echo "1..0 # SKIP no frr-router guest (make frr-guest)"; exit 0; }
[ -f "$LW_IMAGES/tiny-linux/initrd.img" ] || { echo "1..0 # SKIP no tiny-linux guest (make guest)"; exit 0; }
DIR=$LW_ROOT/labs/practice
LABS=()
for f in "$DIR"/*.json; do
	case $f in *.solution.json) continue ;; esac
	LABS+=("$(basename "$f" .json)")
done
case $LW_BUILD in
*/asan) LABS=(static-routing ebgp-filter) ;;
esac
# LW_PRACTICE_LABS="NAME ..." runs only those.
[ -z "${LW_PRACTICE_LABS:-}" ] || read -ra LABS <<<"$LW_PRACTICE_LABS"
[ "${#LABS[@]}" -ge 1 ] || { notok "no practice lab in $DIR"; exit 1; }
lw_setup

# --- the files themselves ------------------------------------------------------------------------
for l in "${LABS[@]}"; do
	f=$DIR/$l.json s=$DIR/$l.solution.json
	check "$l: has a solution file" test -f "$s"
	# Every node the solution types on is a node of the lab, frr typing is
	# configure terminal ... end, and the lab is small (at most 4 VMs).
	bad=$(jq -nc --slurpfile lab "$f" --slurpfile sol "$s" '
		($lab[0].nodes | map({key: .name, value: .template}) | from_entries) as $t
		| [$sol[0].typing | to_entries[]
		   | select(($t[.key] == null) or ($t[.key] == "frr-router" and (.value[0] != "configure terminal" or .value[-1] != "end")))
		   | .key]')
	eq "$l: the solution types only on the lab's nodes (frr: configure terminal ... end)" "$bad" "[]"
	vms=$(jq '[.nodes[] | select(.template != "linux-host")] | length' "$f")
	check "$l: $vms VMs (at most 4)" test "$vms" -le 4
done

# --- create and start them all -------------------------------------------------------------------
for l in "${LABS[@]}"; do
	api POST /api/v1/labs "@$DIR/$l.json"
	eq "$l: created through the API as shipped" "$STATUS" 201
	api GET "/api/v1/labs/$l/guide"
	check "$l: its guide reads back" jqt '.guide | length > 200'
done
T0=$SECONDS
for l in "${LABS[@]}"; do
	api POST "/api/v1/labs/$l/start"
	check "$l: starts" test "$STATUS" = 200 -o "$STATUS" = 202
done
# One deadline for all: the labs boot side by side (QEMU under TCG shares the cores).
END=$((SECONDS + 600))
for l in "${LABS[@]}"; do
	check "$l: every node is ready" wait_for "$l-ready" $((END > SECONDS ? END - SECONDS : 1)) lab_nodes_ready "$l"
done
echo "# ${#LABS[@]} labs ($(jq -s '[.[].nodes[]] | length' $(printf "$DIR/%s.json " "${LABS[@]}")) nodes) ready in $((SECONDS - T0)) s"

# grade LAB [STAGE]: POST /grade; SCORE "score/max".
grade() {
	api POST "/api/v1/labs/$1/grade" "{\"stage\":${2:-0}}"
	SCORE="$(jqb .score)/$(jqb .max_score)"
	[ "$STATUS" = 200 ]
}
full_marks() { grade "$@" && jqt '.passed == true and .score == .max_score and .max_score > 0'; }
failed_checks() { jqb '[.checks[] | select(.passed | not) | "\(.id): \(.detail)"] | join("; ")'; }

for l in "${LABS[@]}"; do
	grade "$l"
	eq "$l: grading the start answers 200" "$STATUS" 200
	check "$l: the start grades below full marks ($SCORE)" jqt '.score < .max_score and .passed == false'
done

# --- type each solution, as a learner would ------------------------------------------------------
# type_line LAB NODE LINE: one line, answered by the node's prompt; refused
# lines (FRR's "% ...", a shell's "not found", iproute2's or busybox's
# complaints) count.
REFUSED=0
REFUSED_RX="^% |not found|RTNETLINK answers|[Ii]nvalid|[Cc]annot find|can't find|No such|^Error: "
type_line() {
	api POST "/api/v1/labs/$1/nodes/$2/console/exec" \
		"$(jq -nc --arg s "$3" '{send: $s, expect: "# .{0,4}$", timeout_s: 20}')"
	if [ "$STATUS" != 200 ]; then
		echo "$1/$2: no prompt after: $3"
		REFUSED=$((REFUSED + 1))
	elif jqb .output | grep -qE "$REFUSED_RX"; then
		echo "$1/$2 refused: $3: $(jqb .output | grep -E "$REFUSED_RX" | head -1)"
		REFUSED=$((REFUSED + 1))
	fi
}
# type_lab LAB: every line of LAB's solution, node after node; writes
# "LINES REFUSED" to $LW_TMP/typing-LAB/done. Run in a subshell of its own
# per lab (the labs are typed side by side): api's BODY file is its own.
type_lab() {
	local l=$1 n=0 node line
	REFUSED=0
	LW_TMP=$LW_TMP/typing-$l
	mkdir -p "$LW_TMP"
	for node in $(jq -r '.typing | keys[]' "$DIR/$l.solution.json"); do
		while IFS= read -r line; do
			type_line "$l" "$node" "$line"
			n=$((n + 1))
		done < <(jq -r --arg n "$node" '.typing[$n][]' "$DIR/$l.solution.json")
	done
	echo "$n $REFUSED" >"$LW_TMP/done"
}
T1=$SECONDS
for l in "${LABS[@]}"; do
	(type_lab "$l") >"$LW_TMP/typing-$l.log" 2>&1 &
done
for l in "${LABS[@]}"; do
	if wait_for "$l-typed" 300 test -f "$LW_TMP/typing-$l/done"; then
		read -r n refused <"$LW_TMP/typing-$l/done"
		eq "$l: the solution's $n lines are typed, each answered by the prompt, none refused" "$refused" 0
	else
		notok "$l: the solution is typed within 300 s"
	fi
	sed 's/^/# /' "$LW_TMP/typing-$l.log"
done
echo "# the solutions typed in $((SECONDS - T1)) s"
T2=$SECONDS
for l in "${LABS[@]}"; do
	if wait_for "$l-full" 120 full_marks "$l"; then
		ok "$l: the solution grades full marks ($SCORE)"
	else
		notok "$l: the solution grades full marks ($SCORE; failed: $(failed_checks))"
	fi
done
echo "# full marks $((SECONDS - T2)) s after the typing"

# --- stages: restore each stage of one lab, grade that stage -------------------------------------
if [ "${LW_BUILD%/asan}" = "$LW_BUILD" ]; then
	STAGED=()
	for l in "${LABS[@]}"; do
		[ "$(jq '.stages | length' "$DIR/$l.json")" -gt 0 ] && STAGED+=("$l")
	done
	SL=${LW_PRACTICE_STAGE_LAB:-}
	[ -n "$SL" ] || [ "${#STAGED[@]}" = 0 ] || SL=${STAGED[$((10#$(date +%j) % ${#STAGED[@]}))]}
	[ -z "$SL" ] || echo "# stage restore on $SL (LW_PRACTICE_STAGE_LAB picks another)"
	for k in $([ -z "$SL" ] || seq 1 "$(jq '.stages | length' "$DIR/$SL.json")"); do
		T3=$SECONDS
		api POST "/api/v1/labs/$SL/stages/$k/restore"
		eq "$SL: stage $k restored (202)" "$STATUS" 202
		check "$SL: the nodes are ready again" wait_for "$SL-ready-$k" 300 lab_nodes_ready "$SL"
		if wait_for "$SL-stage-$k" 120 full_marks "$SL" "$k"; then
			ok "$SL: stage $k grades full marks after its restore ($SCORE, $((SECONDS - T3)) s)"
		else
			notok "$SL: stage $k grades full marks after its restore ($SCORE; failed: $(failed_checks))"
		fi
	done
fi

# --- delete: nothing left ------------------------------------------------------------------------
for l in "${LABS[@]}"; do
	api DELETE "/api/v1/labs/$l"
	eq "$l: deleted" "$STATUS" 204
	api GET "/api/v1/labs/$l"
	eq "$l: gone" "$STATUS" 404
done
check "no QEMU process remains" wait_for noqemu 60 eval 'test "$(qemu_count)" = 0'
check "no lw* interface remains" wait_for noifaces 30 eval 'test "$(lw_ifaces | wc -l)" = 0'

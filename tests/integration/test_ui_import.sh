#!/bin/bash
# Import and export in the browser (tests/ui/import.mjs, real Chromium): a
# containerlab file (an SR Linux router, which becomes an frr-router
# substitute, and two Linux hosts) through the labs page's "Import…": the
# report's rows, the substitute marked, the interface rename and the kept
# config; the lab opened from the report; a file that is not UTF-8 refused
# with the daemon's 422 message and no lab; the lab page's Export buttons
# download the labwire JSON the API gives and a containerlab file. About 4 s.
# Screenshots go to $LW_BUILD/test-artifacts/ui-import/.
. "$(dirname "$0")/lib.sh"
LW_NPM=${LW_NPM:-$LW_BUILD/npm-uitest}
ART=$LW_BUILD/test-artifacts/ui-import
rm -rf "$ART"
mkdir -p "$ART"
lw_setup

cat >"$LW_TMP/srl.clab.yml" <<'YML'
name: srl-demo
topology:
  nodes:
    srl1:
      kind: nokia_srlinux
      image: ghcr.io/nokia/srlinux:24.3.1
      startup-config: |
        set / system name host-name srl1
      labels:
        graph-posX: "220"
        graph-posY: "140"
    h1:
      kind: linux
      image: alpine:3
    h2:
      kind: linux
      image: alpine:3
  links:
    - endpoints: ["srl1:e1-1", "h1:eth1"]
    - endpoints: ["srl1:e1-2", "h2:eth1"]
YML
printf 'name: latin1\ntopology:\n  nodes:\n    r1: {kind: linux}\n# caf\xe9\n' >"$LW_TMP/latin1.clab.yml"
chmod 0644 "$LW_TMP"/*.clab.yml

LW_IMPORT_GOOD=$LW_TMP/srl.clab.yml LW_IMPORT_BAD=$LW_TMP/latin1.clab.yml browser import.mjs
check "screenshots of the report and the refusal are saved" test -s "$ART/report.png" -a -s "$ART/refused.png"
api GET /api/v1/labs
eq "the daemon has the one lab the page imported" "$(jqb -c '[.labs[] | [.name, .node_count, .link_count]]')" '[["uilab",3,2]]'
api GET /api/v1/labs/uilab
eq "  srl1 became an frr-router that keeps where it came from" \
	"$(jqb -c '.nodes[] | select(.name == "srl1") | [.template, .origin.format, .origin.kind]')" '["frr-router","clab","nokia_srlinux"]'
lw_teardown

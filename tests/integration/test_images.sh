#!/usr/bin/env bash
# Images and templates, end to end: uploads into the image store (a real
# qcow2, and ones the store must refuse), linked clones that two guests
# write to without touching the base, user templates, interface aliases,
# startup configs delivered on an ISO, a FAT disk and typed on the console
# (each read by tiny-linux), the config export, and a staged lab start
# that never boots more than its concurrency at once.
. "$(dirname "$0")/lib.sh"

command -v qemu-img >/dev/null || { echo "1..0 # SKIP qemu-img missing"; exit 0; }
lw_setup

upload() { # upload FILE QUERY: STATUS and BODY as api() sets them
	STATUS=$(nsexec curl -s -o "$LW_TMP/body" -w '%{http_code}' -X POST --data-binary "@$1" \
		"$LW_URL/api/v1/images?$2" 2>/dev/null) || STATUS=000
	BODY=$(cat "$LW_TMP/body")
}
store_files() { ls "$LW_DATA/images" 2>/dev/null | sort | tr '\n' ' '; }
exec_on() { # exec_on NODE SEND EXPECT
	api POST "/api/v1/labs/img/nodes/$1/console/exec" \
		"$(jq -nc --arg s "$2" --arg e "$3" '{send: $s, expect: $e, timeout_s: 20}')"
}

# --- the image store --------------------------------------------------------------
qemu-img create -q -f qcow2 "$LW_TMP/base.qcow2" 64M
qemu-io -c 'write -P 0x42 1M 1M' "$LW_TMP/base.qcow2" >/dev/null
BASE_SUM=$(sha256sum <"$LW_TMP/base.qcow2" | cut -d' ' -f1)
upload "$LW_TMP/base.qcow2" "name=base-disk&template=tiny-linux"
eq "a qcow2 made with qemu-img uploads (201)" "$STATUS" 201
eq "its SHA-256 is the file's" "$(jqb .sha256)" "$BASE_SUM"
eq "its format is qcow2" "$(jqb .format)" qcow2
eq "its virtual size is 64 MiB" "$(jqb .virtual_size)" $((64 << 20))
FILES_BEFORE=$(store_files)

qemu-img create -q -f qcow2 -b /etc/shadow -F raw "$LW_TMP/evil.qcow2"
upload "$LW_TMP/evil.qcow2" "name=evil"
eq "an image naming a backing file is refused (422)" "$STATUS" 422
check "  and the refusal says why" jqt '.error.message | test("backing file")'
head -c 300000 "$LW_TMP/base.qcow2" >"$LW_TMP/trunc.qcow2"
upload "$LW_TMP/trunc.qcow2" "name=trunc"
eq "a truncated qcow2 is refused (422)" "$STATUS" 422
check "  as damaged or truncated" jqt '.error.message | test("truncated")'
mkfifo "$LW_TMP/fifo"
printf '# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 8 FLAT "%s" 0\n' \
	"$LW_TMP/fifo" >"$LW_TMP/desc.vmdk"
upload "$LW_TMP/desc.vmdk" "name=desc"
eq "a VMDK descriptor naming a host file is refused (422), never opened" "$STATUS" 422
check "  as a descriptor" jqt '.error.message | test("descriptor")'
upload "$LW_TMP/base.qcow2" "name=..%2Fescape"
eq "a ../ name is refused (422)" "$STATUS" 422
upload "$LW_TMP/base.qcow2" "name=base-disk"
eq "a taken name is refused (409)" "$STATUS" 409
api GET /api/v1/images
eq "the refused uploads left no image behind" "$(jqb '[.images[].name] | join(",")')" base-disk
eq "  and no file in the store" "$(store_files)" "$FILES_BEFORE"

# Progress: a slow upload is visible while it runs, and one cut short leaves nothing.
head -c $((24 << 20)) /dev/zero >"$LW_TMP/slow.raw"
# Not through nsexec: $! must be curl itself (a backgrounded function is a subshell).
ip netns exec "$LW_NS" curl -s -o /dev/null --limit-rate 4M -X POST --data-binary "@$LW_TMP/slow.raw" \
	"$LW_URL/api/v1/images?name=slow" &
CURL_PID=$!
uploading() { api GET /api/v1/images; jqt '.images[] | select(.name == "slow" and .state == "uploading" and .size > 0 and .expected == 25165824)'; }
check "an upload in progress shows its state and bytes received" wait_for progress 10 uploading
kill "$CURL_PID" 2>/dev/null
wait "$CURL_PID" 2>/dev/null
gone() { api GET /api/v1/images; ! jqt '.images[] | select(.name == "slow")'; }
check "an upload cut short is removed" wait_for cut 10 gone
eq "  with its partial file" "$(store_files)" "$FILES_BEFORE"

# --- user templates ---------------------------------------------------------------------
tl() { jq -c "$1" "$LW_ROOT/images/templates/tiny-linux.json"; }
api POST /api/v1/templates "$(tl '.name = "tl-fat" | .config_method = "fat"')"
eq "a user template (FAT config disk) is created (201)" "$STATUS" 201
eq "  and says it is a user template" "$(jqb .source)" user
api POST /api/v1/templates "$(tl '.name = "tl-console" | .config_method = "console"')"
eq "a user template (config typed on the console) is created" "$STATUS" 201
api POST /api/v1/templates "$(tl '.name = "tl-gi" | .interface_pattern = "GigabitEthernet0/{n}" | .interface_aliases = ["Gi0/{n}"]')"
eq "a user template with Cisco interface names is created" "$STATUS" 201
api POST /api/v1/templates "$(tl '.name = "tl-vj" | .config_method = "fat" | .config_label = "vmm-data"
	| .config_archive = "vmm-config.tgz" | .config_files = {"config/juniper.conf": "{config}"}
	| .smbios = {"product": "VM-VMX", "family": "lab"}')"
eq "a user template packing its config as vJunos does, with SMBIOS strings, is created" "$STATUS" 201
api POST /api/v1/templates "$(tl '.name = "tl-fat"')"
eq "a taken template name is 409" "$STATUS" 409
api POST /api/v1/templates "$(tl '.name = "bad" | .kernel = "../../../etc/shadow"')"
eq "a kernel path outside the image dir is 422" "$STATUS" 422
api POST /api/v1/templates "$(tl '.name = "bad" | .qemu_args = ["-x"]')"
eq "an unknown template field is 422" "$STATUS" 422
api POST /api/v1/templates "$(tl '.name = "bad" | .ready_pattern = "(a*)*\\1b"')"
eq "a readiness pattern with a back-reference is 422" "$STATUS" 422
api PUT /api/v1/templates/tiny-linux "$(tl '.ram_mb = 256')"
eq "a shipped template cannot be replaced (409)" "$STATUS" 409
api DELETE /api/v1/templates/tiny-linux
eq "  nor deleted (409)" "$STATUS" 409
api PUT /api/v1/templates/tl-gi "$(tl '.name = "tl-gi" | .interface_pattern = "GigabitEthernet0/{n}" | .interface_aliases = ["Gi0/{n}", "G0/{n}"] | .nics = 3')"
eq "a user template is replaced (200)" "$STATUS" 200
eq "  with the new values" "$(jqb '.interface_aliases | length')" 2

# --- a lab: two nodes on one image, configs by three methods, aliases -------------------
NODES='[{"name":"a","template":"tiny-linux","image":"base-disk","startup_config":"hostname cfg-iso-a\necho iso-applied >/tmp/mark"},
 {"name":"b","template":"tiny-linux","image":"base-disk"},
 {"name":"f","template":"tl-fat","startup_config":"hostname cfg-fat\necho fat-applied >/tmp/mark"},
 {"name":"c","template":"tl-console","startup_config":"hostname cfg-console\necho console-applied >/tmp/mark"},
 {"name":"j","template":"tl-vj","startup_config":"system {\n    host-name j1;\n}\n"},
 {"name":"g1","template":"tl-gi"},{"name":"g2","template":"tl-gi"}]'
api POST /api/v1/labs "{\"name\":\"img\",\"nodes\":$NODES}"
eq "a lab with image and user-template nodes is created" "$STATUS" 201
api POST /api/v1/labs/img/links '{"endpoints":["g1:Gi0/1","g2:gigabitethernet0/2"]}'
eq "a link by short and lower-case interface names is created" "$STATUS" 201
eq "  and names the interfaces canonically" "$(jqb '[.endpoints[] | "\(.node):\(.interface)"] | join(" ")')" \
	"g1:GigabitEthernet0/1 g2:GigabitEthernet0/2"
api POST /api/v1/labs/img/links '{"endpoints":["g1:Gi0/9","g2:Gi0/0"]}'
eq "an alias past the node's NICs is 422" "$STATUS" 422
api DELETE /api/v1/templates/tl-gi
eq "a user template in use cannot be deleted (409)" "$STATUS" 409
api DELETE /api/v1/images/base-disk
eq "an image in use cannot be deleted (409)" "$STATUS" 409
check "  and the refusal names the node" jqt '.error.message | test("node a")'
api GET /api/v1/labs/img/nodes/a
check "a node reports its expected boot time and how it was estimated" \
	jqt '.boot_expected_s > 0 and .boot_timeout_s > .boot_expected_s and (.boot_basis | length > 0)'

api POST '/api/v1/labs/img/start?wait=ready&timeout=300'
eq "the lab starts and ?wait=ready answers 200 once all are ready" "$STATUS" 200
check "  every node is ready then" jqt '[.nodes[] | .ready] | all'

OV_A=$LW_DATA/labs/$(jqb .id)/nodes/$(jqb '.nodes[] | select(.name=="a") | .id')/disk.qcow2
OV_B=$LW_DATA/labs/$(jqb .id)/nodes/$(jqb '.nodes[] | select(.name=="b") | .id')/disk.qcow2
J_DIR=$LW_DATA/labs/$(jqb .id)/nodes/$(jqb '.nodes[] | select(.name=="j") | .id')
check "node a runs on its own overlay" test -f "$OV_A"
check "node b runs on its own overlay" test -f "$OV_B"
backing() { qemu-img info -U --output=json "$1" | jq -r '."backing-filename"'; }
eq "both overlays are backed by the same base" "$(backing "$OV_A")" "$(backing "$OV_B")"
STORE_FILE=$LW_DATA/images/$(ls "$LW_DATA/images" | head -1)
check "  which is the uploaded image in the store" test "$(backing "$OV_A")" -ef "$STORE_FILE"
exec_on a 'echo written-by-a | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null; sync; echo done-a' '^done-a'
eq "guest a writes to its disk" "$STATUS" 200
exec_on b 'echo written-by-b | dd of=/dev/vda bs=512 count=1 conv=sync 2>/dev/null; sync; echo done-b' '^done-b'
eq "guest b writes to its disk" "$STATUS" 200
exec_on b 'dd if=/dev/vda bs=1M skip=1 count=1 2>/dev/null | head -c 4 | od -An -tx1' '42 42 42 42'
eq "guest b reads the base image's data through its overlay" "$STATUS" 200

# --- startup configs by each method -------------------------------------------------
for n in a:iso f:fat c:console; do
	exec_on "${n%%:*}" 'cat /tmp/mark; hostname' 'cfg-[a-z-]+'
	check "the ${n#*:} startup config was applied by tiny-linux" jqt ".output | test(\"${n#*:}-applied\") and test(\"cfg-\")"
done
mcopy -i "$J_DIR/config.img" ::vmm-config.tgz "$LW_TMP/vmm-config.tgz" 2>/dev/null
eq "the FAT disk holds vmm-config.tgz with config/juniper.conf, the node's config" \
	"$(tar -xzOf "$LW_TMP/vmm-config.tgz" config/juniper.conf 2>/dev/null | tr '\n' '|')" "system {|    host-name j1;|}|"
eq "  labelled vmm-data" "$(mlabel -s -i "$J_DIR/config.img" :: 2>/dev/null | awk '{print $NF}')" "vmm-data"
exec_on j 'cat /sys/class/dmi/id/product_name /sys/class/dmi/id/product_family' 'lab'
check "the guest sees the template's SMBIOS product and family" jqt '.output | test("VM-VMX") and test("lab")'
STATUS=$(nsexec curl -s -o "$LW_TMP/export" -w '%{http_code}' "$LW_URL/api/v1/labs/img/nodes/a/config")
eq "the running config exports (200)" "$STATUS" 200
check "  as the config the node was given" grep -qx 'echo iso-applied >/tmp/mark' "$LW_TMP/export"
check "  without the echoed command" bash -c "! grep -q 'cat /etc/startup-config' '$LW_TMP/export'"
STATUS=$(nsexec curl -s -o /dev/null -w '%{http_code}' -H 'Origin: http://evil.example' \
	"$LW_URL/api/v1/labs/img/nodes/a/config")
eq "a config export asked for by a page elsewhere is refused (403)" "$STATUS" 403

# --- the disks after the guests wrote ----------------------------------------------
api POST /api/v1/labs/img/stop
check "the lab stops" wait_for stopped 60 lab_nodes_are img stopped
disk_head() { qemu-io -r -f qcow2 -c 'read -v 0 16' "$1" | head -1; }
disk_head "$OV_A" >"$LW_TMP/head-a"
disk_head "$OV_B" >"$LW_TMP/head-b"
check "a's overlay holds what a wrote" grep -q 'written.by.a' "$LW_TMP/head-a"
# qemu-io shows '-' as '.'
eq "  exactly" "$(cut -c61- "$LW_TMP/head-a")" "written.by.a...."
eq "b's overlay holds what b wrote" "$(cut -c61- "$LW_TMP/head-b")" "written.by.b...."
eq "the base image is unchanged" "$(sha256sum <"$STORE_FILE" | cut -d' ' -f1)" "$BASE_SUM"
api POST /api/v1/labs/img/nodes/a/wipe
eq "wiping node a answers 202" "$STATUS" 202
check "  removes its overlay" bash -c "! test -e '$OV_A'"
api DELETE /api/v1/labs/img
eq "the lab is deleted" "$STATUS" 204
api DELETE /api/v1/images/base-disk
eq "the image, no longer used, is deleted (204)" "$STATUS" 204
eq "  and its file is gone" "$(store_files)" ""

# --- staged boot: 6 nodes, at most 2 booting at once ------------------------------------
ip netns exec "$LW_NS" curl -s -N "$LW_URL/api/v1/events" >"$LW_TMP/events" &
EV_PID=$!
NODES=$(jq -nc '[range(6) | {name: "s\(.)", template: "tiny-linux", boot_order: (6 - .)}]')
api POST /api/v1/labs "{\"name\":\"staged\",\"nodes\":$NODES}"
api PATCH /api/v1/labs/staged '{"boot_concurrency":2}'
eq "the lab's boot concurrency is set to 2" "$(jqb .boot_concurrency)" 2
api POST '/api/v1/labs/staged/start?wait=ready&timeout=600'
eq "a 6-node lab started with ?wait=ready answers 200" "$STATUS" 200
check "  with all 6 ready" jqt '[.nodes[] | select(.ready)] | length == 6'
sleep 0.5
kill "$EV_PID" 2>/dev/null
wait "$EV_PID" 2>/dev/null
# Replay the node events: who is booting (started, not yet ready or late) at each step.
sed -n 's/^data: //p' "$LW_TMP/events" | jq -c 'select(.node.name? and (.node.name | startswith("s")))
	| {n: .node.name, s: .node.state, b: (.node.boot // "")}' >"$LW_TMP/boot-events"
MAXB=$(jq -s 'reduce .[] as $e ({b: {}, m: 0};
	.b[$e.n] = ($e.b == "booting" and ($e.s == "starting" or $e.s == "running"))
	| .m = ([.m, ([.b[] | select(.)] | length)] | max)) | .m' "$LW_TMP/boot-events")
eq "the events never show more than 2 nodes booting at once" "$MAXB" 2
ORDER=$(jq -rs '[.[] | select(.b == "booting") | .n] | unique_by(.) | length' "$LW_TMP/boot-events")
eq "  and each of the 6 was seen booting" "$ORDER" 6
FIRST=$(jq -rs '[.[] | select(.b == "booting") | .n][0]' "$LW_TMP/boot-events")
eq "  boot_order decides who goes first" "$FIRST" s5
api GET /api/v1/system
check "the TCG slowdown is now measured from these boots" jqt '.accelerators.tcg.slowdown.samples > 0'
api POST /api/v1/labs/staged/stop
check "the staged lab stops" wait_for stopped 60 lab_nodes_are staged stopped
api DELETE /api/v1/labs/staged
eq "and is deleted" "$STATUS" 204
# --- a template that boots from a CD-ROM image (vEOS' Aboot) ---------------------------
api POST /api/v1/templates "$(tl '.name = "bad" | .boot_cdrom = true')"
eq "a kernel-booting template cannot also boot a CD-ROM (422)" "$STATUS" 422
api POST /api/v1/templates "$(tl '.name = "tl-cd" | del(.kernel, .initrd, .append) | .boot_cdrom = true')"
eq "a template booting from a CD-ROM image, then its disk, is created" "$STATUS" 201
upload "$LW_TMP/base.qcow2" "name=cd-disk&template=tl-cd"
api POST /api/v1/labs '{"name":"cd"}'
api POST /api/v1/labs/cd/nodes '{"name":"x","template":"tl-cd"}'
eq "its node needs an uploaded .iso (422)" "$STATUS" 422
check "  and says so" jqt '.error.message | test("iso")'
genisoimage -quiet -V ABOOT -o "$LW_TMP/aboot.iso" /etc/hostname
upload "$LW_TMP/aboot.iso" "name=aboot-test.iso&template=tl-cd"
eq "an ISO uploads as a raw image" "$STATUS:$(jqb .format)" 201:raw
api POST /api/v1/labs/cd/nodes '{"name":"x","template":"tl-cd"}'
eq "the node takes the ISO uploaded for its template" "$STATUS:$(jqb .cdrom)" 201:aboot-test.iso
eq "  and the disk image uploaded for it" "$(jqb .image)" cd-disk
api POST /api/v1/labs/cd/nodes/x/start
node_pid() { api GET /api/v1/labs/cd/nodes/x; jqb '.pid // empty'; }
check "it starts" wait_for pid 30 eval 'test -n "$(node_pid)"'
boots_cd() { tr '\0' '\n' <"/proc/$(node_pid)/cmdline" 2>/dev/null | grep -qx 'ide-cd,drive=cd0,bus=ide.0,bootindex=0'; }
check "QEMU boots the ISO first, from an IDE CD-ROM" wait_for cdboot 10 boots_cd
api DELETE /api/v1/images/aboot-test.iso
eq "the ISO cannot be deleted while the node uses it" "$STATUS" 409
api POST /api/v1/labs/cd/stop
check "the lab stops" wait_for stopped 60 lab_nodes_are cd stopped
api DELETE /api/v1/labs/cd
api DELETE /api/v1/images/aboot-test.iso
eq "then the ISO is deleted" "$STATUS" 204
api DELETE /api/v1/images/cd-disk
api DELETE /api/v1/templates/tl-cd
eq "and the template, unused, is deleted (204)" "$STATUS" 204

check "no QEMU process remains" wait_for noqemu 10 eval 'test "$(qemu_count)" = 0'
eq "no lw* interface remains" "$(lw_ifaces | wc -l)" 0


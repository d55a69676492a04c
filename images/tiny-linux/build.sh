#!/bin/bash
# Build the tiny-linux guest: OUTDIR/vmlinuz + OUTDIR/initrd.img.
#
# Everything comes from Debian packages: the cloud kernel (the package behind
# the linux-image-cloud-ARCH metapackage, downloaded with apt-get download and
# unpacked with dpkg-deb -x, never installed on the host), busybox-static, and
# that kernel's own modules. Run as root:
#
#     images/tiny-linux/build.sh build/images/tiny-linux
#
# ARCH (second argument, else LW_ARCH, else amd64) is the guest's Debian
# architecture: amd64 (x86_64) or arm64 (aarch64). A guest of a foreign
# architecture is built from packages of that architecture, fetched with apt
# lists of its own kept under the cache directory (CACHE/apt-ARCH): nothing on
# the host changes (no dpkg --add-architecture), and nothing foreign runs.
#
#     images/tiny-linux/build.sh build/images/tiny-linux-arm64 arm64
#
# Debian's arm64 (signed) kernel is an uncompressed Image (27 MB), copied as
# it is: QEMU's -kernel would take it gzipped too (10 MB), but unpacking it
# costs about 0.15 s of every boot.
#
# LW_GUEST_TOOLS, if set, is a space-separated list of statically linked
# programs (test tools such as build/tools/lwframe.static) installed into the
# initramfs as /bin/NAME, NAME being the file name less a ".static" suffix.
# A tool built for another architecture than the guest's is skipped, with a
# warning (lwframe.static is x86_64: an arm64 guest goes without it):
#
#     LW_GUEST_TOOLS=build/tools/lwframe.static images/tiny-linux/build.sh OUTDIR
#
# Idempotent: when both outputs are newer than every input (this script, the
# init, the kernel .deb, busybox, each tool) and were built with the same tools
# (names and contents, recorded in OUTDIR/guest-tools) nothing is done.
set -euo pipefail

usage() { echo "usage: $0 OUTDIR [amd64|arm64]" >&2; exit 2; }
[ $# -eq 1 ] || [ $# -eq 2 ] || usage
OUT=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
INIT_SRC=$HERE/init
case ${2:-${LW_ARCH:-amd64}} in
amd64 | x86_64) ARCH=amd64 ELF_MACHINE=62 ;;
arm64 | aarch64) ARCH=arm64 ELF_MACHINE=183 ;;
*) echo "$0: unsupported architecture '${2:-$LW_ARCH}' (amd64 or arm64)" >&2; usage ;;
esac
META=${LW_KERNEL_META:-linux-image-cloud-$ARCH}

# Modules loaded at boot, in this order after dependency resolution:
# virtio PCI transport, NICs, config-drive disk + its filesystem, and the ACPI
# power button with evdev so the init can see QMP system_powerdown.
BOOT_MODULES="virtio_pci virtio_net virtio_blk isofs vfat nls_cp437 nls_ascii button evdev"
# The pvpanic device labwire gives x86 nodes (ISA, found through ACPI): a
# kernel panic reaches QMP as GUEST_PANICKED and the node shows it. Debian's
# arm64 cloud kernel has no pvpanic driver at all.
if [ "$ARCH" = amd64 ]; then BOOT_MODULES="$BOOT_MODULES pvpanic_mmio"; fi
# Shipped in the initrd for `modprobe` and kernel autoload (vconfig, brctl,
# ip tunnel trigger it), not loaded at boot. No qdiscs: busybox tc cannot
# configure netem/htb/tbf anyway.
EXTRA_MODULES="8021q bridge bonding dummy veth tun macvlan vxlan ipip ip_gre sit"

say() { echo "tiny-linux: $*"; }
die() { echo "tiny-linux: error: $*" >&2; exit 1; }
# kernel_unpack, modules_resolve, modules_install: shared with the other guest builders.
# shellcheck source=images/lib/kmod.sh
. "$HERE/../lib/kmod.sh"

[ "$(id -u)" = 0 ] || die "must run as root (dpkg-deb -x keeps ownership, mknod)"
for t in apt-cache apt-get dpkg-deb dpkg-query depmod cpio gzip find sort sha256sum; do
	command -v "$t" >/dev/null || die "missing tool: $t (make deps)"
done
[ -f "$INIT_SRC" ] || die "missing $INIT_SRC"
HOST_ARCH=$(dpkg --print-architecture)
FOREIGN=
[ "$ARCH" = "$HOST_ARCH" ] || FOREIGN=1

# elf_machine FILE: e_machine of an ELF file (62 x86_64, 183 aarch64), else empty.
elf_machine() {
	[ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ] || return 0
	od -An -tu2 -j18 -N2 "$1" | tr -d ' '
}

# --- guest tools ----------------------------------------------------------------
# Each tool must be static: the initrd has no dynamic loader or libc. The
# manifest ("NAME SHA256" lines) lets a changed tool set force a rebuild even
# when no file got newer (a tool dropped from the list, say).
TOOLS=()
TOOLS_MANIFEST=
for t in ${LW_GUEST_TOOLS:-}; do
	{ [ -f "$t" ] && [ -x "$t" ]; } || die "LW_GUEST_TOOLS: $t is not an executable file"
	name=$(basename "$t" .static)
	[[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || die "LW_GUEST_TOOLS: bad tool name '$name'"
	if command -v readelf >/dev/null && readelf -l "$t" 2>/dev/null | grep 'program interpreter' >/dev/null; then
		die "LW_GUEST_TOOLS: $t is dynamically linked; the guest has no libc"
	fi
	m=$(elf_machine "$t")
	if [ -n "$m" ] && [ "$m" != "$ELF_MACHINE" ]; then
		say "warning: LW_GUEST_TOOLS: $t is not an $ARCH program (ELF machine $m); skipped"
		continue
	fi
	TOOLS+=("$(cd "$(dirname "$t")" && pwd)/$(basename "$t")")
	TOOLS_MANIFEST+="$name $(sha256sum <"$t" | cut -d' ' -f1)"$'\n'
done

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CACHE=$(dirname "$OUT")/cache
mkdir -p "$CACHE"

# apt-get download as root into a directory _apt cannot write warns; keep quiet.
APT_DL=(apt-get -q -o APT::Sandbox::User=root download)
APT_CACHE=(apt-cache)
APT_UPDATE=(apt-get update -qq)
if [ -n "$FOREIGN" ]; then
	# A private apt state for the guest's architecture: the host's sources,
	# lists/cache/status of its own (the host's pkgcache.bin and lists stay
	# as they are; no dpkg --add-architecture). Created once, refreshed when a
	# package is unknown or its download fails (a superseded version).
	ASTATE=$CACHE/apt-$ARCH
	mkdir -p "$ASTATE/lists/partial" "$ASTATE/cache/archives/partial"
	[ -f "$ASTATE/status" ] || : >"$ASTATE/status"
	APT_OPTS=(-o "APT::Architecture=$ARCH" -o "APT::Architectures::=$ARCH"
		-o "Dir::State::Lists=$ASTATE/lists" -o "Dir::Cache=$ASTATE/cache"
		-o "Dir::State::Status=$ASTATE/status")
	APT_DL=(apt-get -q -o APT::Sandbox::User=root "${APT_OPTS[@]}" download)
	APT_CACHE=(apt-cache "${APT_OPTS[@]}")
	APT_UPDATE=(apt-get -q -o APT::Sandbox::User=root "${APT_OPTS[@]}" update)
	if ! ls "$ASTATE"/lists/*_Packages* >/dev/null 2>&1; then
		say "fetching $ARCH apt lists into $ASTATE"
		"${APT_UPDATE[@]}" >/dev/null || die "apt-get update for $ARCH failed"
	fi
fi
# apt_fetch PKG VERSION DEB: download PKG=VERSION as DEB into the cache. For a
# foreign architecture, a failure refreshes the private lists once and retries.
apt_fetch() {
	local tmp
	# Into a directory of its own, then renamed: an interrupted download never
	# leaves a half .deb under the name later builds trust.
	tmp=$(mktemp -d "$CACHE/.dl.XXXXXX")
	if (cd "$tmp" && "${APT_DL[@]}" "$1=$2" >/dev/null) && set -- "$@" "$tmp"/*.deb &&
		[ -s "$4" ] && mv "$4" "$3"; then
		rm -rf "$tmp"
		return 0
	fi
	rm -rf "$tmp"
	[ -n "$FOREIGN" ] || return 1
	say "download of $1 $2 failed; refreshing $ARCH apt lists"
	"${APT_UPDATE[@]}" >/dev/null || return 1
	return 2 # the caller resolves the version again
}

# --- resolve and fetch the kernel package ---------------------------------
# The metapackage's candidate depends on exactly one real linux-image-* package.
resolve_kpkg() {
	"${APT_CACHE[@]}" show --no-all-versions "$META" 2>/dev/null |
		sed -n 's/^Depends: //p' | tr ',|' '\n' |
		sed -n 's/^ *\(linux-image-[^ (]*\).*/\1/p' | head -n1 || true
}
KPKG=$(resolve_kpkg)
# A fresh machine may have no apt lists yet (or stale ones): refresh once.
if [ -z "$KPKG" ] && [ "$(id -u)" = 0 ]; then
	say "apt-cache does not know $META; running apt-get update"
	"${APT_UPDATE[@]}" >/dev/null 2>&1 || true
	KPKG=$(resolve_kpkg)
fi
KDEB=
if [ -n "$KPKG" ]; then
	for try in 1 2; do
		# After a refresh the metapackage may point at a newer ABI.
		[ "$try" = 1 ] || KPKG=$(resolve_kpkg)
		[ -n "$KPKG" ] || die "apt-cache cannot resolve $META after apt-get update"
		KVER_PKG=$("${APT_CACHE[@]}" show --no-all-versions "$KPKG" 2>/dev/null |
			sed -n 's/^Version: //p' | head -n1)
		[ -n "$KVER_PKG" ] || die "apt-cache knows $META -> $KPKG but no version"
		KDEB=$CACHE/${KPKG}_${KVER_PKG//:/%3a}_$ARCH.deb
		[ ! -s "$KDEB" ] || break
		say "downloading $KPKG $KVER_PKG ($ARCH)"
		rc=0
		apt_fetch "$KPKG" "$KVER_PKG" "$KDEB" || rc=$?
		[ "$rc" = 0 ] && break
		[ "$rc" = 2 ] && [ "$try" = 1 ] && continue
		die "apt-get download $KPKG failed"
	done
	[ -s "$KDEB" ] || die "download did not produce $KDEB"
else
	# No apt lists (offline, no apt-get update): reuse the newest cached kernel.
	# shellcheck disable=SC2012 # names are apt-generated, no odd characters
	KDEB=$(ls -t "$CACHE"/linux-image-*-cloud-${ARCH}_*_$ARCH.deb 2>/dev/null | head -n1 || true)
	[ -n "$KDEB" ] || die "apt-cache cannot resolve $META; run apt-get update"
	KPKG=$(dpkg-deb -f "$KDEB" Package)
	KVER_PKG=$(dpkg-deb -f "$KDEB" Version)
	say "apt-cache cannot resolve $META; using cached $(basename "$KDEB")"
fi

# --- busybox-static ---------------------------------------------------------
BB=
if [ -z "$FOREIGN" ] &&
	dpkg-query -W -f='${Status}\n' busybox-static 2>/dev/null | grep -q 'install ok installed' &&
	[ -x /bin/busybox ]; then
	BB=/bin/busybox
	BBVER=$(dpkg-query -W -f='${Version}' busybox-static)
else
	for try in 1 2; do
		BBVER=$("${APT_CACHE[@]}" show --no-all-versions busybox-static 2>/dev/null |
			sed -n 's/^Version: //p' | head -n1)
		[ -n "$BBVER" ] || die "busybox-static ($ARCH) neither installed nor known to apt-cache"
		BBDEB=$CACHE/busybox-static_${BBVER//:/%3a}_$ARCH.deb
		[ ! -s "$BBDEB" ] || break
		say "downloading busybox-static $BBVER ($ARCH)"
		rc=0
		apt_fetch busybox-static "$BBVER" "$BBDEB" || rc=$?
		[ "$rc" = 0 ] && break
		[ "$rc" = 2 ] && [ "$try" = 1 ] && continue
		die "apt-get download busybox-static failed"
	done
	# The host's own unpacked busybox keeps its old directory name.
	BBDIR=$CACHE/busybox-static-${BBVER//:/_}${FOREIGN:+-$ARCH}
	BB=$BBDIR/bin/busybox
	if [ ! -x "$BB" ] || [ "$BBDEB" -nt "$BB" ]; then
		rm -rf "$BBDIR"
		dpkg-deb -x "$BBDEB" "$BBDIR"
	fi
fi
[ "$(elf_machine "$BB")" = "$ELF_MACHINE" ] || die "$BB is not an $ARCH program"
say "busybox-static $BBVER ($BB)"
# HOSTBB runs here: it lays out the applet links and unpacks .ko.xz. A guest
# busybox of a foreign architecture cannot run, so any busybox of the host's
# (busybox-static is in make deps) lends its applet directories.
HOSTBB=$BB
if [ -n "$FOREIGN" ]; then
	HOSTBB=$(command -v busybox || true)
	[ -n "$HOSTBB" ] || die "a host busybox is needed to build an $ARCH guest (make deps)"
fi
say "kernel package $KPKG $KVER_PKG"

# --- up to date? --------------------------------------------------------------
up_to_date() {
	local o i
	for o in "$OUT/vmlinuz" "$OUT/initrd.img" "$OUT/kernel-version"; do
		[ -s "$o" ] || return 1
		for i in "${BASH_SOURCE[0]}" "$HERE/../lib/kmod.sh" "$INIT_SRC" "$KDEB" "$BB" "$HOSTBB" ${TOOLS[@]+"${TOOLS[@]}"}; do
			[ "$o" -nt "$i" ] || return 1
		done
	done
	[ -f "$OUT/guest-tools" ] && [ "$(cat "$OUT/guest-tools")" = "$(printf '%s' "$TOOLS_MANIFEST")" ]
}
if up_to_date; then
	say "kernel $(cat "$OUT/kernel-version")"
	say "up to date: $OUT/vmlinuz $OUT/initrd.img"
	exit 0
fi

# --- unpack the kernel --------------------------------------------------------
WORK=$(mktemp -d "$CACHE/tiny-linux-build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
kernel_unpack "$KDEB" "$WORK"
modules_resolve

# --- stage the initramfs ------------------------------------------------------
R=$WORK/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,mnt,cfg,var/log,var/run} \
	"$R/lib/modules/$KVER" "$R/usr/share/udhcpc" "$R/etc/acpi"
chmod 1777 "$R/tmp"
install -m 0755 "$BB" "$R/bin/busybox"
# Applet symlinks at build time (faster boot than busybox --install at runtime).
# applet_list prints "DIR/NAME" lines, as busybox --list-full does. For a
# foreign guest the names come from the guest binary's own applet name table
# (NUL-separated, sorted, starting "[", "[["), the directories from the host
# busybox (/bin for a name it lacks).
applet_list() {
	if [ -z "$FOREIGN" ]; then
		"$BB" --list-full
		return
	fi
	local -A dir=()
	local a names
	while IFS= read -r a; do
		if [[ $a == */* ]]; then dir[${a##*/}]=${a%/*}/; else dir[$a]=; fi
	done < <("$HOSTBB" --list-full)
	names=$(tr '\0' '\n' <"$BB" | awk '
		done { next } # read to the end: an early exit would fail tr under pipefail
		p { if ($0 == "") done = 1; else print; next }
		prev == "[" && $0 == "[[" { p = 1; print "["; print "[["; next }
		{ prev = $0 }')
	if ! grep -qx sh <<<"$names" || ! grep -qx insmod <<<"$names" || [ "$(wc -l <<<"$names")" -lt 50 ]; then
		say "warning: no applet table found in $BB; using the host busybox's applet list"
		"$HOSTBB" --list-full
		return
	fi
	while IFS= read -r a; do
		echo "${dir[$a]-bin/}$a"
	done <<<"$names"
}
n_applets=0
while IFS= read -r a; do
	case $a in ""|linuxrc|bin/busybox) continue ;; esac
	[ -e "$R/$a" ] || [ -L "$R/$a" ] && continue
	mkdir -p "$R/$(dirname "$a")"
	ln -s /bin/busybox "$R/$a"
	n_applets=$((n_applets + 1))
done < <(applet_list)
install -m 0755 "$INIT_SRC" "$R/init"
# Test tools replace any busybox applet of the same name.
for t in ${TOOLS[@]+"${TOOLS[@]}"}; do
	rm -f "$R/bin/$(basename "$t" .static)"
	install -m 0755 "$t" "$R/bin/$(basename "$t" .static)"
	say "guest tool /bin/$(basename "$t" .static)"
done
# Device nodes needed before devtmpfs is mounted.
mknod -m 600 "$R/dev/console" c 5 1
mknod -m 666 "$R/dev/null" c 1 3

modules_install "$R" "$HOSTBB"

cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$R/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
echo 'root::0:0:99999:7:::' >"$R/etc/shadow"
chmod 600 "$R/etc/shadow"
cat >"$R/etc/profile" <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root
export PS1='\h# '
cd /root 2>/dev/null
EOF
cat >"$R/etc/protocols" <<'EOF'
ip	0	IP
icmp	1	ICMP
igmp	2	IGMP
tcp	6	TCP
udp	17	UDP
gre	47	GRE
ipv6-icmp	58	IPv6-ICMP
ospf	89	OSPFIGP
vrrp	112	VRRP
EOF
echo 'nameserver 127.0.0.1' >"$R/etc/resolv.conf"
# udhcpc's default event script (busybox ships none).
cat >"$R/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
# udhcpc event script: configure $interface from the lease.
case $1 in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" ${broadcast:+broadcast $broadcast} dev "$interface"
	if [ -n "$router" ]; then
		while ip route del default dev "$interface" 2>/dev/null; do :; done
		for r in $router; do ip route add default via "$r" dev "$interface"; break; done
	fi
	if [ -n "$dns" ]; then
		: >/etc/resolv.conf
		[ -n "$domain" ] && echo "search $domain" >>/etc/resolv.conf
		for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
	fi
	;;
esac
exit 0
EOF
chmod 0755 "$R/usr/share/udhcpc/default.script"

# --- pack -----------------------------------------------------------------------
say "packing initramfs ($n_applets applets)"
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9 -n >"$WORK/initrd.img"
# arm64: an Image (magic "ARMd" at 0x38) or a gzipped one; QEMU boots both.
if [ "$ARCH" = arm64 ] && [ "$(dd if="$VMLINUZ" bs=1 skip=56 count=4 2>/dev/null)" != ARMd ] &&
	[ "$(head -c 2 "$VMLINUZ" | od -An -tx1 | tr -d ' ')" != 1f8b ]; then
	die "boot/vmlinuz-$KVER is neither an arm64 Image nor a gzipped one"
fi
cp "$VMLINUZ" "$WORK/vmlinuz"
echo "$KVER ($KPKG $KVER_PKG)" >"$WORK/kernel-version"
printf '%s' "$TOOLS_MANIFEST" >"$WORK/guest-tools"
mv -f "$WORK/vmlinuz" "$OUT/vmlinuz"
mv -f "$WORK/initrd.img" "$OUT/initrd.img"
mv -f "$WORK/kernel-version" "$OUT/kernel-version"
# Last: if we die before this, the old manifest no longer matches and the next run rebuilds.
mv -f "$WORK/guest-tools" "$OUT/guest-tools"
say "wrote $OUT/vmlinuz ($(stat -c %s "$OUT/vmlinuz") bytes)"
say "wrote $OUT/initrd.img ($(stat -c %s "$OUT/initrd.img") bytes)"

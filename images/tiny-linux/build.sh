#!/bin/bash
# Build the tiny-linux guest: OUTDIR/vmlinuz + OUTDIR/initrd.img.
#
# Everything comes from Debian packages: the cloud kernel (the package behind
# the linux-image-cloud-amd64 metapackage, downloaded with apt-get download and
# unpacked with dpkg-deb -x, never installed on the host), busybox-static, and
# that kernel's own modules. Run as root:
#
#     images/tiny-linux/build.sh build/images/tiny-linux
#
# LW_GUEST_TOOLS, if set, is a space-separated list of statically linked
# programs (test tools such as build/tools/lwframe.static) installed into the
# initramfs as /bin/NAME, NAME being the file name less a ".static" suffix:
#
#     LW_GUEST_TOOLS=build/tools/lwframe.static images/tiny-linux/build.sh OUTDIR
#
# Idempotent: when both outputs are newer than every input (this script, the
# init, the kernel .deb, busybox, each tool) and were built with the same tools
# (names and contents, recorded in OUTDIR/guest-tools) nothing is done.
set -euo pipefail

usage() { echo "usage: $0 OUTDIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
OUT=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
INIT_SRC=$HERE/init
META=${LW_KERNEL_META:-linux-image-cloud-amd64}

# Modules loaded at boot, in this order after dependency resolution:
# virtio PCI transport, NICs, config-drive disk + its filesystem, and the ACPI
# power button with evdev so the init can see QMP system_powerdown.
BOOT_MODULES="virtio_pci virtio_net virtio_blk isofs vfat nls_cp437 nls_ascii button evdev"
# Shipped in the initrd for `modprobe` and kernel autoload (vconfig, brctl,
# ip tunnel trigger it), not loaded at boot. No qdiscs: busybox tc cannot
# configure netem/htb/tbf anyway.
EXTRA_MODULES="8021q bridge bonding dummy veth tun macvlan vxlan ipip ip_gre sit"

say() { echo "tiny-linux: $*"; }
die() { echo "tiny-linux: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (dpkg-deb -x keeps ownership, mknod)"
for t in apt-cache apt-get dpkg-deb dpkg-query depmod cpio gzip find sort sha256sum; do
	command -v "$t" >/dev/null || die "missing tool: $t (make deps)"
done
[ -f "$INIT_SRC" ] || die "missing $INIT_SRC"

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
	TOOLS+=("$(cd "$(dirname "$t")" && pwd)/$(basename "$t")")
	TOOLS_MANIFEST+="$name $(sha256sum <"$t" | cut -d' ' -f1)"$'\n'
done

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CACHE=$(dirname "$OUT")/cache
mkdir -p "$CACHE"

# apt-get download as root into a directory _apt cannot write warns; keep quiet.
APT_DL=(apt-get -q -o APT::Sandbox::User=root download)

# --- resolve and fetch the kernel package ---------------------------------
# The metapackage's candidate depends on exactly one real linux-image-* package.
resolve_kpkg() {
	apt-cache show --no-all-versions "$META" 2>/dev/null |
		sed -n 's/^Depends: //p' | tr ',|' '\n' |
		sed -n 's/^ *\(linux-image-[^ (]*\).*/\1/p' | head -n1 || true
}
KPKG=$(resolve_kpkg)
# A fresh machine may have no apt lists yet (or stale ones): refresh once.
if [ -z "$KPKG" ] && [ "$(id -u)" = 0 ]; then
	say "apt-cache does not know $META; running apt-get update"
	apt-get update -qq >/dev/null 2>&1 || true
	KPKG=$(resolve_kpkg)
fi
KDEB=
if [ -n "$KPKG" ]; then
	KVER_PKG=$(apt-cache show --no-all-versions "$KPKG" 2>/dev/null |
		sed -n 's/^Version: //p' | head -n1)
	[ -n "$KVER_PKG" ] || die "apt-cache knows $META -> $KPKG but no version"
	KDEB=$CACHE/${KPKG}_${KVER_PKG//:/%3a}_amd64.deb
	if [ ! -s "$KDEB" ]; then
		say "downloading $KPKG $KVER_PKG"
		(cd "$CACHE" && "${APT_DL[@]}" "$KPKG=$KVER_PKG" >/dev/null) ||
			die "apt-get download $KPKG failed"
		[ -s "$KDEB" ] || die "download did not produce $KDEB"
	fi
else
	# No apt lists (offline, no apt-get update): reuse the newest cached kernel.
	# shellcheck disable=SC2012 # names are apt-generated, no odd characters
	KDEB=$(ls -t "$CACHE"/linux-image-*-cloud-amd64_*_amd64.deb 2>/dev/null | head -n1 || true)
	[ -n "$KDEB" ] || die "apt-cache cannot resolve $META; run apt-get update"
	KPKG=$(dpkg-deb -f "$KDEB" Package)
	KVER_PKG=$(dpkg-deb -f "$KDEB" Version)
	say "apt-cache cannot resolve $META; using cached $(basename "$KDEB")"
fi

# --- busybox-static ---------------------------------------------------------
BB=
if dpkg-query -W -f='${Status}\n' busybox-static 2>/dev/null | grep -q 'install ok installed' &&
	[ -x /bin/busybox ]; then
	BB=/bin/busybox
	BBVER=$(dpkg-query -W -f='${Version}' busybox-static)
else
	BBVER=$(apt-cache show --no-all-versions busybox-static 2>/dev/null |
		sed -n 's/^Version: //p' | head -n1)
	[ -n "$BBVER" ] || die "busybox-static neither installed nor known to apt-cache"
	BBDEB=$CACHE/busybox-static_${BBVER//:/%3a}_amd64.deb
	if [ ! -s "$BBDEB" ]; then
		say "downloading busybox-static $BBVER"
		(cd "$CACHE" && "${APT_DL[@]}" "busybox-static=$BBVER" >/dev/null) ||
			die "apt-get download busybox-static failed"
	fi
	BB=$CACHE/busybox-static-${BBVER//:/_}/bin/busybox
	if [ ! -x "$BB" ] || [ "$BBDEB" -nt "$BB" ]; then
		rm -rf "$CACHE/busybox-static-${BBVER//:/_}"
		dpkg-deb -x "$BBDEB" "$CACHE/busybox-static-${BBVER//:/_}"
	fi
fi
say "busybox-static $BBVER ($BB)"
say "kernel package $KPKG $KVER_PKG"

# --- up to date? --------------------------------------------------------------
up_to_date() {
	local o i
	for o in "$OUT/vmlinuz" "$OUT/initrd.img" "$OUT/kernel-version"; do
		[ -s "$o" ] || return 1
		for i in "${BASH_SOURCE[0]}" "$INIT_SRC" "$KDEB" "$BB" ${TOOLS[@]+"${TOOLS[@]}"}; do
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
say "unpacking $(basename "$KDEB")"
dpkg-deb -x "$KDEB" "$WORK/k"
set -- "$WORK"/k/lib/modules/*/
{ [ $# -eq 1 ] && [ -d "$1" ]; } || die "expected exactly one /lib/modules/<version> in $KDEB"
KVER=$(basename "$1")
KMOD=$WORK/k/lib/modules/$KVER
VMLINUZ=$WORK/k/boot/vmlinuz-$KVER
KCONFIG=$WORK/k/boot/config-$KVER
[ -f "$VMLINUZ" ] || die "no boot/vmlinuz-$KVER in $KDEB"
[ -f "$KCONFIG" ] || die "no boot/config-$KVER in $KDEB"
say "kernel $KVER"

# The package ships no modules.dep (Debian runs depmod in postinst): make one.
depmod -b "$WORK/k" "$KVER"

# Config symbol for each boot module; =y means built in, nothing to load.
kconfig_sym() {
	case $1 in
	virtio_pci) echo VIRTIO_PCI ;; virtio_net) echo VIRTIO_NET ;;
	virtio_blk) echo VIRTIO_BLK ;; isofs) echo ISO9660_FS ;;
	vfat) echo VFAT_FS ;; nls_cp437) echo NLS_CODEPAGE_437 ;; nls_ascii) echo NLS_ASCII ;;
	button) echo ACPI_BUTTON ;; evdev) echo INPUT_EVDEV ;;
	*) echo "" ;;
	esac
}

# modules.dep: "kernel/x/y.ko[.xz]: kernel/dep1.ko kernel/dep2.ko"
declare -A DEPS PATHOF SEEN
while IFS= read -r line; do
	p=${line%%:*}
	n=${p##*/}; n=${n%%.ko*}; n=${n//-/_}
	PATHOF[$n]=$p
	DEPS[$n]=${line#*:}
done <"$KMOD/modules.dep"

ORDER=()
visit() { # depth-first: every dependency before the module itself
	local n=$1 d dn
	[ -n "${SEEN[$n]:-}" ] && return 0
	SEEN[$n]=1
	for d in ${DEPS[$n]}; do
		dn=${d##*/}; dn=${dn%%.ko*}; dn=${dn//-/_}
		visit "$dn"
	done
	ORDER+=("$n")
}

for m in $BOOT_MODULES; do
	sym=$(kconfig_sym "$m")
	if [ -n "$sym" ] && grep -q "^CONFIG_$sym=y" "$KCONFIG"; then
		say "  $m: built in (CONFIG_$sym=y)"
		continue
	fi
	[ -n "${PATHOF[$m]:-}" ] || die "module $m not in $KPKG"
	visit "$m"
done
BOOT_ORDER=("${ORDER[@]}")
for m in $EXTRA_MODULES; do
	if [ -n "${PATHOF[$m]:-}" ]; then visit "$m"; else say "  (no module $m, skipped)"; fi
done

# --- stage the initramfs ------------------------------------------------------
R=$WORK/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,root,mnt,cfg,var/log,var/run} \
	"$R/lib/modules/$KVER" "$R/usr/share/udhcpc" "$R/etc/acpi"
chmod 1777 "$R/tmp"
install -m 0755 "$BB" "$R/bin/busybox"
# Applet symlinks at build time (faster boot than busybox --install at runtime).
n_applets=0
while IFS= read -r a; do
	case $a in ""|linuxrc|bin/busybox) continue ;; esac
	[ -e "$R/$a" ] || [ -L "$R/$a" ] && continue
	mkdir -p "$R/$(dirname "$a")"
	ln -s /bin/busybox "$R/$a"
	n_applets=$((n_applets + 1))
done < <("$BB" --list-full)
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

# Modules: copy (decompressing if needed), keep the tree layout so the
# guest's busybox modprobe works with a regenerated modules.dep.
for n in "${ORDER[@]}"; do
	src=$KMOD/${PATHOF[$n]}
	rel=${PATHOF[$n]%%.ko*}.ko
	dst=$R/lib/modules/$KVER/$rel
	mkdir -p "$(dirname "$dst")"
	case $src in
	*.ko) cp "$src" "$dst" ;;
	*.ko.xz) "$BB" xz -dc "$src" >"$dst" ;;
	*.ko.gz) gzip -dc "$src" >"$dst" ;;
	*.ko.zst) command -v zstd >/dev/null || die "zstd needed for $src"; zstd -qdc "$src" >"$dst" ;;
	*) die "unknown module format: $src" ;;
	esac
done
cp "$KMOD"/modules.builtin "$KMOD"/modules.builtin.modinfo "$KMOD"/modules.order "$R/lib/modules/$KVER/"
depmod -b "$R" "$KVER"
# Busybox modprobe reads only the text files; drop kmod's binary indexes.
rm -f "$R/lib/modules/$KVER"/*.bin
{
	for n in "${BOOT_ORDER[@]}"; do
		rel=${PATHOF[$n]%%.ko*}.ko
		echo "/lib/modules/$KVER/$rel"
	done
} >"$R/etc/boot-modules"
say "boot modules (load order): ${BOOT_ORDER[*]}"
say "modprobe-able extras: $((${#ORDER[@]} - ${#BOOT_ORDER[@]})) modules"

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

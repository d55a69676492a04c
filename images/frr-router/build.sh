#!/bin/bash
# Build the frr-router guest: OUTDIR/vmlinuz + OUTDIR/initrd.img.
#
# The tiny-linux recipe (images/tiny-linux/build.sh) plus FRR: the same
# Debian cloud kernel (same .deb, same cache: OUTDIR/../cache, so a tree that
# built tiny-linux downloads no second kernel), busybox-static, the same
# virtio modules, and the routing daemons of Debian's frr package.
#
# frr is never installed on the host (its postinst would start daemons here):
# it is fetched with apt-get download and unpacked with dpkg-deb -x into the
# cache. Only the shared libraries it links against are installed on the host
# (apt-get install of the lib* packages in frr's Depends, when missing), and
# the daemons' library closure is copied from the host the way mkinitramfs'
# copy_exec does it, by asking ldd. Run as root:
#
#     images/frr-router/build.sh build/images/frr-router
#
# Idempotent: when the outputs are newer than every input (this script, the
# init, the kernel, busybox and frr .debs) and the host files copied into the
# initramfs (libraries, terminfo; paths and contents in OUTDIR/host-files) are
# unchanged, nothing is done.
set -euo pipefail

usage() { echo "usage: $0 OUTDIR" >&2; exit 2; }
[ $# -eq 1 ] || usage
OUT=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
INIT_SRC=$HERE/init
META=${LW_KERNEL_META:-linux-image-cloud-amd64}

# Kept identical to images/tiny-linux/build.sh: loaded at boot in dependency
# order (virtio PCI, NICs, config-drive disk + filesystems, ACPI power button).
BOOT_MODULES="virtio_pci virtio_net virtio_blk isofs vfat nls_cp437 nls_ascii button evdev"
# Shipped for modprobe/autoload, not loaded at boot (as tiny-linux).
EXTRA_MODULES="8021q bridge bonding dummy veth tun macvlan vxlan ipip ip_gre sit"

# FRR programs shipped (from /usr/lib/frr). Which of them the init starts is
# /etc/frr/daemons (written below): ripd and ripngd only for a startup-config
# with "router rip" / "router ripng" (they cost boot time and RAM otherwise).
FRR_DAEMONS="zebra staticd ospfd ospf6d bgpd ripd ripngd"
# vtysh authenticates its user through PAM (service "frr") and exits when
# that fails; /etc/pam.d/frr lets everyone in with this module, from the
# host's libpam-modules (Priority: required), as Debian's own frr package does.
PAM_PERMIT=/lib/x86_64-linux-gnu/security/pam_permit.so
# Terminal descriptions for readline (vtysh) from the host's ncurses-base.
TERMINFO="d/dumb l/linux v/vt100 v/vt102 v/vt220 x/xterm x/xterm-256color s/screen"

say() { echo "frr-router: $*"; }
die() { echo "frr-router: error: $*" >&2; exit 1; }
# kernel_unpack, modules_resolve, modules_install: shared with the other guest builders.
# shellcheck source=images/lib/kmod.sh
. "$HERE/../lib/kmod.sh"

[ "$(id -u)" = 0 ] || die "must run as root (dpkg-deb -x keeps ownership, mknod, apt-get)"
for t in apt-cache apt-get dpkg-deb dpkg-query depmod cpio gzip find sort sha256sum ldd; do
	command -v "$t" >/dev/null || die "missing tool: $t (make deps)"
done
[ -f "$INIT_SRC" ] || die "missing $INIT_SRC"
[ -f "$PAM_PERMIT" ] || die "missing $PAM_PERMIT (apt-get install libpam-modules)"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
CACHE=$(dirname "$OUT")/cache
mkdir -p "$CACHE"

APT_DL=(apt-get -q -o APT::Sandbox::User=root download)
# apt_dl PKG=VERSION DEB: download into a private directory, then rename into
# place, so a concurrent build sharing the cache never sees half a .deb.
apt_dl() {
	local tmp
	tmp=$(mktemp -d "$CACHE/.download.XXXXXX")
	if (cd "$tmp" && "${APT_DL[@]}" "$1" >/dev/null) && set -- "$1" "$2" "$tmp"/*.deb &&
		[ $# -eq 3 ] && [ -s "$3" ]; then
		mv -f "$3" "$2"
		rm -rf "$tmp"
		return 0
	fi
	rm -rf "$tmp"
	return 1
}

# --- resolve and fetch the kernel package (as tiny-linux) ------------------------
resolve_kpkg() {
	apt-cache show --no-all-versions "$META" 2>/dev/null |
		sed -n 's/^Depends: //p' | tr ',|' '\n' |
		sed -n 's/^ *\(linux-image-[^ (]*\).*/\1/p' | head -n1 || true
}
APT_UPDATED=
apt_update_once() {
	[ -z "$APT_UPDATED" ] || return 0
	APT_UPDATED=1
	say "running apt-get update"
	apt-get update -qq >/dev/null 2>&1 || true
}
KPKG=$(resolve_kpkg)
if [ -z "$KPKG" ]; then
	say "apt-cache does not know $META"
	apt_update_once
	KPKG=$(resolve_kpkg)
fi
# fetch_deb PKG VER: sets DEB, the cached .deb of PKG=VER, downloading it when missing.
fetch_deb() {
	DEB=$CACHE/${1}_${2//:/%3a}_amd64.deb
	[ ! -s "$DEB" ] || return 0
	say "downloading $1 $2"
	apt_dl "$1=$2" "$DEB" || die "apt-get download $1 failed"
	[ -s "$DEB" ] || die "download did not produce $DEB"
}

KDEB=
if [ -n "$KPKG" ]; then
	KVER_PKG=$(apt-cache show --no-all-versions "$KPKG" 2>/dev/null |
		sed -n 's/^Version: //p' | head -n1)
	[ -n "$KVER_PKG" ] || die "apt-cache knows $META -> $KPKG but no version"
	fetch_deb "$KPKG" "$KVER_PKG"
	KDEB=$DEB
else
	# shellcheck disable=SC2012 # names are apt-generated, no odd characters
	KDEB=$(ls -t "$CACHE"/linux-image-*-cloud-amd64_*_amd64.deb 2>/dev/null | head -n1 || true)
	[ -n "$KDEB" ] || die "apt-cache cannot resolve $META; run apt-get update"
	KPKG=$(dpkg-deb -f "$KDEB" Package)
	KVER_PKG=$(dpkg-deb -f "$KDEB" Version)
	say "apt-cache cannot resolve $META; using cached $(basename "$KDEB")"
fi

# --- a package fetched and unpacked into the cache (never installed) -------------
# fetch_unpack PKG: sets DEB (the cached .deb) and DIR (its unpacked tree).
fetch_unpack() {
	local pkg=$1 ver
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
	if [ -z "$ver" ]; then
		apt_update_once
		ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n1)
	fi
	if [ -n "$ver" ]; then
		fetch_deb "$pkg" "$ver"
	else
		# shellcheck disable=SC2012
		DEB=$(ls -t "$CACHE/${pkg}"_*_amd64.deb 2>/dev/null | head -n1 || true)
		[ -n "$DEB" ] || die "apt-cache does not know $pkg and none is cached"
		ver=$(dpkg-deb -f "$DEB" Version)
		say "apt-cache does not know $pkg; using cached $(basename "$DEB")"
	fi
	DIR=$CACHE/${pkg}-${ver//:/_}
	if [ ! -f "$DIR/.unpacked" ] || [ "$DEB" -nt "$DIR/.unpacked" ]; then
		rm -rf "$DIR"
		dpkg-deb -x "$DEB" "$DIR"
		touch "$DIR/.unpacked"
	fi
	PKGVER=$ver
}

# --- busybox-static (as tiny-linux: the host's, else downloaded) ----------------
if dpkg-query -W -f='${Status}\n' busybox-static 2>/dev/null | grep -q 'install ok installed' &&
	[ -x /bin/busybox ]; then
	BB=/bin/busybox
	BBVER=$(dpkg-query -W -f='${Version}' busybox-static)
else
	fetch_unpack busybox-static
	BB=$DIR/bin/busybox
	BBVER=$PKGVER
	[ -x "$BB" ] || die "no bin/busybox in $DEB"
fi
say "busybox-static $BBVER ($BB)"
say "kernel package $KPKG $KVER_PKG"

# --- frr ---------------------------------------------------------------------------
fetch_unpack frr
FRRDEB=$DEB
FRR=$DIR
FRRVER=$PKGVER
say "frr $FRRVER (unpacked in $FRR)"
FRRLIBDIR=/usr/lib/x86_64-linux-gnu/frr
[ -f "$FRR$FRRLIBDIR/libfrr.so.0" ] || die "no $FRRLIBDIR/libfrr.so.0 in $FRRDEB"
for d in $FRR_DAEMONS; do
	[ -x "$FRR/usr/lib/frr/$d" ] || die "no /usr/lib/frr/$d in $FRRDEB"
done
[ -x "$FRR/usr/bin/vtysh" ] || die "no /usr/bin/vtysh in $FRRDEB"

# The shared libraries frr needs, installed on the host (libraries only: the
# lib* packages of frr's Depends; their own dependencies come with them).
LIBPKGS=$(dpkg-deb -f "$FRRDEB" Depends | tr ',' '\n' |
	sed -n 's/^ *\(lib[a-z0-9.+-]*\).*/\1/p' | sort -u)
missing=
for p in $LIBPKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=" $p"
done
if [ -n "$missing" ]; then
	say "installing libraries on the host:$missing"
	# shellcheck disable=SC2086 # package names are words
	if ! log=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing 2>&1); then
		apt_update_once
		# shellcheck disable=SC2086
		log=$(DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing 2>&1) ||
			{ echo "$log" >&2; die "apt-get install$missing failed"; }
	fi
fi

# ELF files shipped from the frr package (paths in the guest).
FRR_ELF=(/usr/bin/vtysh)
for d in $FRR_DAEMONS; do FRR_ELF+=("/usr/lib/frr/$d"); done

# closure: "GUESTPATH HOSTPATH" for the PAM module and every library the frr
# programs and the module load, as ldd resolves it (frr's own libraries from
# the unpacked package via LD_LIBRARY_PATH, standing in for their RUNPATH; the
# rest from the host), plus the dynamic loader.
closure() {
	local f line path
	echo "$PAM_PERMIT $PAM_PERMIT"
	for f in "${FRR_ELF[@]/#/$FRR}" "$PAM_PERMIT"; do
		LD_LIBRARY_PATH=$FRR$FRRLIBDIR ldd "$f" 2>&1 || echo "$f not found (ldd failed)"
	done | while IFS= read -r line; do
		case $line in
		*"not found"*) echo "MISSING ${line%% *}" ;;
		*" => "/*)
			path=${line#* => }; path=${path%% (*}
			case $path in
			"$FRR"/*) echo "${path#"$FRR"} $path" ;;
			*) echo "$path $path" ;;
			esac ;;
		*/ld-linux*)
			path=${line//[[:space:]]/}; path=${path%%(*}
			echo "$path $path" ;;
		esac
	done | LC_ALL=C sort -u
}
CLOSURE=$(closure)
if grep -q '^MISSING' <<<"$CLOSURE"; then
	die "libraries not found: $(sed -n 's/^MISSING //p' <<<"$CLOSURE" | tr '\n' ' ')"
fi

# Host files copied into the initramfs, with their contents' hashes: a library
# upgraded on the host (same path, new contents) forces a rebuild.
host_manifest() {
	local g h t
	while read -r g h; do
		case $h in "$FRR"/*) continue ;; esac
		echo "$g $(sha256sum <"$h" | cut -d' ' -f1)"
	done <<<"$CLOSURE"
	for t in $TERMINFO; do
		[ -f "/lib/terminfo/$t" ] || continue
		echo "/lib/terminfo/$t $(sha256sum <"/lib/terminfo/$t" | cut -d' ' -f1)"
	done
}
HOST_MANIFEST=$(host_manifest)

# --- up to date? --------------------------------------------------------------
up_to_date() {
	local o i
	for o in "$OUT/vmlinuz" "$OUT/initrd.img" "$OUT/kernel-version"; do
		[ -s "$o" ] || return 1
		for i in "${BASH_SOURCE[0]}" "$HERE/../lib/kmod.sh" "$INIT_SRC" "$KDEB" "$BB" "$FRRDEB"; do
			[ "$o" -nt "$i" ] || return 1
		done
	done
	[ -f "$OUT/host-files" ] && [ "$(cat "$OUT/host-files")" = "$HOST_MANIFEST" ]
}
if up_to_date; then
	say "kernel $(cat "$OUT/kernel-version")"
	say "up to date: $OUT/vmlinuz $OUT/initrd.img"
	exit 0
fi

# --- unpack the kernel, resolve modules (as tiny-linux) ---------------------------
WORK=$(mktemp -d "$CACHE/frr-router-build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
kernel_unpack "$KDEB" "$WORK"
modules_resolve

# --- stage the initramfs ------------------------------------------------------
R=$WORK/root
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,usr/lib/frr,etc/frr,etc/pam.d,proc,sys,dev,tmp,run,root,mnt,cfg} \
	"$R"/var/{log/frr,tmp} "$R/lib/modules/$KVER" "$R/etc/acpi" "$R/lib/terminfo"
chmod 1777 "$R/tmp" "$R/var/tmp"
ln -s /run "$R/var/run"
install -m 0755 "$BB" "$R/bin/busybox"
n_applets=0
while IFS= read -r a; do
	case $a in ""|linuxrc|bin/busybox) continue ;; esac
	[ -e "$R/$a" ] || [ -L "$R/$a" ] && continue
	mkdir -p "$R/$(dirname "$a")"
	ln -s /bin/busybox "$R/$a"
	n_applets=$((n_applets + 1))
done < <("$BB" --list-full)
install -m 0755 "$INIT_SRC" "$R/init"
mknod -m 600 "$R/dev/console" c 5 1
mknod -m 666 "$R/dev/null" c 1 3

modules_install "$R" "$BB"

# --- FRR programs and their libraries --------------------------------------------
for f in "${FRR_ELF[@]}"; do
	install -D -m 0755 "$FRR$f" "$R$f"
done
# Libraries under the name the loader asks for (the soname ldd printed),
# dereferenced; the loader also at its PT_INTERP path.
while read -r g h; do
	mkdir -p "$R$(dirname "$g")"
	cp -L "$h" "$R$g"
	chmod 0755 "$R$g"
done <<<"$CLOSURE"
say "libraries: $(wc -l <<<"$CLOSURE") ($(cut -d' ' -f1 <<<"$CLOSURE" | xargs -n1 basename | tr '\n' ' '))"
# A loader cache so lookups do not walk the default directories.
if command -v ldconfig >/dev/null; then
	mkdir -p "$R/etc/ld.so.conf.d"
	printf '%s\n' /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu "$FRRLIBDIR" >"$R/etc/ld.so.conf"
	ldconfig -r "$R" 2>/dev/null || say "ldconfig -r failed (harmless: the loader searches the default dirs)"
fi
for t in $TERMINFO; do
	[ -f "/lib/terminfo/$t" ] || continue
	install -D -m 0644 "/lib/terminfo/$t" "$R/lib/terminfo/$t"
done

# --- /etc ------------------------------------------------------------------------
# frr/frrvty as Debian's postinst creates them (system user, nologin).
cat >"$R/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
frr:x:100:101:Frr routing suite:/run/frr:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$R/etc/group" <<'EOF'
root:x:0:
frrvty:x:100:frr
frr:x:101:
nogroup:x:65534:
EOF
echo 'root::0:0:99999:7:::' >"$R/etc/shadow"
chmod 600 "$R/etc/shadow"
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\nservices: files\nprotocols: files\n' \
	>"$R/etc/nsswitch.conf"
cat >"$R/etc/profile" <<'EOF'
export PATH=/bin:/sbin:/usr/bin:/usr/sbin:/usr/lib/frr
export HOME=/root
export PS1='\h(shell)# '
cd /root 2>/dev/null
EOF
cat >"$R/etc/protocols" <<'EOF'
ip	0	IP
icmp	1	ICMP
igmp	2	IGMP
tcp	6	TCP
udp	17	UDP
gre	47	GRE
ipv6	41	IPv6
ipv6-icmp	58	IPv6-ICMP
ospf	89	OSPFIGP
vrrp	112	VRRP
pim	103	PIM
EOF
cat >"$R/etc/services" <<'EOF'
zebrasrv	2600/tcp
zebra		2601/tcp
ripd		2602/tcp
ripngd		2603/tcp
ospfd		2604/tcp
bgpd		2605/tcp
ospf6d		2606/tcp
isisd		2608/tcp
staticd		2616/tcp
bgp		179/tcp
rip		520/udp
ripng		521/udp
EOF
echo 'nameserver 127.0.0.1' >"$R/etc/resolv.conf"

# Which daemons the init starts (yes/no) and their options: shell syntax,
# sourced by the init, in the spirit of Debian's /etc/frr/daemons.
{
	echo "# Daemons started by /init (zebra first): yes, no, or auto (when frr.conf"
	echo "# has a \"router rip\" / \"router ripng\" line)."
	for d in $FRR_DAEMONS; do
		case $d in ripd|ripngd) echo "$d=auto" ;; *) echo "$d=yes" ;; esac
	done
	for d in $FRR_DAEMONS; do echo "${d}_options=\"-A 127.0.0.1\""; done
} >"$R/etc/frr/daemons"
# vtysh's "ping WORD" / "ping ip WORD" execs "ping" through PATH and waits for
# it; busybox ping alone would ping until ^C. The init puts this directory
# first in vtysh's PATH (only vtysh's: the root shell's ping is busybox's own),
# so a ping from vtysh sends 3 probes, waits at most 1 s for a reply, and
# returns to the prompt ("3 packets transmitted, N packets received").
mkdir -p "$R/usr/lib/labwire/vtysh-bin"
printf '#!/bin/sh\n# vtysh%ss ping: 3 probes, 1 s timeout each, then back to the vtysh prompt.\nexec /bin/busybox ping -c 3 -W 1 "$@"\n' "'" \
	>"$R/usr/lib/labwire/vtysh-bin/ping"
chmod 0755 "$R/usr/lib/labwire/vtysh-bin/ping"
printf 'service integrated-vtysh-config\n' >"$R/etc/frr/vtysh.conf"
# Rather than "username root nopassword" in vtysh.conf, which would show in
# every running-config (and so in exported configs).
printf 'auth\tsufficient\tpam_permit.so\naccount\tsufficient\tpam_permit.so\n' >"$R/etc/pam.d/frr"

# --- pack -----------------------------------------------------------------------
say "packing initramfs ($n_applets applets, $(du -sk "$R" | cut -f1) KiB unpacked)"
(cd "$R" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9 -n >"$WORK/initrd.img"
cp "$VMLINUZ" "$WORK/vmlinuz"
echo "$KVER ($KPKG $KVER_PKG); frr $FRRVER" >"$WORK/kernel-version"
printf '%s\n' "$HOST_MANIFEST" >"$WORK/host-files"
mv -f "$WORK/vmlinuz" "$OUT/vmlinuz"
mv -f "$WORK/initrd.img" "$OUT/initrd.img"
mv -f "$WORK/kernel-version" "$OUT/kernel-version"
# Last: if we die before this, the old manifest no longer matches and the next run rebuilds.
mv -f "$WORK/host-files" "$OUT/host-files"
say "wrote $OUT/vmlinuz ($(stat -c %s "$OUT/vmlinuz") bytes)"
say "wrote $OUT/initrd.img ($(stat -c %s "$OUT/initrd.img") bytes)"

# images/lib/kmod.sh - what the guest builders share (sourced, bash): unpack
# a Debian kernel package, resolve the modules a guest loads at boot (and
# the ones it may modprobe later) in dependency order, and install them
# into an initramfs root. The caller defines say and die.

# kernel_unpack KDEB DIR: the package under DIR/k; sets KVER, KMOD, VMLINUZ,
# KCONFIG and makes the modules.dep Debian only makes in postinst.
kernel_unpack() {
	local deb=$1 dir=$2
	say "unpacking $(basename "$deb")"
	dpkg-deb -x "$deb" "$dir/k"
	set -- "$dir"/k/lib/modules/*/
	{ [ $# -eq 1 ] && [ -d "$1" ]; } || die "expected exactly one /lib/modules/<version> in $deb"
	KVER=$(basename "$1")
	KMOD=$dir/k/lib/modules/$KVER
	VMLINUZ=$dir/k/boot/vmlinuz-$KVER
	KCONFIG=$dir/k/boot/config-$KVER
	[ -f "$VMLINUZ" ] || die "no boot/vmlinuz-$KVER in $deb"
	[ -f "$KCONFIG" ] || die "no boot/config-$KVER in $deb"
	say "kernel $KVER"
	depmod -b "$dir/k" "$KVER"
}

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

# modules_resolve: $BOOT_MODULES (each must exist unless built in) and
# $EXTRA_MODULES (skipped when absent) of package $KPKG, dependencies first.
# Sets PATHOF (name -> path under $KMOD), ORDER (all) and BOOT_ORDER.
modules_resolve() {
	local line p n m sym
	declare -gA DEPS PATHOF SEEN
	# modules.dep: "kernel/x/y.ko[.xz]: kernel/dep1.ko kernel/dep2.ko"
	while IFS= read -r line; do
		p=${line%%:*}
		n=${p##*/}; n=${n%%.ko*}; n=${n//-/_}
		PATHOF[$n]=$p
		DEPS[$n]=${line#*:}
	done <"$KMOD/modules.dep"
	ORDER=()
	for m in $BOOT_MODULES; do
		sym=$(kconfig_sym "$m")
		if [ -n "$sym" ] && grep -q "^CONFIG_$sym=y" "$KCONFIG"; then
			say "  $m: built in (CONFIG_$sym=y)"
			continue
		fi
		[ -n "${PATHOF[$m]:-}" ] || die "module $m not in $KPKG"
		modules_visit "$m"
	done
	BOOT_ORDER=("${ORDER[@]}")
	for m in $EXTRA_MODULES; do
		if [ -n "${PATHOF[$m]:-}" ]; then modules_visit "$m"; else say "  (no module $m, skipped)"; fi
	done
}

modules_visit() { # depth-first: every dependency before the module itself
	local n=$1 d dn
	[ -n "${SEEN[$n]:-}" ] && return 0
	SEEN[$n]=1
	for d in ${DEPS[$n]}; do
		dn=${d##*/}; dn=${dn%%.ko*}; dn=${dn//-/_}
		modules_visit "$dn"
	done
	ORDER+=("$n")
}

# modules_install ROOT XZ: ORDER's modules into ROOT (decompressed, with XZ, a
# busybox that runs here, for .ko.xz), keeping the tree layout so the guest's
# busybox modprobe works with a regenerated modules.dep; the boot modules'
# load order into ROOT/etc/boot-modules.
modules_install() {
	local root=$1 xz=$2 n src rel dst
	for n in "${ORDER[@]}"; do
		src=$KMOD/${PATHOF[$n]}
		rel=${PATHOF[$n]%%.ko*}.ko
		dst=$root/lib/modules/$KVER/$rel
		mkdir -p "$(dirname "$dst")"
		case $src in
		*.ko) cp "$src" "$dst" ;;
		*.ko.xz) "$xz" xz -dc "$src" >"$dst" ;;
		*.ko.gz) gzip -dc "$src" >"$dst" ;;
		*.ko.zst) command -v zstd >/dev/null || die "zstd needed for $src"; zstd -qdc "$src" >"$dst" ;;
		*) die "unknown module format: $src" ;;
		esac
	done
	cp "$KMOD"/modules.builtin "$KMOD"/modules.builtin.modinfo "$KMOD"/modules.order "$root/lib/modules/$KVER/"
	depmod -b "$root" "$KVER"
	# Busybox modprobe reads only the text files; drop kmod's binary indexes.
	rm -f "$root/lib/modules/$KVER"/*.bin
	for n in "${BOOT_ORDER[@]}"; do
		echo "/lib/modules/$KVER/${PATHOF[$n]%%.ko*}.ko"
	done >"$root/etc/boot-modules"
	say "boot modules (load order): ${BOOT_ORDER[*]}"
	say "modprobe-able extras: $((${#ORDER[@]} - ${#BOOT_ORDER[@]})) modules"
}

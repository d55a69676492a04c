/*
 * qemu - the QEMU command line: the argv for a node (no shell, ever), with
 * every string checked first, since QEMU splits option values at ','; the
 * firmware image for an arch; and a QEMU binary's version. It is given a
 * spec of plain values and TAP fds already open: it knows no template or
 * lab, spawns no node (core/run/start.c does, through core/base/spawn) and
 * speaks no QMP (hv/qmp does).
 */
#ifndef LW_QEMU_H
#define LW_QEMU_H

#include <stdbool.h>
#include <sys/types.h>

#include "core/base/err.h"
#include "core/base/strv.h"

#define QEMU_MAX_NICS 32

struct qemu_nic {
	int fd;            /* TAP fd, opened by the daemon; becomes fd 3+i in the child */
	char mac[18];      /* "0a:00:00:00:01:00" */
	const char *model; /* "virtio-net-pci", "e1000"; NULL = the arch default */
};

/*
 * qemu_target - what the guest's architecture and accelerator resolve to
 * (tcg/ fills it: tcg_target); the driver takes it as given strings.
 */
struct qemu_target {
	const char *arch;      /* "x86_64", "aarch64" */
	const char *binary;    /* "qemu-system-x86_64" */
	const char *machine;   /* the arch's machine under this accelerator: "q35", "virt" */
	const char *accel;     /* the -accel value: "kvm", "tcg,thread=multi,tb-size=256" */
	const char *cpu;       /* "host", "max" */
	const char *nic_model; /* the arch's default NIC device */
};

struct qemu_spec {
	const char *name;        /* node name (validated): -name */
	const char *qemu_binary; /* override of arch->qemu_binary (full path); NULL = arch's */
	struct qemu_target target;
	int cpus;
	int ram_mb;
	const char *kernel; /* kernel+initrd boot, or */
	const char *initrd;
	const char *append;
	const char *disk;     /* a qcow2 overlay (linked clone): the boot disk, or with a
	                       * kernel boot a data disk */
	const char *disk_bus; /* "virtio" (default), "ide", "sata" */
	const char *machine;  /* "pc" | "q35" overrides the arch's x86 machine; NULL = the arch's */
	const char *firmware; /* "uefi" (OVMF / AAVMF as -bios); NULL or "bios" = the default */
	const char *smbios;   /* "type=1,product=...": -smbios, or NULL */
	const char *boot_cdrom;   /* an ISO the machine boots first (an IDE CD-ROM), or NULL */
	const char *config_drive; /* the config drive (ISO 9660 or FAT) given read-only, or NULL */
	const char
	    *config_bus; /* "virtio" (default) | "cdrom" (an IDE CD-ROM) | "ide" (an IDE disk) */
	int nnics;
	struct qemu_nic nics[QEMU_MAX_NICS];
	const char *console_path; /* daemon-owned serial console: a UNIX socket QEMU serves and
	                           * waits on (wait=on), so no output is lost before the
	                           * daemon attaches; or */
	const char
	    *console_host; /* QEMU's own telnet server on host:port (the bench's reference) */
	int console_port;
	const char *console_log; /* chardev logfile (everything the guest prints), or NULL */
	const char *qmp_path;    /* QMP UNIX socket path */
};

/* qemu_argv_build - the argv for spec into out (appended); returns 0, or -1 with e set. */
int qemu_argv_build(const struct qemu_spec *spec, struct strv *out, struct lw_err *e);
/* qemu_firmware_path - the UEFI image (Debian's ovmf, qemu-efi-aarch64) for arch, or NULL for bios.
 */
const char *qemu_firmware_path(const char *arch, const char *firmware);
/* qemu_binary_version - "7.2.19" from `BIN --version` (via spawn, no shell); 0 or -1. */
int qemu_binary_version(const char *path, char *buf, size_t len);

#endif

/*
 * qemu - the QEMU process driver: the argv for a node, and the spawn that
 * hands it its TAP fds in a session of its own.
 *
 * QEMU splits most option values at ',' (",," escapes one), so a comma in
 * a path or name would let it add options of its own choosing, e.g.
 * "disk.qcow2,file.driver=ssh". Every string that ends up inside such an
 * option value is therefore checked before anything is built.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/base/spawn.h"
#include "hv/jail.h"
#include "hv/qemu.h"

#define QEMU_MIN_RAM_MB 16
#define QEMU_MAX_RAM_MB 1048576
#define QEMU_MAX_CPUS 64
/* sizeof(sun_path) - 1: QEMU refuses longer socket paths. */
#define QEMU_MAX_SOCK_PATH (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define QEMU_VERSION_TIMEOUT_MS 10000

/*
 * qemu_check_str - reject what would break out of one argv element's
 * meaning: ',' (QEMU's option separator) unless the option takes the value
 * verbatim, and line breaks, which no name or path here ever needs.
 */
static int
qemu_check_str(const char *what, const char *s, bool comma_ok, struct lw_err *e)
{
	if (s[0] == '\0')
		return (err_set(e, ERR_INVALID, "%s is empty", what));
	if (!comma_ok && strchr(s, ',') != NULL)
		return (err_set(
		    e, ERR_INVALID, "%s '%s' contains ',' (QEMU's option separator)", what, s));
	if (strpbrk(s, "\r\n") != NULL)
		return (err_set(e, ERR_INVALID, "%s contains a line break", what));
	return (0);
}

/*
 * qemu_check_path - a file argument must be absolute: QEMU's block layer
 * reads "nbd:..." or "json:{...}" before the first '/' as a protocol.
 */
static int
qemu_check_path(const char *what, const char *path, struct lw_err *e)
{
	if (path == NULL)
		return (err_set(e, ERR_INVALID, "%s is missing", what));
	if (qemu_check_str(what, path, false, e) == -1)
		return (-1);
	if (path[0] != '/')
		return (err_set(e, ERR_INVALID, "%s '%s' is not an absolute path", what, path));
	if (strlen(path) >= PATH_MAX)
		return (err_set(e, ERR_INVALID, "%s is longer than PATH_MAX", what));
	return (0);
}

static bool
qemu_mac_valid(const char *mac)
{
	static const char hex[] = "0123456789abcdefABCDEF";

	if (strlen(mac) != 17)
		return (false);
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? mac[i] != ':' : strchr(hex, mac[i]) == NULL)
			return (false);
	}
	return (true);
}

/* qemu_model_valid - a QEMU device type name: "virtio-net-pci", "e1000", "vmxnet3". */
static bool
qemu_model_valid(const char *model)
{
	size_t n =
	    strspn(model, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

	return (n > 0 && model[n] == '\0');
}

static int
qemu_check_nics(const struct qemu_spec *s, struct lw_err *e)
{
	if (s->nnics < 0 || s->nnics > QEMU_MAX_NICS)
		return (err_set(
		    e, ERR_INVALID, "%d NICs: a node has 0 to %d", s->nnics, QEMU_MAX_NICS));
	for (int i = 0; i < s->nnics; i++) {
		const struct qemu_nic *n = &s->nics[i];

		if (!qemu_mac_valid(n->mac))
			return (err_set(e, ERR_INVALID,
			    "NIC %d: MAC '%.17s' is not xx:xx:xx:xx:xx:xx", i, n->mac));
		if (n->model != NULL && !qemu_model_valid(n->model))
			return (err_set(e, ERR_INVALID, "NIC %d: model '%s' is not a device name",
			    i, n->model));
	}
	return (0);
}

static int
qemu_check_boot(const struct qemu_spec *s, struct lw_err *e)
{
	if (s->kernel == NULL && s->disk == NULL)
		return (err_set(e, ERR_INVALID, "a node boots from a kernel or a disk"));
	if (s->disk != NULL && qemu_check_path("disk", s->disk, e) == -1)
		return (-1);
	if (s->kernel == NULL) {
		if (s->initrd != NULL || s->append != NULL)
			return (err_set(e, ERR_INVALID, "initrd and append need a kernel boot"));
		return (0);
	}
	if (qemu_check_path("kernel", s->kernel, e) == -1)
		return (-1);
	if (s->initrd != NULL && qemu_check_path("initrd", s->initrd, e) == -1)
		return (-1);
	/* -append is stored verbatim by QEMU, and "console=ttyS0,115200" needs its comma. */
	if (s->append != NULL && qemu_check_str("append", s->append, true, e) == -1)
		return (-1);
	return (0);
}

static int
qemu_check_console(const struct qemu_spec *s, struct lw_err *e)
{
	if (s->console_path != NULL) {
		if (s->console_host != NULL || s->console_log != NULL)
			return (err_set(e, ERR_INVALID,
			    "a UNIX console takes neither a telnet host nor a log"));
		return (qemu_check_path("console socket", s->console_path, e));
	}
	if (s->console_host == NULL) {
		if (s->console_log != NULL)
			return (err_set(e, ERR_INVALID, "a console log needs a console"));
		return (0);
	}
	if (qemu_check_str("console host", s->console_host, false, e) == -1)
		return (-1);
	if (s->console_port < 1 || s->console_port > 65535)
		return (
		    err_set(e, ERR_INVALID, "console port %d is not 1..65535", s->console_port));
	if (s->console_log != NULL && qemu_check_path("console log", s->console_log, e) == -1)
		return (-1);
	return (0);
}

static int
qemu_check_disk_bus(const char *bus, struct lw_err *e)
{
	if (bus == NULL || strcmp(bus, "virtio") == 0 || strcmp(bus, "ide") == 0 ||
	    strcmp(bus, "sata") == 0)
		return (0);
	return (err_set(e, ERR_INVALID, "disk bus '%s' is not one of virtio, ide, sata", bus));
}

/* qemu_machine - the -machine value: the arch's, or a template's x86 override. */
static const char *
qemu_machine(const struct qemu_spec *s)
{
	if (s->machine != NULL && strcmp(s->target.arch, "x86_64") == 0)
		return (s->machine);
	return (s->target.machine);
}

const char *
qemu_firmware_path(const char *arch, const char *firmware)
{
	if (firmware == NULL || strcmp(firmware, "uefi") != 0)
		return (NULL);
	return (strcmp(arch, "aarch64") == 0 ? "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"
	                                     : "/usr/share/ovmf/OVMF.fd");
}

static const char *
qemu_firmware(const struct qemu_spec *s)
{
	return (qemu_firmware_path(s->target.arch, s->firmware));
}

static int
qemu_check_options(const struct qemu_spec *s, struct lw_err *e)
{
	if (s->machine != NULL && strcmp(s->machine, "pc") != 0 && strcmp(s->machine, "q35") != 0)
		return (err_set(e, ERR_INVALID, "machine '%s' is not pc or q35", s->machine));
	if (s->firmware != NULL && strcmp(s->firmware, "uefi") != 0 &&
	    strcmp(s->firmware, "bios") != 0)
		return (err_set(e, ERR_INVALID, "firmware '%s' is not bios or uefi", s->firmware));
	if (s->smbios != NULL &&
	    (strncmp(s->smbios, "type=1,", 7) != 0 ||
	        strspn(s->smbios,
	            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	            "0123456789 ._-=,") != strlen(s->smbios)))
		return (err_set(
		    e, ERR_INVALID, "smbios '%.64s' is not type=1 key=value pairs", s->smbios));
	if (s->config_bus != NULL && strcmp(s->config_bus, "virtio") != 0 &&
	    strcmp(s->config_bus, "cdrom") != 0 && strcmp(s->config_bus, "ide") != 0)
		return (err_set(
		    e, ERR_INVALID, "config bus '%s' is not virtio, cdrom or ide", s->config_bus));
	return (0);
}

static int
qemu_check_spec(const struct qemu_spec *s, struct lw_err *e)
{
	if (s->target.arch == NULL || s->target.binary == NULL || s->target.machine == NULL ||
	    s->target.accel == NULL || s->target.cpu == NULL || s->target.nic_model == NULL)
		return (err_set(e, ERR_INVALID, "no architecture"));
	if (s->name == NULL)
		return (err_set(e, ERR_INVALID, "name is empty"));
	if (qemu_check_str("name", s->name, false, e) == -1)
		return (-1);
	if (s->qemu_binary != NULL && qemu_check_path("QEMU binary", s->qemu_binary, e) == -1)
		return (-1);
	if (s->cpus < 1 || s->cpus > QEMU_MAX_CPUS)
		return (
		    err_set(e, ERR_INVALID, "%d CPUs: a node has 1 to %d", s->cpus, QEMU_MAX_CPUS));
	if (s->ram_mb < QEMU_MIN_RAM_MB || s->ram_mb > QEMU_MAX_RAM_MB)
		return (err_set(e, ERR_INVALID, "%d MB of RAM: a node has %d to %d MB", s->ram_mb,
		    QEMU_MIN_RAM_MB, QEMU_MAX_RAM_MB));
	if (qemu_check_boot(s, e) == -1 || qemu_check_disk_bus(s->disk_bus, e) == -1 ||
	    qemu_check_nics(s, e) == -1 || qemu_check_console(s, e) == -1)
		return (-1);
	if (s->config_drive != NULL && qemu_check_path("config drive", s->config_drive, e) == -1)
		return (-1);
	if (s->boot_cdrom != NULL && qemu_check_path("boot CD-ROM", s->boot_cdrom, e) == -1)
		return (-1);
	if (s->boot_cdrom != NULL && strcmp(s->target.arch, "x86_64") != 0)
		return (err_set(e, ERR_INVALID, "a boot CD-ROM needs an x86 machine (IDE)"));
	if (qemu_check_options(s, e) == -1)
		return (-1);
	if (qemu_check_path("QMP socket", s->qmp_path, e) == -1)
		return (-1);
	if (strlen(s->qmp_path) > QEMU_MAX_SOCK_PATH)
		return (err_set(e, ERR_INVALID, "QMP socket path is longer than %zu bytes",
		    QEMU_MAX_SOCK_PATH));
	return (0);
}

/*
 * The argv under construction. The first failed allocation sticks, so the
 * builders below read as the command line they produce.
 */
struct qemu_args {
	struct strv *sv;
	bool failed;
	int ide_used; /* slots taken on the machine's own IDE/AHCI controller */
};

static void qemu_arg(struct qemu_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
qemu_arg(struct qemu_args *a, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (a->failed)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		a->failed = true;
	} else {
		if (strv_add(a->sv, s) == -1)
			a->failed = true;
		free(s);
	}
	va_end(ap);
}

static void
qemu_args_machine(struct qemu_args *a, const struct qemu_spec *s)
{
	qemu_arg(a, "%s", s->qemu_binary != NULL ? s->qemu_binary : s->target.binary);
	/* The seccomp sandbox first: hv/jail refuses a QEMU argv that does not open with it. */
	qemu_arg(a, "-sandbox");
	qemu_arg(a, "%s", JAIL_QEMU_SANDBOX);
	/* "guest=" keeps a name containing '=' from being read as another key. */
	qemu_arg(a, "-name");
	qemu_arg(a, "guest=%s", s->name);
	qemu_arg(a, "-nodefaults");
	qemu_arg(a, "-no-user-config");
	qemu_arg(a, "-display");
	qemu_arg(a, "none");
	qemu_arg(a, "-machine");
	qemu_arg(a, "%s", qemu_machine(s));
	if (qemu_firmware(s) != NULL) {
		qemu_arg(a, "-bios");
		qemu_arg(a, "%s", qemu_firmware(s));
	}
	if (s->smbios != NULL) {
		qemu_arg(a, "-smbios");
		qemu_arg(a, "%s", s->smbios);
	}
	qemu_arg(a, "-accel");
	qemu_arg(a, "%s", s->target.accel);
	qemu_arg(a, "-cpu");
	qemu_arg(a, "%s", s->target.cpu);
	qemu_arg(a, "-m");
	qemu_arg(a, "%d", s->ram_mb);
	qemu_arg(a, "-smp");
	qemu_arg(a, "%d", s->cpus);
}

static void
qemu_args_kernel(struct qemu_args *a, const struct qemu_spec *s)
{
	qemu_arg(a, "-kernel");
	qemu_arg(a, "%s", s->kernel);
	if (s->initrd != NULL) {
		qemu_arg(a, "-initrd");
		qemu_arg(a, "%s", s->initrd);
	}
	if (s->append != NULL) {
		qemu_arg(a, "-append");
		qemu_arg(a, "%s", s->append);
	}
}

/*
 * qemu_args_disk - the node's qcow2 overlay. On q35 "ide" and "sata" are
 * its built-in AHCI (bus ide.0); on pc "ide" is the PIIX IDE controller and
 * "sata" an added AHCI controller.
 */
/*
 * qemu_ide_slot - the next free place on the machine's own controller:
 * q35's AHCI has one device a port (ide.0 .. ide.5), the pc machine's PIIX
 * two buses of two units. Disk, boot CD-ROM, config drive take them in order.
 */
static void
qemu_ide_slot(struct qemu_args *a, const struct qemu_spec *s, char *buf, size_t len)
{
	int k = a->ide_used++;

	if (strncmp(qemu_machine(s), "q35", 3) == 0)
		snprintf(buf, len, "bus=ide.%d", k);
	else
		snprintf(buf, len, "bus=ide.%d,unit=%d", k / 2, k % 2);
}

static void
qemu_args_disk(struct qemu_args *a, const struct qemu_spec *s)
{
	const char *bus = s->disk_bus != NULL ? s->disk_bus : "virtio";
	const char *boot = s->boot_cdrom != NULL ? ",bootindex=1" : "";
	char slot[32];

	/*
	 * werror=enospc: a write the host has no room for stops the guest (the
	 * node shows paused: disk full, and resumes once there is room) instead
	 * of failing in the guest's filesystem; other errors go to the guest.
	 * QEMU's default, said here so that it stays so.
	 */
	qemu_arg(a, "-drive");
	qemu_arg(a,
	    "file=%s,if=none,id=disk0,format=qcow2,cache=writeback,werror=enospc,rerror=report",
	    s->disk);
	qemu_arg(a, "-device");
	if (strcmp(bus, "virtio") == 0) {
		qemu_arg(a, "virtio-blk-pci,drive=disk0%s", boot);
	} else if (strncmp(qemu_machine(s), "q35", 3) == 0 || strcmp(bus, "ide") == 0) {
		qemu_ide_slot(a, s, slot, sizeof(slot));
		qemu_arg(a, "ide-hd,drive=disk0,%s%s", slot, boot);
	} else {
		qemu_arg(a, "ich9-ahci,id=ahci0");
		qemu_arg(a, "-device");
		qemu_arg(a, "ide-hd,drive=disk0,bus=ahci0.0%s", boot);
	}
}

/* qemu_args_boot_cdrom - a CD-ROM the machine boots first (vEOS' Aboot ISO). */
static void
qemu_args_boot_cdrom(struct qemu_args *a, const struct qemu_spec *s)
{
	char slot[32];

	if (s->boot_cdrom == NULL)
		return;
	qemu_arg(a, "-drive");
	qemu_arg(a, "file=%s,if=none,id=cd0,format=raw,readonly=on,media=cdrom", s->boot_cdrom);
	qemu_arg(a, "-device");
	qemu_ide_slot(a, s, slot, sizeof(slot));
	qemu_arg(a, "ide-cd,drive=cd0,%s,bootindex=0", slot);
}

/* qemu_args_nics - NIC i is the TAP that spawn_start puts at fd 3+i. */
static void
qemu_args_nics(struct qemu_args *a, const struct qemu_spec *s)
{
	for (int i = 0; i < s->nnics; i++) {
		const struct qemu_nic *n = &s->nics[i];

		qemu_arg(a, "-netdev");
		qemu_arg(a, "tap,id=net%d,fd=%d", i, 3 + i);
		qemu_arg(a, "-device");
		qemu_arg(a, "%s,netdev=net%d,mac=%.17s",
		    n->model != NULL ? n->model : s->target.nic_model, i, n->mac);
	}
}

static void
qemu_args_config_drive(struct qemu_args *a, const struct qemu_spec *s)
{
	if (s->config_drive == NULL)
		return;
	const char *bus = s->config_bus != NULL ? s->config_bus : "virtio";
	bool cd = strcmp(bus, "cdrom") == 0;

	qemu_arg(a, "-drive");
	qemu_arg(a, "file=%s,if=none,id=cfg,format=raw,readonly=on%s", s->config_drive,
	    cd ? ",media=cdrom" : "");
	qemu_arg(a, "-device");
	if (strcmp(bus, "virtio") == 0) {
		qemu_arg(a, "virtio-blk-pci,drive=cfg");
	} else {
		char slot[32];

		qemu_ide_slot(a, s, slot, sizeof(slot));
		qemu_arg(a, "%s,drive=cfg,%s", cd ? "ide-cd" : "ide-hd", slot);
	}
}

/*
 * qemu_args_console - the serial port: a UNIX socket the daemon attaches to
 * (wait=on: QEMU starts the guest only once the daemon is there), or QEMU's
 * own telnet server (wait=off), kept for comparison in the bench.
 */
static void
qemu_args_console(struct qemu_args *a, const struct qemu_spec *s)
{
	if (s->console_path != NULL) {
		qemu_arg(a, "-chardev");
		qemu_arg(a, "socket,id=con0,path=%s,server=on,wait=on", s->console_path);
		qemu_arg(a, "-serial");
		qemu_arg(a, "chardev:con0");
		return;
	}
	if (s->console_host == NULL)
		return;
	qemu_arg(a, "-chardev");
	if (s->console_log != NULL)
		qemu_arg(a,
		    "socket,id=con0,host=%s,port=%d,server=on,wait=off,telnet=on,"
		    "logfile=%s,logappend=on",
		    s->console_host, s->console_port, s->console_log);
	else
		qemu_arg(a, "socket,id=con0,host=%s,port=%d,server=on,wait=off,telnet=on",
		    s->console_host, s->console_port);
	qemu_arg(a, "-serial");
	qemu_arg(a, "chardev:con0");
}

/*
 * qemu_args_panic - a pvpanic device: a guest kernel that panics tells QEMU
 * (QMP GUEST_PANICKED), so the node reports it rather than a plain exit.
 */
static void
qemu_args_panic(struct qemu_args *a, const struct qemu_spec *s)
{
	const char *dev = strcmp(s->target.arch, "x86_64") == 0 ? "pvpanic" /* ISA, pc and q35 */
	    : strcmp(s->target.arch, "aarch64") == 0            ? "pvpanic-pci"
	                                                        : NULL;

	if (dev == NULL)
		return;
	qemu_arg(a, "-device");
	qemu_arg(a, "%s", dev);
}

static void
qemu_args_qmp(struct qemu_args *a, const struct qemu_spec *s)
{
	qemu_arg(a, "-chardev");
	qemu_arg(a, "socket,id=qmp0,path=%s,server=on,wait=off", s->qmp_path);
	qemu_arg(a, "-mon");
	qemu_arg(a, "chardev=qmp0,mode=control");
}

/* qemu_strv_truncate - drop what was appended after the first n elements. */
static void
qemu_strv_truncate(struct strv *sv, size_t n)
{
	while (sv->n > n)
		free(sv->v[--sv->n]);
	if (sv->v != NULL)
		sv->v[sv->n] = NULL;
}

/*
 * No -no-reboot: a guest that reboots itself (a router applying a new
 * image, a "reload") should come back, as the real box would.
 */
int
qemu_argv_build(const struct qemu_spec *spec, struct strv *out, struct lw_err *e)
{
	struct qemu_args a = {.sv = out, .failed = false};
	size_t n0 = out->n;

	if (qemu_check_spec(spec, e) == -1)
		return (-1);
	qemu_args_machine(&a, spec);
	/* A kernel boot may have a disk too (the node's image, as a data disk). */
	if (spec->kernel != NULL)
		qemu_args_kernel(&a, spec);
	if (spec->disk != NULL)
		qemu_args_disk(&a, spec);
	qemu_args_boot_cdrom(&a, spec);
	qemu_args_nics(&a, spec);
	qemu_args_config_drive(&a, spec);
	qemu_args_console(&a, spec);
	qemu_args_panic(&a, spec);
	qemu_args_qmp(&a, spec);
	if (a.failed) {
		qemu_strv_truncate(out, n0);
		return (err_set(e, ERR_INTERNAL, "out of memory building the QEMU command line"));
	}
	return (0);
}

/* qemu_parse_version - "7.2.22" out of "QEMU emulator version 7.2.22 (Debian ...)". */
static int
qemu_parse_version(const char *text, char *buf, size_t len)
{
	static const char tag[] = "QEMU emulator version ";
	const char *v = strstr(text, tag);
	size_t n;

	if (v == NULL) {
		errno = EPROTO;
		return (-1);
	}
	v += sizeof(tag) - 1;
	n = strspn(v, "0123456789.");
	if (n == 0) {
		errno = EPROTO;
		return (-1);
	}
	if (n >= len) {
		errno = ERANGE;
		return (-1);
	}
	memcpy(buf, v, n);
	buf[n] = '\0';
	return (0);
}

int
qemu_binary_version(const char *path, char *buf, size_t len)
{
	char *argv[] = {(char *)path, "--version", NULL};
	char out[4096];
	int pipefd[2], pidfd, rc;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) == -1)
		return (-1);
	pid = spawn_start_fd(argv, NULL, 0, pipefd[1], &pidfd);
	spawn_close_keep_errno(pipefd[1]);
	if (pid == -1) {
		spawn_close_keep_errno(pipefd[0]);
		return (-1);
	}
	rc = spawn_read_all(pipefd[0], out, sizeof(out), QEMU_VERSION_TIMEOUT_MS);
	if (rc == -1)
		spawn_kill_reap(pid);
	else
		TEMP_FAILURE_RETRY(waitpid(pid, NULL, 0));
	spawn_close_keep_errno(pipefd[0]);
	spawn_close_keep_errno(pidfd);
	if (rc == -1)
		return (-1);
	return (qemu_parse_version(out, buf, len));
}

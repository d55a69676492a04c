/*
 * test_argv - the QEMU command lines labwire builds (golden strings), the
 * accelerator choice, and spawning real processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base/spawn.h"
#include "hv/qemu.h"
#include "tcg/tcg.h"
#include "tests/unit/test.h"

/* spec_kernel - the usual node: tiny-linux, 2 NICs, config drive, console, QMP. */
static void
spec_kernel(struct qemu_spec *s, const char *arch, enum lw_accel accel)
{
	memset(s, 0, sizeof(*s));
	s->name = "r1";
	tcg_target(tcg_arch_lookup(arch), accel, &s->target);
	s->cpus = 2;
	s->ram_mb = 256;
	s->kernel = "/var/lib/labwire/images/tiny-linux/vmlinuz";
	s->initrd = "/var/lib/labwire/images/tiny-linux/initrd.img";
	s->append =
	    strcmp(arch, "x86_64") == 0 ? "console=ttyS0,115200 quiet" : "console=ttyAMA0 quiet";
	s->nnics = 2;
	s->nics[0].fd = 17;
	snprintf(s->nics[0].mac, sizeof(s->nics[0].mac), "0a:00:00:00:07:00");
	s->nics[1].fd = 18;
	snprintf(s->nics[1].mac, sizeof(s->nics[1].mac), "0a:00:00:00:07:01");
	s->config_drive = "/var/lib/labwire/run/7/config.iso";
	s->console_host = "127.0.0.1";
	s->console_port = 32769;
	s->console_log = "/var/lib/labwire/run/7/console.log";
	s->qmp_path = "/run/labwire/7/qmp.sock";
}

/* build - the joined argv, or the error message prefixed "ERR " (caller frees). */
static char *
build(const struct qemu_spec *s, int *code)
{
	struct strv sv = {0};
	struct lw_err e = {0};
	char *out;

	if (qemu_argv_build(s, &sv, &e) == -1) {
		*code = e.code;
		if (asprintf(&out, "ERR %s", e.msg) < 0)
			out = NULL;
		strv_free(&sv);
		return (out);
	}
	*code = 0;
	out = strv_join(&sv);
	strv_free(&sv);
	return (out);
}

static void
check_golden(const struct qemu_spec *s, const char *want)
{
	int code;
	char *got = build(s, &code);

	CHECK(code == 0);
	CHECK_STR(got, want);
	free(got);
}

static void
check_rejected(const struct qemu_spec *s, const char *needle)
{
	int code;
	char *got = build(s, &code);

	CHECK(code == ERR_INVALID);
	CHECK(got != NULL && strstr(got, needle) != NULL);
	if (got != NULL && strstr(got, needle) == NULL)
		fprintf(stderr, "  message: %s\n  wanted:  %s\n", got, needle);
	free(got);
}

/* The daemon-owned console: a UNIX socket QEMU waits on before booting. */
static void
test_golden_unix_console(void)
{
	struct qemu_spec s;

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.console_host = NULL;
	s.console_log = NULL;
	s.console_path = "/var/lib/labwire/run/n7.con";
	check_golden(&s,
	    "qemu-system-x86_64 -sandbox "
	    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny -name "
	    "guest=r1 -nodefaults -no-user-config -display none"
	    " -machine q35 -accel tcg,thread=multi,tb-size=256 -cpu max -m 256 -smp 2"
	    " -kernel /var/lib/labwire/images/tiny-linux/vmlinuz"
	    " -initrd /var/lib/labwire/images/tiny-linux/initrd.img"
	    " -append console=ttyS0,115200 quiet"
	    " -netdev tap,id=net0,fd=3 -device virtio-net-pci,netdev=net0,mac=0a:00:00:00:07:00"
	    " -netdev tap,id=net1,fd=4 -device virtio-net-pci,netdev=net1,mac=0a:00:00:00:07:01"
	    " -drive file=/var/lib/labwire/run/7/config.iso,if=none,id=cfg,format=raw,readonly=on"
	    " -device virtio-blk-pci,drive=cfg"
	    " -chardev socket,id=con0,path=/var/lib/labwire/run/n7.con,server=on,wait=on"
	    " -serial chardev:con0"
	    " -device pvpanic"
	    " -chardev socket,id=qmp0,path=/run/labwire/7/qmp.sock,server=on,wait=off"
	    " -mon chardev=qmp0,mode=control");
	s.console_host = "127.0.0.1";
	check_rejected(&s, "UNIX console");
	s.console_host = NULL;
	s.console_path = "relative/n7.con";
	check_rejected(&s, "console socket");
}

static void
test_golden_x86_kvm(void)
{
	struct qemu_spec s;

	spec_kernel(&s, "x86_64", ACCEL_KVM);
	check_golden(&s,
	    "qemu-system-x86_64 -sandbox "
	    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny -name "
	    "guest=r1 -nodefaults -no-user-config -display none"
	    " -machine q35 -accel kvm -cpu host -m 256 -smp 2"
	    " -kernel /var/lib/labwire/images/tiny-linux/vmlinuz"
	    " -initrd /var/lib/labwire/images/tiny-linux/initrd.img"
	    " -append console=ttyS0,115200 quiet"
	    " -netdev tap,id=net0,fd=3 -device virtio-net-pci,netdev=net0,mac=0a:00:00:00:07:00"
	    " -netdev tap,id=net1,fd=4 -device virtio-net-pci,netdev=net1,mac=0a:00:00:00:07:01"
	    " -drive file=/var/lib/labwire/run/7/config.iso,if=none,id=cfg,format=raw,readonly=on"
	    " -device virtio-blk-pci,drive=cfg"
	    " -chardev socket,id=con0,host=127.0.0.1,port=32769,server=on,wait=off,telnet=on,"
	    "logfile=/var/lib/labwire/run/7/console.log,logappend=on"
	    " -serial chardev:con0"
	    " -device pvpanic"
	    " -chardev socket,id=qmp0,path=/run/labwire/7/qmp.sock,server=on,wait=off"
	    " -mon chardev=qmp0,mode=control");
}

static void
test_golden_x86_tcg(void)
{
	struct qemu_spec s;

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	check_golden(&s,
	    "qemu-system-x86_64 -sandbox "
	    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny -name "
	    "guest=r1 -nodefaults -no-user-config -display none"
	    " -machine q35 -accel tcg,thread=multi,tb-size=256 -cpu max -m 256 -smp 2"
	    " -kernel /var/lib/labwire/images/tiny-linux/vmlinuz"
	    " -initrd /var/lib/labwire/images/tiny-linux/initrd.img"
	    " -append console=ttyS0,115200 quiet"
	    " -netdev tap,id=net0,fd=3 -device virtio-net-pci,netdev=net0,mac=0a:00:00:00:07:00"
	    " -netdev tap,id=net1,fd=4 -device virtio-net-pci,netdev=net1,mac=0a:00:00:00:07:01"
	    " -drive file=/var/lib/labwire/run/7/config.iso,if=none,id=cfg,format=raw,readonly=on"
	    " -device virtio-blk-pci,drive=cfg"
	    " -chardev socket,id=con0,host=127.0.0.1,port=32769,server=on,wait=off,telnet=on,"
	    "logfile=/var/lib/labwire/run/7/console.log,logappend=on"
	    " -serial chardev:con0"
	    " -device pvpanic"
	    " -chardev socket,id=qmp0,path=/run/labwire/7/qmp.sock,server=on,wait=off"
	    " -mon chardev=qmp0,mode=control");
}

static void
test_golden_aarch64_tcg(void)
{
	struct qemu_spec s;

	spec_kernel(&s, "aarch64", ACCEL_TCG);
	s.nnics = 1;
	s.config_drive = NULL;
	s.console_log = NULL;
	check_golden(&s,
	    "qemu-system-aarch64 -sandbox "
	    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny -name "
	    "guest=r1 -nodefaults -no-user-config -display none"
	    " -machine virt,gic-version=max -accel tcg,thread=multi,tb-size=256"
	    " -cpu cortex-a57 -m 256 -smp 2"
	    " -kernel /var/lib/labwire/images/tiny-linux/vmlinuz"
	    " -initrd /var/lib/labwire/images/tiny-linux/initrd.img"
	    " -append console=ttyAMA0 quiet"
	    " -netdev tap,id=net0,fd=3 -device virtio-net-pci,netdev=net0,mac=0a:00:00:00:07:00"
	    " -chardev socket,id=con0,host=127.0.0.1,port=32769,server=on,wait=off,telnet=on"
	    " -serial chardev:con0"
	    " -device pvpanic-pci"
	    " -chardev socket,id=qmp0,path=/run/labwire/7/qmp.sock,server=on,wait=off"
	    " -mon chardev=qmp0,mode=control");
}

/* spec_disk - a qcow2 linked clone with e1000 NICs, as an appliance image would be. */
static void
spec_disk(struct qemu_spec *s, const char *bus)
{
	spec_kernel(s, "x86_64", ACCEL_TCG);
	s->kernel = s->initrd = s->append = NULL;
	s->disk = "/var/lib/labwire/run/9/disk.qcow2";
	s->disk_bus = bus;
	s->ram_mb = 1024;
	s->cpus = 1;
	s->nics[0].model = "e1000";
	s->nics[1].model = "e1000";
	s->config_drive = NULL;
	s->console_log = NULL;
}

static void
test_golden_disk(void)
{
	struct qemu_spec s;

	spec_disk(&s, NULL);
	check_golden(&s,
	    "qemu-system-x86_64 -sandbox "
	    "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny -name "
	    "guest=r1 -nodefaults -no-user-config -display none"
	    " -machine q35 -accel tcg,thread=multi,tb-size=256 -cpu max -m 1024 -smp 1"
	    " -drive file=/var/lib/labwire/run/9/disk.qcow2,if=none,id=disk0,format=qcow2,"
	    "cache=writeback,werror=enospc,rerror=report"
	    " -device virtio-blk-pci,drive=disk0"
	    " -netdev tap,id=net0,fd=3 -device e1000,netdev=net0,mac=0a:00:00:00:07:00"
	    " -netdev tap,id=net1,fd=4 -device e1000,netdev=net1,mac=0a:00:00:00:07:01"
	    " -chardev socket,id=con0,host=127.0.0.1,port=32769,server=on,wait=off,telnet=on"
	    " -serial chardev:con0"
	    " -device pvpanic"
	    " -chardev socket,id=qmp0,path=/run/labwire/7/qmp.sock,server=on,wait=off"
	    " -mon chardev=qmp0,mode=control");
}

static void
test_disk_buses(void)
{
	struct qemu_spec s;
	int code;
	char *got;

	spec_disk(&s, "ide");
	got = build(&s, &code);
	CHECK(got != NULL && strstr(got, " -device ide-hd,drive=disk0,bus=ide.0 ") != NULL);
	free(got);

	spec_disk(&s, "sata");
	tcg_target(tcg_arch_lookup("aarch64"), ACCEL_TCG, &s.target);
	got = build(&s, &code);
	CHECK(got != NULL &&
	    strstr(got,
	        " -device ich9-ahci,id=ahci0"
	        " -device ide-hd,drive=disk0,bus=ahci0.0 ") != NULL);
	free(got);

	spec_disk(&s, "scsi");
	check_rejected(&s, "disk bus 'scsi'");
}

static void
test_rejections(void)
{
	struct qemu_spec s;

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.config_drive = "/var/lib/labwire/run/7/config.iso,file.driver=ssh";
	check_rejected(&s, "contains ','");

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.name = "r1,debug-threads=on";
	check_rejected(&s, "contains ','");

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.qmp_path = "/run/labwire/7/qmp.sock\n-monitor";
	check_rejected(&s, "line break");

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.kernel = "vmlinuz";
	check_rejected(&s, "not an absolute path");

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.cpus = 0;
	check_rejected(&s, "0 CPUs");

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.ram_mb = 8;
	check_rejected(&s, "8 MB of RAM");

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.disk = "relative/disk.qcow2"; /* a kernel boot's data disk is checked like a boot disk */
	check_rejected(&s, "disk");

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.kernel = s.initrd = s.append = NULL;
	check_rejected(&s, "a node boots from a kernel or a disk");

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.kernel = NULL;
	s.disk = "/var/lib/labwire/run/9/disk.qcow2";
	check_rejected(&s, "initrd and append need a kernel boot");

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.nnics = QEMU_MAX_NICS + 1;
	check_rejected(&s, "33 NICs");

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.nics[1].mac[5] = ',';
	check_rejected(&s, "NIC 1: MAC");

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.nics[0].model = "e1000,romfile=/etc/shadow";
	check_rejected(&s, "NIC 0: model");

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.console_port = 0;
	check_rejected(&s, "console port 0");
}

/* A rejected spec leaves what the caller had already put in the vector alone. */
static void
test_rejection_keeps_vector(void)
{
	struct qemu_spec s;
	struct strv sv = {0};
	struct lw_err e = {0};

	spec_kernel(&s, "x86_64", ACCEL_TCG);
	s.cpus = 65;
	strv_add(&sv, "prefix");
	CHECK(qemu_argv_build(&s, &sv, &e) == -1);
	CHECK(sv.n == 1 && sv.v[1] == NULL);
	strv_free(&sv);
}

static void
test_arch_table(void)
{
	const struct arch_info *x = tcg_arch_lookup("x86_64");
	const struct arch_info *a = tcg_arch_lookup("aarch64");

	CHECK(x != NULL && a != NULL);
	CHECK(tcg_arch_lookup("mips") == NULL);
	CHECK(tcg_arch_lookup(NULL) == NULL);
	CHECK_STR(tcg_arch_names(), "x86_64, aarch64");
	CHECK_STR(x->console_tty, "ttyS0");
	CHECK_STR(a->console_tty, "ttyAMA0");
	CHECK_STR(tcg_accel_arg(x, ACCEL_KVM), "kvm");
	CHECK_STR(tcg_accel_arg(a, ACCEL_TCG), "tcg,thread=multi,tb-size=256");
	CHECK_STR(tcg_host_arch(), "x86_64"); /* this build host */
}

static const struct kvm_probe probe_ok = {true, "KVM is usable (API version 12)"};
static const struct kvm_probe probe_absent = {false, "/dev/kvm does not exist: test"};

static void
test_choose(void)
{
	struct accel_choice c;
	struct lw_err e = {0};

	CHECK(tcg_choose("auto", "x86_64", "x86_64", &probe_ok, &c, &e) == 0);
	CHECK(c.accel == ACCEL_KVM);

	CHECK(tcg_choose("auto", "x86_64", "x86_64", &probe_absent, &c, &e) == 0);
	CHECK(c.accel == ACCEL_TCG);
	CHECK_STR(c.reason,
	    "KVM unavailable: /dev/kvm does not exist: test; "
	    "running translated (TCG)");

	CHECK(tcg_choose("auto", "aarch64", "x86_64", &probe_ok, &c, &e) == 0);
	CHECK(c.accel == ACCEL_TCG);
	CHECK_STR(c.reason, "guest is aarch64 but the host is x86_64; running translated (TCG)");

	CHECK(tcg_choose("tcg", "x86_64", "x86_64", &probe_ok, &c, &e) == 0);
	CHECK(c.accel == ACCEL_TCG);
	CHECK_STR(c.reason, "TCG requested");

	CHECK(tcg_choose("kvm", "x86_64", "x86_64", &probe_ok, &c, &e) == 0);
	CHECK(c.accel == ACCEL_KVM);

	CHECK(tcg_choose("kvm", "x86_64", "x86_64", &probe_absent, &c, &e) == -1);
	CHECK(e.code == ERR_UNAVAILABLE);
	CHECK(strstr(e.msg, "/dev/kvm does not exist") != NULL);

	CHECK(tcg_choose("kvm", "aarch64", "x86_64", &probe_ok, &c, &e) == -1);
	CHECK(e.code == ERR_UNAVAILABLE);

	CHECK(tcg_choose("fast", "x86_64", "x86_64", &probe_ok, &c, &e) == -1);
	CHECK(e.code == ERR_INVALID);

	CHECK(tcg_choose("auto", "sparc64", "x86_64", &probe_ok, &c, &e) == -1);
	CHECK(e.code == ERR_INVALID);
	CHECK(strstr(e.msg, "x86_64, aarch64") != NULL);
}

static void
test_binary(void)
{
	char path[4096], version[32];

	CHECK(spawn_path("qemu-system-x86_64", path, sizeof(path)) == 0);
	CHECK(path[0] == '/' && access(path, X_OK) == 0);
	CHECK(qemu_binary_version(path, version, sizeof(version)) == 0);
	/* "7.2.22": digits, and at least two dots. */
	CHECK(version[0] >= '1' && version[0] <= '9');
	CHECK(strchr(version, '.') != NULL && strchr(version, '.') != strrchr(version, '.'));
	printf("qemu-system-x86_64 at %s, version %s\n", path, version);

	errno = 0;
	CHECK(spawn_path("labwire-no-such-qemu", path, sizeof(path)) == -1);
	CHECK(errno == ENOENT);
	CHECK(spawn_path("qemu-system-x86_64", path, 8) == -1);
	CHECK(errno == ENAMETOOLONG);
}

static void
test_spawn_missing(void)
{
	char *argv[] = {"labwire-no-such-qemu", "-version", NULL};
	char *abs_argv[] = {"/nonexistent/qemu-system-x86_64", NULL};
	int pidfd = -1;

	errno = 0;
	CHECK(spawn_start(argv, NULL, 0, NULL, &pidfd) == -1);
	CHECK(errno == ENOENT);
	errno = 0;
	CHECK(spawn_start(abs_argv, NULL, 0, NULL, &pidfd) == -1);
	CHECK(errno == ENOENT);
	CHECK(pidfd == -1);
}

/* An executable that is not a program: the failure comes back through the exec pipe. */
static void
test_spawn_exec_fails(void)
{
	char bad[] = "/tmp/labwire-test-badexec-XXXXXX";
	char *argv[] = {bad, NULL};
	int fd = mkstemp(bad), pidfd = -1;

	CHECK(fd != -1);
	CHECK(write(fd,
	          "\x7f"
	          "ELF garbage",
	          12) == 12);
	fchmod(fd, 0700);
	close(fd);
	errno = 0;
	CHECK(spawn_start(argv, NULL, 0, NULL, &pidfd) == -1);
	CHECK(errno == ENOEXEC);
	CHECK(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD); /* reaped */
	unlink(bad);
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd == -1)
		return (NULL);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return (buf);
}

/*
 * fds 3 and 4 handed over swapped (each is the other's target), and one
 * more fd left open without CLOEXEC: the child must see exactly 0..4.
 */
static void
test_spawn_fds(void)
{
	char log[] = "/tmp/labwire-test-spawn-XXXXXX";
	char *argv[] = {"sh", "-c",
	    "readlink /proc/self/fd/3 /proc/self/fd/4; ls /proc/self/fd | tr '\\n' ' '; echo",
	    NULL};
	int logfd = mkstemp(log), a, b, hi_a, hi_b, leak, fds[2], pidfd = -1, status = 0;
	struct pollfd pfd;
	pid_t pid;
	char *out;

	close(logfd);
	/* Park both above 3 and 4 first: open() may itself return 3 or 4. */
	a = open("/etc/hostname", O_RDONLY);
	b = open("/etc/passwd", O_RDONLY);
	hi_a = fcntl(a, F_DUPFD, 20);
	hi_b = fcntl(b, F_DUPFD, 20);
	close(a);
	close(b);
	CHECK(dup2(hi_a, 3) == 3 && dup2(hi_b, 4) == 4);
	close(hi_a);
	close(hi_b);
	leak = open("/etc/hosts", O_RDONLY);
	fds[0] = 4;
	fds[1] = 3;
	pid = spawn_start(argv, fds, 2, log, &pidfd);
	CHECK(pid > 0 && pidfd >= 0);
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	CHECK(poll(&pfd, 1, 10000) == 1);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	out = slurp(log);
	/* ls's own directory fd is the lowest free one: 5. */
	CHECK_STR(out, "/etc/passwd\n/etc/hostname\n0 1 2 3 4 5 \n");
	CHECK(fcntl(pidfd, F_GETFD) == FD_CLOEXEC);
	close(pidfd);
	close(leak);
	close(3);
	close(4);
	unlink(log);
}

/*
 * A process is named by its pid and start time: a child's argv and start
 * time read from /proc, its start time stable while it runs and not this
 * process's, its pidfd alive until it exits (then no start time at all).
 */
static void
test_spawn_identity(void)
{
	char *argv[] = {"sleep", "30", "31", NULL}; /* sleeps 61 s: killed below */
	static const char want[] = "sleep\0"
	                           "30\0"
	                           "31"; /* each argument NUL-terminated */
	unsigned long long me = 0, t1 = 0, t2 = 0;
	char buf[256];
	ssize_t len;
	int pidfd, status;
	pid_t pid;

	CHECK(spawn_proc_start(getpid(), &me) == 0 && me > 0);
	pid = spawn_start(argv, NULL, 0, NULL, &pidfd);
	CHECK(pid > 0 && pidfd >= 0);
	CHECK(spawn_proc_start(pid, &t1) == 0 && spawn_proc_start(pid, &t2) == 0);
	CHECK(t1 == t2 && t1 >= me);
	len = spawn_proc_argv(pid, buf, sizeof(buf));
	CHECK(len == (ssize_t)sizeof(want) && memcmp(buf, want, sizeof(want)) == 0);
	CHECK(spawn_proc_argv(pid, buf, 4) == 3 && strcmp(buf, "sle") == 0);
	CHECK(spawn_pidfd_alive(pidfd));
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(!spawn_pidfd_alive(pidfd));
	CHECK(spawn_proc_start(pid, &t2) == -1);
	close(pidfd);
	CHECK(!spawn_pidfd_alive(-1));
}

int
main(void)
{
	test_golden_x86_kvm();
	test_golden_x86_tcg();
	test_golden_unix_console();
	test_golden_aarch64_tcg();
	test_golden_disk();
	test_disk_buses();
	test_rejections();
	test_rejection_keeps_vector();
	test_arch_table();
	test_choose();
	test_binary();
	test_spawn_missing();
	test_spawn_exec_fails();
	test_spawn_fds();
	test_spawn_identity();
	TEST_DONE();
}

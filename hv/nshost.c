/*
 * nshost - `labwire nshost`: one lightweight host node in its own
 * namespaces, its shell served like a QEMU serial console.
 *
 * Two processes. P (the one the daemon starts) stays root in the host
 * user namespace but joins the node's network namespace, so the daemon can
 * create veths in /proc/P/ns/net; it relays bytes between the pty master
 * and one console client. C, cloned into new user/pid/net/UTS/mount/IPC
 * namespaces, is pid 1 of the node: root inside, nobody (65534) outside,
 * so a console user cannot touch host files as root. C runs the startup
 * script and the interactive shell on the pty slave and reaps every
 * process of the node; when the shell exits, C exits and the kernel kills
 * whatever is left in the pid namespace.
 *
 * P and C take turns over two pipes, one byte per step: P sends SYNC_MAPS
 * once the id maps are written (C may become root inside); C answers
 * SYNC_SETUP once its mounts, hostname and lo are done, and only then does
 * P listen, so a console connect means the node is set up; P sends SYNC_GO
 * once the first console client is connected (C may start printing; like
 * QEMU's wait=on, nothing the node prints is lost). A pipe that closes
 * means the other side is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/sched.h>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "hv/nshost.h"

#define NSH_NICS_MAX 32
#define NSH_HOST_MAX 63
#define NSH_SCRIPT_MAX (256 * 1024)
#define NSH_OUT_MAX (64 * 1024) /* output a slow client may owe before we drop */
#define NSH_IN_MAX 4096
#define NSH_CHUNK 16384
#define NSH_IF_WAIT_MS 10000
#define NSH_IF_POLL_MS 10
#define NSH_OUTSIDE_ID 65534 /* nobody/nogroup on Debian: without --id */
#define NSH_NS_FLAGS                                                                               \
	(CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWIPC)
#define NSH_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define NSH_HOME "/tmp"
#define SUN_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

enum { SYNC_MAPS = 'm', SYNC_SETUP = 's', SYNC_GO = 'g' };

struct nsh_opts {
	const char *console;
	const char *hostname;
	const char *ifpattern;
	const char *config;
	int config_fd;            /* --config-fd: the script as an open file, or -1 */
	int dir_fd;               /* --console-dir-fd: the console socket's directory, or -1 */
	char bind_path[64 + 256]; /* where the socket is made: --console, or through dir_fd */
	long outside_id;          /* uid and gid that root in the node is outside */
	int nics;
	char *script; /* the text of --config, read by P as root; NULL if none */
	size_t script_len;
};

struct nsh {
	struct nsh_opts o;
	pid_t child;          /* C, until reaped */
	int master, slave;    /* the pty; P keeps only the master once C runs */
	int sync_rd, sync_wr; /* P -> C */
	int ack_rd, ack_wr;   /* C -> P */
	int sigfd;
	int lfd, cfd; /* the console socket and its one client */
	bool bound;   /* the socket file at o.console is ours to remove */
	dev_t sock_dev;
	ino_t sock_ino;
	bool master_eof;
	uint64_t dropped; /* output the current client was too slow to take */
	size_t inlen, outlen;
	char in[NSH_IN_MAX];   /* keystrokes the pty did not take yet */
	char out[NSH_OUT_MAX]; /* output the client did not take yet */
};

static struct nsh nsh;

static void child_run_shell(const struct nsh *) __attribute__((noreturn));
static void child_main(struct nsh *) __attribute__((noreturn));

static const struct option nsh_longopts[] = {
    {"console", required_argument, NULL, 'c'},
    {"hostname", required_argument, NULL, 'H'},
    {"nics", required_argument, NULL, 'n'},
    {"ifpattern", required_argument, NULL, 'p'},
    {"id", required_argument, NULL, 'i'},
    {"console-dir-fd", required_argument, NULL, 'D'},
    {"config-fd", required_argument, NULL, 'F'},
    {"config", required_argument, NULL, 'f'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* ---- options ---- */

static void
opts_usage(void)
{
	fprintf(stderr,
	    "usage: labwire nshost --console PATH --hostname NAME [--nics N]\n"
	    "                      [--ifpattern PATTERN] [--config FILE] [--id UID]\n"
	    "  --console PATH     UNIX socket serving the node's console (required)\n"
	    "  --hostname NAME    [A-Za-z0-9-], 1 to %d characters (required)\n"
	    "  --nics N           interfaces to wait for, 0 to %d (default 0)\n"
	    "  --ifpattern P      their names, {n} is 0..N-1 (default eth{n})\n"
	    "  --config FILE      shell script run once before the shell (up to %d KiB)\n"
	    "  --id UID           uid and gid root in the node is outside (default 65534)\n",
	    NSH_HOST_MAX, NSH_NICS_MAX, NSH_SCRIPT_MAX / 1024);
}

static int
opts_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "labwire nshost: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	opts_usage();
	return (-1);
}

static bool
hostname_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > NSH_HOST_MAX)
		return (false);
	for (size_t i = 0; i < len; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return (false); /* the daemon's node names: [A-Za-z0-9_.-] */
	return (true);
}

/*
 * ifname_make - the pattern with every "{n}" replaced by i, into out;
 * returns 0, or -1 if the result is not a name the kernel would take
 * (dev_valid_name(): 1 to 15 bytes, no '/', ':' or space, not . or ..).
 */
static int
ifname_make(char out[IF_NAMESIZE], const char *pat, int i)
{
	char num[12];
	size_t len = 0;

	snprintf(num, sizeof(num), "%d", i);
	while (*pat != '\0') {
		const char *s = pat;
		size_t k = 1;

		if (strncmp(pat, "{n}", 3) == 0) {
			s = num;
			k = strlen(num);
			pat += 3;
		} else
			pat++;
		if (len + k >= IF_NAMESIZE)
			return (-1);
		memcpy(out + len, s, k);
		len += k;
	}
	out[len] = '\0';
	if (len == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		return (-1);
	for (size_t j = 0; j < len; j++)
		if (out[j] == '/' || out[j] == ':' || out[j] <= ' ' || out[j] == 0x7f)
			return (-1);
	return (0);
}

static int
opts_check(const struct nsh_opts *o)
{
	char name[IF_NAMESIZE];

	if (o->console == NULL || o->hostname == NULL)
		return (opts_fail("--console and --hostname are required"));
	if (o->console[0] == '\0' || strlen(o->console) > SUN_PATH_MAX)
		return (opts_fail("--console: the path must be 1 to %zu bytes", SUN_PATH_MAX));
	if (!hostname_valid(o->hostname))
		return (opts_fail(
		    "--hostname: '%s' is not 1 to %d of [A-Za-z0-9-]", o->hostname, NSH_HOST_MAX));
	/* Without {n} every interface would get the same name. */
	if (o->nics > 1 && strstr(o->ifpattern, "{n}") == NULL)
		return (opts_fail(
		    "--ifpattern: '%s' has no {n} but --nics is %d", o->ifpattern, o->nics));
	for (int i = 0; i < o->nics; i++)
		if (ifname_make(name, o->ifpattern, i) == -1)
			return (opts_fail("--ifpattern: '%s' gives no valid interface name for %d",
			    o->ifpattern, i));
	return (0);
}

/* opts_parse - fill o from argv; returns 0, 1 after --help, -1 after a usage error. */
static int
opts_parse(struct nsh_opts *o, int argc, char **argv)
{
	char *end;
	long v;
	int c;

	o->ifpattern = "eth{n}";
	o->outside_id = NSH_OUTSIDE_ID;
	o->config_fd = o->dir_fd = -1;
	optind = 1;
	opterr = 0; /* opts_fail() says it with our prefix */
	while ((c = getopt_long(argc, argv, "+h", nsh_longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->console = optarg;
			break;
		case 'H':
			o->hostname = optarg;
			break;
		case 'n':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || v < 0 ||
			    v > NSH_NICS_MAX)
				return (opts_fail("--nics: '%s' is not a number from 0 to %d",
				    optarg, NSH_NICS_MAX));
			o->nics = (int)v;
			break;
		case 'p':
			o->ifpattern = optarg;
			break;
		case 'D':
		case 'F':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || v < 3 || v > 64)
				return (opts_fail("--%s: '%s' is not an fd from 3 to 64",
				    c == 'D' ? "console-dir-fd" : "config-fd", optarg));
			*(c == 'D' ? &o->dir_fd : &o->config_fd) = (int)v;
			break;
		case 'i':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || v < 1 || v > 4294967294L)
				return (opts_fail("--id: '%s' is not a uid", optarg));
			o->outside_id = (long)v;
			break;
		case 'f':
			o->config = optarg;
			break;
		case 'h':
			opts_usage();
			return (1);
		default:
			return (opts_fail(
			    "unknown option or missing argument in '%s'", argv[optind - 1]));
		}
	}
	if (optind != argc)
		return (opts_fail("unexpected argument '%s'", argv[optind]));
	if (o->config_fd != -1 && o->config == NULL)
		o->config = "(--config-fd)"; /* read from the fd; the name is for messages */
	if (opts_check(o) == -1)
		return (-1);
	/*
	 * With --console-dir-fd the socket is made through that fd (a
	 * directory its sender opened without following links): we are root,
	 * and the path's directories are not ours.
	 */
	if (o->dir_fd != -1) {
		const char *leaf = strrchr(o->console, '/');

		snprintf(o->bind_path, sizeof(o->bind_path), "/proc/self/fd/%d/%s", o->dir_fd,
		    leaf != NULL ? leaf + 1 : o->console);
	} else {
		snprintf(o->bind_path, sizeof(o->bind_path), "%s", o->console);
	}
	return (0);
}

/* Read --config while still root in our own namespaces: C could not (it is nobody outside). */
static int
script_read(struct nsh_opts *o)
{
	ssize_t r = 0;
	size_t len = 0;
	int fd;

	if ((o->script = malloc(NSH_SCRIPT_MAX + 1)) == NULL) {
		log_warn("--config %s", o->config);
		return (-1);
	}
	if (o->config_fd != -1) {
		struct stat st;
		int fl = fcntl(o->config_fd, F_GETFL);

		/*
		 * Read through the fd itself, never reopened: we are root, and an
		 * O_PATH fd to a file its sender may not read would open for us.
		 */
		if (fl == -1 || (fl & O_PATH) || (fl & O_ACCMODE) == O_WRONLY ||
		    fstat(o->config_fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			log_warnx("--config-fd %d: not a readable regular file", o->config_fd);
			return (-1);
		}
		fd = o->config_fd;
	} else if ((fd = open(o->config, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("--config %s", o->config);
		return (-1);
	}
	/* One byte more than allowed, to tell "exactly the limit" from "too long". */
	while (len <= NSH_SCRIPT_MAX &&
	    (r = TEMP_FAILURE_RETRY(read(fd, o->script + len, NSH_SCRIPT_MAX + 1 - len))) > 0)
		len += (size_t)r;
	close(fd);
	if (r == -1) {
		log_warn("--config %s", o->config);
		return (-1);
	}
	if (len > NSH_SCRIPT_MAX) {
		log_warnx("--config %s: longer than %d KiB", o->config, NSH_SCRIPT_MAX / 1024);
		return (-1);
	}
	o->script_len = len;
	return (0);
}

/* ---- helpers both sides use ---- */

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len > 0) {
		if ((w = TEMP_FAILURE_RETRY(write(fd, p, len))) == -1)
			return (-1);
		p += w;
		len -= (size_t)w;
	}
	return (0);
}

/*
 * Descriptors 0-2 must be taken before we open anything: the shells get the
 * pty by dup2() onto them, which must not land on one of our own.
 */
static void
fds_sane(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
	/* Whatever the daemon let us inherit stays out of the node's shells. */
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
}

/* ---- C: pid 1 of the node ---- */

/*
 * sync_recv - wait for byte want from the other side; -1 if it sent
 * something else or is gone (EOF: it has said why on stderr).
 */
static int
sync_recv(int fd, char want)
{
	ssize_t r;
	char b;

	if ((r = TEMP_FAILURE_RETRY(read(fd, &b, 1))) == 1 && b == want)
		return (0);
	if (r == -1)
		log_warn("nshost: sync pipe");
	else if (r == 1)
		log_warnx("nshost: unexpected sync byte 0x%02x", (unsigned char)b);
	return (-1);
}

static int
sync_send(int fd, char b)
{
	if (write_all(fd, &b, 1) == -1) {
		log_warn("nshost: sync pipe"); /* EPIPE: the other side died */
		return (-1);
	}
	return (0);
}

static int
child_become_root(void)
{
	if (setgroups(0, NULL) == -1 || setresgid(0, 0, 0) == -1 || setresuid(0, 0, 0) == -1) {
		log_warn("node: becoming root in the user namespace");
		return (-1);
	}
	/* A change of effective uid clears the parent-death signal: set it again. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1) {
		log_warn("node: PR_SET_PDEATHSIG");
		return (-1);
	}
	return (0);
}

static int
if_up(const char *name)
{
	struct ifreq ifr = {0};
	int s, r = -1;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return (r);
}

/* A fresh tmpfs on each scratch directory; NULL, or what failed. */
static const char *
private_tmpfs(void)
{
	static const char *dirs[] = {"/tmp", "/var/tmp", "/dev/shm", "/run"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (mount("tmpfs", dirs[i], "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m") ==
		        -1 &&
		    errno != ENOENT)
			return (dirs[i]);
	return (NULL);
}

static int
child_setup(const struct nsh *n)
{
	const unsigned long fl = MS_NOSUID | MS_NODEV | MS_NOEXEC;
	const char *h = n->o.hostname, *what;

	if (sethostname(h, strlen(h)) == -1)
		what = "sethostname";
	/* Private, so our /proc and /sys do not propagate back to the host. */
	else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		what = "making / private";
	else if (mount("proc", "/proc", "proc", fl, NULL) == -1)
		what = "mounting /proc";
	/* sysfs shows the network namespace of whoever mounts it: the node's. */
	else if (mount("sysfs", "/sys", "sysfs", fl, NULL) == -1)
		what = "mounting /sys";
	/*
	 * Private scratch space: the host's /tmp, /dev/shm and /run (with its
	 * D-Bus, journal and other sockets) are neither seen nor shared with
	 * other nodes, which all run as the same outside user.
	 */
	else if ((what = private_tmpfs()) != NULL)
		;
	else if (if_up("lo") == -1)
		what = "bringing lo up";
	else if (chdir("/") == -1)
		what = "chdir /";
	/* No set-uid or file-capability gain for anything the node runs. */
	else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		what = "PR_SET_NO_NEW_PRIVS";
	else
		return (0);
	log_warn("node %s: setting up (%s)", h, what);
	return (-1);
}

/* Give the daemon up to NSH_IF_WAIT_MS to create our interfaces; go on without the missing ones. */
static void
child_wait_ifs(const struct nsh *n)
{
	const struct timespec tick = {0, NSH_IF_POLL_MS * 1000000L};
	int64_t deadline = clock_mono_ms() + NSH_IF_WAIT_MS;
	char name[IF_NAMESIZE];

	for (int i = 0; i < n->o.nics; i++) {
		if (ifname_make(name, n->o.ifpattern, i) == -1)
			continue; /* opts_check() saw to that */
		while (if_nametoindex(name) == 0 && clock_mono_ms() < deadline)
			nanosleep(&tick, NULL);
		if (if_nametoindex(name) == 0)
			dprintf(n->slave, "labwire: interface %s did not appear within %d s\n",
			    name, NSH_IF_WAIT_MS / 1000);
		/*
		 * Up, as a host's NIC is: the kernel does not let the daemon bring
		 * up a veth end it creates in another namespace. Carrier still
		 * follows the link (the daemon's end goes down with it).
		 */
		else if (if_up(name) == -1)
			dprintf(
			    n->slave, "labwire: cannot bring %s up: %s\n", name, strerror(errno));
	}
}

/*
 * child_spawn - fork argv[0] in a new session on the pty, with a clean
 * environment; ctty makes the pty its controlling terminal; keep_fd (or
 * -1) is inherited across exec. Returns the pid, or -1.
 */
static pid_t
child_spawn(const struct nsh *n, char *const argv[], bool ctty, int keep_fd)
{
	char ps1[NSH_HOST_MAX + 8];
	char *envp[] = {"PATH=" NSH_PATH, "HOME=" NSH_HOME, "TERM=xterm-256color", ps1, NULL};
	pid_t pid;

	if ((pid = fork()) != 0)
		return (pid);
	snprintf(ps1, sizeof(ps1), "PS1=%s# ", n->o.hostname);
	if (setsid() == -1 || (ctty && ioctl(n->slave, TIOCSCTTY, 0) == -1) ||
	    dup2(n->slave, 0) == -1 || dup2(n->slave, 1) == -1 || dup2(n->slave, 2) == -1 ||
	    (keep_fd != -1 && fcntl(keep_fd, F_SETFD, 0) == -1)) {
		dprintf(n->slave, "labwire: %s: setting up the terminal: %s\n", argv[0],
		    strerror(errno));
		_exit(127);
	}
	if (chdir(NSH_HOME) == -1 && chdir("/") == -1)
		_exit(127);
	execve(argv[0], argv, envp);
	dprintf(2, "labwire: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* child_reap_until - reap every child (pid 1 inherits the node's orphans) up to pid; its status or
 * -1. */
static int
child_reap_until(pid_t pid)
{
	pid_t w;
	int st;

	while ((w = waitpid(-1, &st, 0)) != pid)
		if (w == -1 && errno != EINTR)
			return (-1);
	return (st);
}

/*
 * The script goes to sh as a file in a memfd, not as `sh -c TEXT`: one
 * argument may not exceed 128 KiB (MAX_ARG_STRLEN) and scripts may be 256.
 */
static int
script_memfd(const struct nsh_opts *o)
{
	int fd;

	if ((fd = memfd_create("labwire-config", MFD_CLOEXEC)) == -1)
		return (-1);
	if (write_all(fd, o->script, o->script_len) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * The script gets the pty as stdio but not as controlling terminal: when
 * a session leader exits, the kernel hangs up its terminal's foreground
 * group, which would kill every daemon the script started with `&`.
 */
static void
child_run_script(const struct nsh *n)
{
	char path[32];
	char *argv[] = {"/bin/sh", path, NULL};
	pid_t pid = -1;
	int fd, st;

	if ((fd = script_memfd(&n->o)) != -1) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		pid = child_spawn(n, argv, false, fd);
		close(fd);
	}
	if (pid == -1) {
		dprintf(n->slave, "labwire: cannot run the startup script: %s\n", strerror(errno));
		return;
	}
	if ((st = child_reap_until(pid)) == -1)
		dprintf(n->slave, "labwire: waiting for the startup script: %s\n", strerror(errno));
	else if (WIFSIGNALED(st))
		dprintf(n->slave, "labwire: the startup script was killed by signal %d\n",
		    WTERMSIG(st));
	else if (WEXITSTATUS(st) != 0)
		dprintf(n->slave, "labwire: the startup script exited with status %d\n",
		    WEXITSTATUS(st));
}

static void
child_run_shell(const struct nsh *n)
{
	char *bash[] = {"/bin/bash", "--norc", "--noprofile", "-i", NULL};
	char *sh[] = {"/bin/sh", "-i", NULL};
	pid_t pid;

	if ((pid = child_spawn(n, access(bash[0], X_OK) == 0 ? bash : sh, true, -1)) == -1) {
		log_warn("node %s: fork", n->o.hostname);
		_exit(1);
	}
	child_reap_until(pid);
	/* Our exit takes down every process left in the pid namespace. */
	_exit(0);
}

/* C: the clone of P; never returns. Leaves by _exit so P's stdio and atexit stay P's. */
static void
child_main(struct nsh *n)
{
	sigset_t none;

	close(n->master);
	close(n->sync_wr);
	close(n->ack_rd);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL); /* an ignored signal would stay ignored in the shells */
	/* P may die before this; sync_recv() then sees the pipe closed. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (sync_recv(n->sync_rd, SYNC_MAPS) == -1 || child_become_root() == -1 ||
	    child_setup(n) == -1 || sync_send(n->ack_wr, SYNC_SETUP) == -1)
		_exit(1);
	close(n->ack_wr);
	if (sync_recv(n->sync_rd, SYNC_GO) == -1)
		_exit(1);
	close(n->sync_rd);
	child_wait_ifs(n);
	if (n->o.script != NULL)
		child_run_script(n);
	/* The daemon's readiness pattern; ONLCR makes the newline "\r\n". */
	dprintf(n->slave, "labwire: ready\n");
	child_run_shell(n);
}

/* ---- P: setting the node up ---- */

static int
pty_open(struct nsh *n)
{
	struct winsize ws = {.ws_row = 24, .ws_col = 80};
	int fl;

	if (openpty(&n->master, &n->slave, NULL, NULL, &ws) == -1) {
		log_warn("openpty");
		return (-1);
	}
	if (fcntl(n->master, F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(n->slave, F_SETFD, FD_CLOEXEC) == -1 || (fl = fcntl(n->master, F_GETFL)) == -1 ||
	    fcntl(n->master, F_SETFL, fl | O_NONBLOCK) == -1) {
		log_warn("pty flags");
		return (-1);
	}
	return (0);
}

/*
 * clone3 without a stack behaves like fork(): C goes on from here on a
 * copy of our stack, which also keeps ASan's idea of the stack right.
 * Where seccomp hides clone3 (ENOSYS), plain clone with the same meaning;
 * only its first argument is non-zero, so the per-arch order of the
 * others does not matter.
 */
static pid_t
node_clone(void)
{
	struct clone_args ca = {.flags = NSH_NS_FLAGS, .exit_signal = SIGCHLD};
	long r;

	r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r == -1 && errno == ENOSYS)
		r = syscall(SYS_clone, (unsigned long)(NSH_NS_FLAGS | SIGCHLD), 0UL, 0UL, 0UL, 0UL);
	return ((pid_t)r);
}

/* Root in the node is the node's own uid outside; only P, root out here, may write that. */
static int
id_maps_write(pid_t pid, long outside)
{
	static const char *const files[] = {"uid_map", "gid_map"};
	char path[64], line[32];
	int fd, len;

	len = snprintf(line, sizeof(line), "0 %ld 1\n", outside);
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[i]);
		if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1) {
			log_warn("%s", path);
			return (-1);
		}
		if (write_all(fd, line, (size_t)len) == -1) {
			log_warn("%s", path);
			close(fd);
			return (-1);
		}
		close(fd);
	}
	return (0);
}

/* P moves into the node's network namespace: the daemon opens /proc/P/ns/net. */
static int
netns_join(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("%s", path);
		return (-1);
	}
	if (setns(fd, CLONE_NEWNET) == -1) {
		log_warn("setns %s", path);
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

/* Remove a socket left by a dead nshost, but nothing else that happens to be there. */
static int
console_unlink_stale(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return (0);
		log_warn("console socket %s", path);
		return (-1);
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("console socket %s: exists and is not a socket", path);
		return (-1);
	}
	if (unlink(path) == -1) {
		log_warn("console socket %s: removing the old one", path);
		return (-1);
	}
	return (0);
}

static int
console_listen(struct nsh *n)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct stat st;
	mode_t old;
	int r;

	memcpy(sun.sun_path, n->o.bind_path, strlen(n->o.bind_path)); /* length checked */
	if (console_unlink_stale(n->o.bind_path) == -1)
		return (-1);
	if ((n->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		goto fail;
	/*
	 * Mode 0666, like QEMU's sockets under the daemon's jail: the socket
	 * sits in the node's run directory, which only the daemon's user and
	 * the node's group may enter, and the daemon's (unprivileged) user must
	 * be able to connect.
	 */
	old = umask(0111);
	r = bind(n->lfd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (r == -1)
		goto fail;
	n->bound = true;
	/* Remember which file is ours: a later nshost may reuse the path. */
	if (lstat(n->o.bind_path, &st) == 0) {
		n->sock_dev = st.st_dev;
		n->sock_ino = st.st_ino;
	}
	if (listen(n->lfd, 4) == -1)
		goto fail;
	return (0);
fail:
	log_warn("console socket %s", n->o.console);
	return (-1);
}

static int
node_start(struct nsh *n)
{
	int sp[2], ap[2];
	sigset_t set;

	if (pty_open(n) == -1)
		return (-1);
	if (pipe2(sp, O_CLOEXEC) == -1 || pipe2(ap, O_CLOEXEC) == -1) {
		log_warn("pipe");
		return (-1);
	}
	n->sync_rd = sp[0];
	n->sync_wr = sp[1];
	n->ack_rd = ap[0];
	n->ack_wr = ap[1];
	/* Blocked before the clone, so a SIGCHLD that comes early waits for the signalfd. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	fflush(NULL); /* or C would hold a copy of anything buffered */
	if ((n->child = node_clone()) == -1) {
		log_warn("clone (are unprivileged user namespaces allowed?)");
		return (-1);
	}
	if (n->child == 0)
		child_main(n);
	close(n->slave);
	close(n->sync_rd);
	close(n->ack_wr);
	n->slave = n->sync_rd = n->ack_wr = -1;
	if (id_maps_write(n->child, n->o.outside_id) == -1 ||
	    sync_send(n->sync_wr, SYNC_MAPS) == -1 || netns_join(n->child) == -1)
		return (-1);
	if (sync_recv(n->ack_rd, SYNC_SETUP) == -1) {
		log_warnx("node %s: setting the namespaces up failed", n->o.hostname);
		return (-1);
	}
	close(n->ack_rd);
	n->ack_rd = -1;
	if ((n->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) == -1) {
		log_warn("signalfd");
		return (-1);
	}
	/* Only now, in the node's netns: a connect() that works proves it. */
	return (console_listen(n));
}

/* ---- P: relaying the console ---- */

static void
client_close(struct nsh *n)
{
	if (n->cfd == -1)
		return;
	if (n->dropped > 0)
		log_info("node %s: the console client was too slow; %llu bytes dropped",
		    n->o.hostname, (unsigned long long)n->dropped);
	close(n->cfd);
	n->cfd = -1;
	n->outlen = 0;
	n->dropped = 0;
}

/* Send what the client will take now; never wait for it. */
static void
client_flush(struct nsh *n)
{
	ssize_t w;

	while (n->cfd != -1 && n->outlen > 0) {
		w = send(n->cfd, n->out, n->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				client_close(n);
			return;
		}
		memmove(n->out, n->out + w, n->outlen - (size_t)w);
		n->outlen -= (size_t)w;
	}
}

/* Queue output for the client: with none there it is lost, as on a serial line nobody watches. */
static void
client_queue(struct nsh *n, const char *buf, size_t len)
{
	size_t room = sizeof(n->out) - n->outlen;

	if (n->cfd == -1)
		return;
	if (len > room) {
		n->dropped += len - room;
		len = room;
	}
	memcpy(n->out + n->outlen, buf, len);
	n->outlen += len;
	client_flush(n);
}

static void
on_accept(struct nsh *n)
{
	int fd;

	/* Accept before closing the old one, so the two never share a number. */
	if ((fd = accept4(n->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			log_warn("console accept");
		return;
	}
	if (n->cfd != -1)
		log_info("node %s: a new console client replaces the old one", n->o.hostname);
	client_close(n);
	n->cfd = fd;
	if (n->sync_wr != -1) {
		sync_send(n->sync_wr, SYNC_GO);
		close(n->sync_wr);
		n->sync_wr = -1;
	}
}

/* Read one chunk of output; EIO means every slave is closed, i.e. C is gone. */
static int
master_read(struct nsh *n)
{
	char buf[NSH_CHUNK];
	ssize_t r;

	if ((r = read(n->master, buf, sizeof(buf))) > 0) {
		client_queue(n, buf, (size_t)r);
		return ((int)r);
	}
	if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
		n->master_eof = true;
		n->inlen = 0;
	}
	return (-1);
}

static void
on_master(struct nsh *n, short rev)
{
	ssize_t w;

	if ((rev & POLLOUT) && n->inlen > 0) {
		if ((w = write(n->master, n->in, n->inlen)) > 0) {
			memmove(n->in, n->in + w, n->inlen - (size_t)w);
			n->inlen -= (size_t)w;
		}
	}
	if (rev & (POLLIN | POLLHUP | POLLERR))
		master_read(n);
}

static void
on_client(struct nsh *n, short rev)
{
	ssize_t r;

	if (rev & POLLOUT)
		client_flush(n);
	if (n->cfd == -1 || n->inlen > 0 || !(rev & (POLLIN | POLLHUP | POLLERR)))
		return;
	r = read(n->cfd, n->in, sizeof(n->in));
	if (r > 0)
		n->inlen = (size_t)r;
	else if (r == 0 || (errno != EAGAIN && errno != EINTR))
		client_close(n);
	if (n->master_eof)
		n->inlen = 0;
}

/* C is gone: hand the client its last words, then the status P exits with. */
static int
node_gone(struct nsh *n, int st)
{
	n->child = -1;
	while (!n->master_eof && master_read(n) > 0)
		;
	client_flush(n);
	if (WIFEXITED(st))
		log_info("node %s: exited with status %d", n->o.hostname, WEXITSTATUS(st));
	else
		log_warnx("node %s: killed by signal %d", n->o.hostname, WTERMSIG(st));
	return (WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1);
}

/* on_signal - the exit status once P should end, else -1. */
static int
on_signal(struct nsh *n)
{
	struct signalfd_siginfo si;
	int st;

	while (read(n->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo != SIGCHLD) {
			log_info("node %s: signal %u, stopping", n->o.hostname, si.ssi_signo);
			return (0); /* node_stop() kills C */
		}
		if (waitpid(n->child, &st, WNOHANG) == n->child)
			return (node_gone(n, st));
	}
	return (-1);
}

enum { PF_SIG, PF_LISTEN, PF_MASTER, PF_CLIENT, PF_N };

static int
relay_loop(struct nsh *n)
{
	struct pollfd pf[PF_N];
	int st;

	for (;;) {
		pf[PF_SIG] = (struct pollfd){.fd = n->sigfd, .events = POLLIN};
		pf[PF_LISTEN] = (struct pollfd){.fd = n->lfd, .events = POLLIN};
		pf[PF_MASTER] = (struct pollfd){.fd = n->master_eof ? -1 : n->master,
		    .events = POLLIN | (n->inlen > 0 ? POLLOUT : 0)};
		/*
		 * While keystrokes wait for the pty we stop reading the client;
		 * we also stop polling it unless output is due, or a hangup
		 * would wake us in a loop.
		 */
		pf[PF_CLIENT] = (struct pollfd){.fd = n->inlen == 0 || n->outlen > 0 ? n->cfd : -1,
		    .events = (n->inlen == 0 ? POLLIN : 0) | (n->outlen > 0 ? POLLOUT : 0)};
		if (poll(pf, PF_N, -1) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			return (1);
		}
		if (pf[PF_SIG].revents != 0 && (st = on_signal(n)) != -1)
			return (st);
		if (pf[PF_LISTEN].revents != 0)
			on_accept(n);
		if (pf[PF_MASTER].revents != 0)
			on_master(n, pf[PF_MASTER].revents);
		/* The client may have been replaced or dropped meanwhile. */
		if (pf[PF_CLIENT].revents != 0 && pf[PF_CLIENT].fd == n->cfd && n->cfd != -1)
			on_client(n, pf[PF_CLIENT].revents);
	}
}

/* Kill and reap C if it still runs, remove our socket, close everything. */
static void
node_stop(struct nsh *n)
{
	struct stat st;
	int fds[] = {n->master, n->slave, n->sync_rd, n->sync_wr, n->ack_rd, n->ack_wr, n->sigfd,
	    n->lfd, n->cfd};

	if (n->child > 0) {
		/* SIGKILL to pid 1 of the namespace ends every process in it. */
		kill(n->child, SIGKILL);
		TEMP_FAILURE_RETRY(waitpid(n->child, NULL, 0));
		n->child = -1;
	}
	if (n->bound && lstat(n->o.bind_path, &st) == 0 && st.st_dev == n->sock_dev &&
	    st.st_ino == n->sock_ino)
		unlink(n->o.bind_path);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] != -1)
			close(fds[i]);
	free(n->o.script);
	n->o.script = NULL;
}

int
nshost_main(int argc, char **argv)
{
	struct nsh *n = &nsh;
	int r;

	if ((r = opts_parse(&n->o, argc, argv)) != 0)
		return (r == 1 ? 0 : 2);
	n->child = -1;
	n->master = n->slave = n->sync_rd = n->sync_wr = n->ack_rd = n->ack_wr = -1;
	n->sigfd = n->lfd = n->cfd = -1;
	fds_sane();
	if (n->o.config != NULL && script_read(&n->o) == -1) {
		free(n->o.script);
		return (1);
	}
	if (node_start(n) == -1)
		r = 1;
	else {
		log_info("node %s: pid %d, netns /proc/%d/ns/net, console %s", n->o.hostname,
		    (int)n->child, (int)getpid(), n->o.console);
		r = relay_loop(n);
	}
	node_stop(n);
	return (r);
}

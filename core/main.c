/*
 * main - `labwire serve` runs the daemon; every other subcommand is the
 * command-line client (core/cli/) talking to it over REST.
 */
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/cli/cli.h"
#include "core/net/capture.h"
#include "core/base/config.h"
#include "core/base/ids.h"
#include "core/base/paths.h"
#include "core/base/priv.h"
#include "core/net/livecap.h"
#include "hv/jail.h"
#include "hv/cgroup.h"
#include "hv/kvm.h"
#include "core/console/console.h"
#include "core/net/fabric.h"
#include "core/net/impair.h"
#include "core/net/wiring.h"
#include "core/base/log.h"
#include "hv/nshost.h"
#include "core/run/runtime.h"
#include "db/db.h"
#include "images/store.h"
#include "images/template.h"
#include "labs/access.h"
#include "labs/auth.h"
#include "labs/lifecycle.h"
#include "tcg/tcg.h"
#include "web/api.h"
#include "web/server.h"
#include "web/ui.h"

static struct kvm_probe kvm; /* lw.kvm */

/* labs/auth's levels in core/console's terms. */
static enum console_access
serve_console_verdict(int level)
{
	if (level >= ACCESS_WRITE)
		return (CONSOLE_FULL);
	return (level >= ACCESS_READ ? CONSOLE_WATCH : CONSOLE_DENY);
}

/* The telnet consoles' authenticator. */
static enum console_access
serve_console_auth(
    int64_t node, const char *user, const char *secret, const char *peer, struct console_who *who)
{
	struct auth_console_who w = {0};
	int level = auth_console(node, user, secret, peer, &w);

	who->user = w.user;
	who->token = w.token;
	return (serve_console_verdict(level));
}

/* Whether an attached console client may stay (and type), asked again. */
static enum console_access
serve_console_recheck(int64_t node, const struct console_who *who)
{
	struct auth_console_who w = {who->user, who->token};

	return (serve_console_verdict(auth_console_recheck(node, &w)));
}

/* A share, a role or a session changed: the consoles ask again who may stay. */
static void
serve_access_changed(void)
{
	console_recheck(serve_console_recheck);
}

static void
serve_usage(void)
{
	fprintf(stderr, "usage: labwire serve [options]\n");
	config_usage(stderr, &lw.cfg);
}

static void
serve_config(int argc, char **argv)
{
	char err[256], exe[PATH_MAX], abs[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	config_defaults(&lw.cfg, n > 0 ? exe : argv[0]);
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			serve_usage();
			exit(0);
		}
	if (config_parse_args(&lw.cfg, argc, argv, err, sizeof(err)) == -1) {
		fprintf(stderr, "labwire serve: %s\n", err);
		serve_usage();
		exit(2);
	}
	log_set_level(log_level_parse(lw.cfg.log_level));
	if (mkdir(lw.cfg.data_dir, PATHS_DIR_MODE) == -1 && errno != EEXIST)
		fatal("data dir %s", lw.cfg.data_dir);
	/* QEMU gets absolute paths: it does not run in our working directory's terms. */
	if (realpath(lw.cfg.data_dir, abs) == NULL)
		fatal("data dir %s", lw.cfg.data_dir);
	snprintf(lw.cfg.data_dir, sizeof(lw.cfg.data_dir), "%s", abs);
	if (realpath(lw.cfg.image_dir, abs) != NULL)
		snprintf(lw.cfg.image_dir, sizeof(lw.cfg.image_dir), "%s", abs);
}

/* A node's user must reach its files and images: say which directory is in the way. */
static void
serve_passable(const char *what, const char *dir)
{
	char bad[PATH_MAX];
	int r;

	if (dir[0] == '\0' || (r = paths_passable(dir, bad, sizeof(bad))) == 1)
		return;
	if (r == -1)
		fatal("%s %s", what, dir);
	fatalx("%s %s: nodes run as unprivileged users and cannot pass %s (no o+x); "
	       "run `chmod o+x %s` (others may then enter it, not list it) or choose another %s",
	    what, dir, bad, bad, what);
}

/*
 * serve_jail - who nodes run as and the cgroups they run in. The cgroup
 * parent is named from the data directory, so daemons of different data
 * directories on one host never share (or remove) each other's.
 */
static void
serve_jail(void)
{
	struct lw_err e = {0};
	char inst[32];
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	if (ids_init(lw.cfg.run_as, lw.cfg.node_ids, &e) == -1)
		fatalx("%s", e.msg);
	for (const char *p = lw.cfg.data_dir; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(inst, sizeof(inst), "%016llx", (unsigned long long)h);
	if (cgroup_init(inst, &e) == -1)
		fatalx("%s", e.msg);
	if (chmod(lw.cfg.data_dir, PATHS_DIR_MODE) == -1)
		fatal("data dir %s", lw.cfg.data_dir);
	serve_passable("--data-dir", lw.cfg.data_dir);
	serve_passable("--image-dir", lw.cfg.image_dir);
}

/* The unprivileged daemon binds the API's port: it must be one it may bind. */
static void
serve_port_check(int port)
{
	long first = 1024;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "re");

	if (f != NULL) {
		if (fscanf(f, "%ld", &first) != 1)
			first = 1024;
		fclose(f);
	}
	if (port < first)
		fatalx(
		    "--listen port %d: the network-facing daemon runs without privileges and may "
		    "bind ports from %ld (net.ipv4.ip_unprivileged_port_start) up",
		    port, first);
}

/* One daemon per data directory. */
static void
serve_lock(void)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/labwire.lock", lw.cfg.data_dir);
	struct stat st;

	/* Root opens it in a directory the unprivileged daemon owns: never through a link. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640)) == -1)
		fatal("%s", path);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
		fatalx("%s is not a plain file", path);
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		fatalx("another labwire daemon is using %s", lw.cfg.data_dir);
	/* fd stays open for the life of the process */
}

static void
serve_open(void)
{
	struct lw_err e = {0};
	char path[PATH_MAX];
	int n;

	snprintf(path, sizeof(path), "%s/labwire.db", lw.cfg.data_dir);
	if ((lw.db = db_open(path, &e)) == NULL)
		fatalx("%s", e.msg);
	snprintf(lw.host_arch, sizeof(lw.host_arch), "%s", tcg_host_arch());
	if ((n = template_load_dir(lw.cfg.template_dir, &e)) == -1)
		fatalx("%s", e.msg);
	log_info("%d template(s) from %s; images in %s", n, lw.cfg.template_dir, lw.cfg.image_dir);
	if ((n = template_load_db(&e)) == -1)
		fatalx("%s", e.msg);
	if (n > 0)
		log_info("%d user template(s)", n);
	store_cleanup();
	if (auth_init(&e) == -1)
		fatalx("%s", e.msg);
	log_info("accelerator: %s", lw.kvm->reason);
}

/* serve_root - what only root can do, once, before the split: /dev/kvm, netlink, eBPF. */
static void
serve_root(void)
{
	struct rlimit rl;

	/* Every fd the host allows: captures, consoles and nodes each hold some. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	kvm_probe("/dev/kvm", &kvm);
	lw.kvm = &kvm;
	if (fabric_init() == -1)
		fatal("netlink");
	fabric_can_isolate(); /* loads the eBPF programs; the child keeps the answer */
}

/* serve_drop - become the --run-as user for good: no groups, no capabilities, no way back. */
static void
serve_drop(void)
{
	uid_t u;
	gid_t g;

	ids_daemon(&u, &g);
	if (setgroups(0, NULL) == -1 || setresgid(g, g, g) == -1 || setresuid(u, u, u) == -1)
		fatal("privsep: dropping to uid %u", (unsigned)u);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("privsep: no-new-privs");
	if (setresuid(0, 0, 0) == 0 || geteuid() == 0)
		fatalx("privsep: root could be regained");
}

/*
 * serve_privsep - split the daemon (core/base/priv): the parent stays root
 * and only answers the typed requests of fabric, jail and livecap until
 * the child ends; this process goes on as the unprivileged child.
 */
static void
serve_privsep(void)
{
	pid_t parent = getpid(), pid;
	uid_t uid;
	gid_t gid;
	int sv[PRIV_NCHAN][2], mine[PRIV_NCHAN], theirs[PRIV_NCHAN], status;

	for (int i = 0; i < PRIV_NCHAN; i++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv[i]) == -1)
			fatal("privsep: socketpair");
		mine[i] = sv[i][0];
		theirs[i] = sv[i][1];
	}
	/* What root made there (this start, or an older daemon) becomes the daemon's user's. */
	ids_daemon(&uid, &gid);
	if (paths_chown_root(lw.cfg.data_dir, uid, gid) == -1)
		fatal("privsep: %s", lw.cfg.data_dir);
	fflush(NULL);
	if ((pid = fork()) == -1)
		fatal("privsep: fork");
	if (pid > 0) {
		for (int i = 0; i < PRIV_NCHAN; i++)
			close(theirs[i]);
		fabric_priv_register();
		jail_priv_register();
		livecap_priv_register();
		status = priv_serve(mine, pid);
		livecap_priv_fini(); /* the packet sockets, closed in parallel */
		cgroup_fini();
		exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
	}
	for (int i = 0; i < PRIV_NCHAN; i++)
		close(mine[i]);
	fabric_fini(); /* the netlink socket and eBPF programs are root's: the parent keeps them */
	serve_drop();
	/* After the drop, which would clear it: the daemon ends with its parent. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1 || getppid() != parent)
		fatalx("privsep: the privileged parent is gone");
	priv_client(theirs);
	log_info("privsep: serving as %s (uid %u), privileged work in pid %d", lw.cfg.run_as,
	    (unsigned)getuid(), (int)parent);
}

static int
serve_main(int argc, char **argv)
{
	struct lw_err e = {0};
	struct capture_stats *caps;
	char host[64];
	sigset_t set;
	int ncap;
	int port, sig = 0;

	/*
	 * A fixed mmap threshold: big buffers (a capture relay's 130 KB, a lab's
	 * JSON) stay mmapped, so their untouched pages cost nothing and a free
	 * returns them; and a few malloc arenas, not eight a core.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 << 10);
	mallopt(M_ARENA_MAX, 4);

	/*
	 * Files the daemon makes are nobody else's to read (the database, keys,
	 * logs); directories stay passable for the nodes' users (PATHS_DIR_MODE).
	 */
	umask(026);
	serve_config(argc, argv);
	if (config_split_listen(lw.cfg.listen, host, sizeof(host), &port) == -1)
		fatalx("--listen: '%s' is not ADDR:PORT", lw.cfg.listen);
	serve_port_check(port);
	serve_lock();
	serve_jail();
	serve_root();
	if (server_tls_given(&e) == -1)
		fatalx("%s", e.msg);
	if (strcmp(lw.cfg.privsep, "on") == 0)
		serve_privsep();
	else
		log_warnx("--privsep off: the network-facing daemon runs as root (loopback only; "
		          "for measuring and debugging)");
	serve_open();
	/* Signals are taken by sigwait below; every thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	api_system_init();
	ui_load(lw.cfg.ui_dir);
	if (console_init(&e) == -1 || capture_init(&e) == -1)
		fatalx("%s", e.msg);
	if (auth_enabled()) {
		console_set_auth(serve_console_auth);
		api_on_access_change(serve_access_changed);
	}
	if (impair_init() == -1)
		fatal("impairment engine");
	wiring_force_engine(lw.cfg.impair_all != 0);
	/* Every node has a console; its telnet port listens while the node runs. */
	lifecycle_consoles(0, 0, true);
	if (runtime_init(&e) == -1)
		fatalx("%s", e.msg);
	if (server_start(host, port, &e) == -1)
		fatalx("%s", e.msg);
	log_info("labwire serving %s://%s:%d/api/v1 (data in %s)", server_scheme(), host, port,
	    lw.cfg.data_dir);
	sigwait(&set, &sig);
	log_info("signal %d: shutting down; running nodes keep running for the next daemon", sig);
	/* Consoles first: upgraded WebSockets must be handed back before MHD stops. */
	console_fini();
	/* Ends live pcap streams (their parked readers see the end); keep the counters. */
	if ((ncap = capture_fini(&caps)) > 0) {
		lw_lock();
		runtime_captures_ended(caps, ncap);
		lw_unlock();
	}
	free(caps);
	server_stop();
	/*
	 * The runtime's thread ran until here and may have wired links or
	 * attached consoles after console_fini and capture_fini: each module
	 * marked itself stopped under its lock first, so those calls did
	 * nothing and wrote to no closed fd.
	 */
	runtime_fini();
	impair_fini(); /* after the runtime: nothing can hand it a link any more */
	db_close(lw.db);
	fabric_fini();
	if (!priv_remote())
		cgroup_fini(); /* --privsep off: no parent to do it */
	template_free_all();
	ui_free();
	return (0);
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "nshost") == 0)
		return (nshost_main(argc - 1, argv + 1));
	if (argc >= 2 && strcmp(argv[1], "serve") == 0)
		return (serve_main(argc - 2, argv + 2));
	return (cli_main(argc, argv));
}

/*
 * start - starting a node: its row and template resolved into paths and an
 * accelerator, its files made (directory, linked clone, config drive or
 * startup script, fresh console log), its TAPs opened and handed to QEMU
 * (or its namespace host spawned), and what runs recorded. A start that
 * fails part way leaves nothing behind and says why on the node.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/fault.h"
#include "core/base/ids.h"
#include "core/base/log.h"
#include "core/base/names.h"
#include "core/base/paths.h"
#include "core/base/spawn.h"
#include "core/base/strv.h"
#include "core/net/fabric.h"
#include "core/run/run.h"
#include "core/run/runtime.h"
#include "core/run/state.h"
#include "hv/jail.h"
#include "hv/qemu.h"
#include "images/configdrive.h"
#include "images/store.h"
#include "images/template.h"
#include "tcg/boot.h"
#include "tcg/tcg.h"

struct start_ctx {
	struct state_node row;
	const struct template *t;
	const struct arch_info *arch;
	struct accel_choice accel;
	char dir[PATH_MAX];
	char kernel[PATH_MAX], initrd[PATH_MAX], append[512], iso[PATH_MAX];
	char base[PATH_MAX], base_fmt[16], disk[PATH_MAX]; /* a disk boot: base image, overlay */
	char cdrom[PATH_MAX];                              /* a boot CD-ROM image, or "" */
	char console_log[PATH_MAX], qemu_log[PATH_MAX], qmp_path[108], con_path[108];
	char script[PATH_MAX];
	int fds[QEMU_MAX_NICS];
	int nfds;
	bool netns;
};

/* A disk boot: the node's image from the store, or the template's own base disk. */
static int
start_prepare_disk(struct start_ctx *s, struct lw_err *e)
{
	if (s->row.has_image)
		return (store_ready(
		    s->row.image, s->base, sizeof(s->base), s->base_fmt, sizeof(s->base_fmt), e));
	if (s->t->disk[0] == '\0')
		return (err_set(e, ERR_INVALID,
		    "template %s boots a disk image: give the node an image (upload one with "
		    "`labwire image add FILE --template %s`)",
		    s->t->name, s->t->name));
	snprintf(s->base, sizeof(s->base), "%s/%s", lw.cfg.image_dir, s->t->disk);
	snprintf(s->base_fmt, sizeof(s->base_fmt), "qcow2");
	/* A template's disk is a shipped file, never something in the data dir (uploads, overlays).
	 */
	{
		char real[PATH_MAX];
		size_t dl = strlen(lw.cfg.data_dir);

		if (realpath(s->base, real) != NULL && strncmp(real, lw.cfg.data_dir, dl) == 0 &&
		    (real[dl] == '/' || real[dl] == '\0'))
			return (err_set(e, ERR_INVALID,
			    "template %s: its disk lies in the data directory", s->t->name));
	}
	return (0);
}

/*
 * start_overlay - the node's linked clone: dir/disk.qcow2 on the base, made
 * once and kept across restarts (wipe removes it); a different base (the
 * node's image changed) makes a new one. disk.base records the base.
 */
static int
start_overlay(struct start_ctx *s, struct lw_err *e)
{
	char rec[PATH_MAX + 8], have[PATH_MAX + 32] = "", want[PATH_MAX + 32];
	int fd;

	snprintf(s->disk, sizeof(s->disk), "%s/disk.qcow2", s->dir);
	snprintf(rec, sizeof(rec), "%s/disk.base", s->dir);
	char real[PATH_MAX];

	if (realpath(s->base, real) == NULL)
		return (err_set(e, ERR_UNAVAILABLE, "base image %s: %s", s->base, strerror(errno)));
	/* Keyed on the real path: image ids are never reused, so a path is one image. */
	snprintf(want, sizeof(want), "%s %s\n", s->base_fmt, real);
	if ((fd = paths_open_plain(rec, O_RDONLY, 0)) != -1) {
		ssize_t n = read(fd, have, sizeof(have) - 1);

		have[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (strcmp(have, want) == 0 && access(s->disk, F_OK) == 0)
		return (0);
	if (store_overlay(s->row.id, s->base, s->base_fmt, s->disk, e) == -1)
		return (-1);
	unlink(rec);
	if ((fd = paths_open_plain(rec, O_WRONLY | O_CREAT | O_EXCL, 0640)) == -1 ||
	    write(fd, want, strlen(want)) != (ssize_t)strlen(want)) {
		err_set(e, ERR_INTERNAL, "%s: %s", rec, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	close(fd);
	log_info("node %lld: new disk overlay on %s", (long long)s->row.id, s->base);
	return (0);
}

static int
start_prepare(struct start_ctx *s, int64_t node, struct lw_err *e)
{
	const char *tname, *p;

	if (state_node_get(node, &s->row, e) == -1)
		return (-1);
	tname = s->row.tmpl;
	if ((s->t = template_find(tname)) == NULL)
		return (err_set(e, ERR_INVALID, "template '%s' is no longer available", tname));
	if (strcmp(s->t->kind, "netns") == 0) {
		s->netns = true;
		snprintf(s->accel.reason, sizeof(s->accel.reason),
		    "a lightweight host: a Linux network namespace, no VM");
		return (0);
	}
	if ((s->arch = tcg_arch_lookup(s->t->arch)) == NULL)
		return (err_set(e, ERR_INVALID, "unsupported arch %s", s->t->arch));
	if (tcg_choose(s->row.accel, s->t->arch, lw.host_arch, lw.kvm, &s->accel, e) == -1)
		return (-1);
	if (s->t->needs_kvm && s->accel.accel == ACCEL_TCG && strcmp(s->row.accel, "tcg") != 0)
		return (err_set(e, ERR_UNAVAILABLE,
		    "template %s needs KVM, and this host runs it translated (%s); set the node's "
		    "accel to \"tcg\" to try anyway",
		    s->t->name, s->accel.reason));
	if (s->t->kernel[0] == '\0' || s->row.has_image)
		if (start_prepare_disk(s, e) == -1)
			return (-1);
	if (s->row.has_cdrom) {
		char fmt[16];

		if (store_ready(s->row.cdrom, s->cdrom, sizeof(s->cdrom), fmt, sizeof(fmt), e) ==
		    -1)
			return (-1);
	} else if (s->t->boot_cdrom) {
		return (err_set(e, ERR_INVALID,
		    "template %s boots from a CD-ROM image: give the node one (cdrom)",
		    s->t->name));
	}
	if (s->t->kernel[0] == '\0')
		return (0);
	snprintf(s->kernel, sizeof(s->kernel), "%s/%s", lw.cfg.image_dir, s->t->kernel);
	if (s->t->initrd[0] != '\0')
		snprintf(s->initrd, sizeof(s->initrd), "%s/%s", lw.cfg.image_dir, s->t->initrd);
	/* Expand {tty} in the template's kernel command line. */
	if ((p = strstr(s->t->append, "{tty}")) != NULL)
		snprintf(s->append, sizeof(s->append), "%.*s%s%s", (int)(p - s->t->append),
		    s->t->append, s->arch->console_tty, p + 5);
	else
		snprintf(s->append, sizeof(s->append), "%s", s->t->append);
	return (0);
}

/* A namespace host's startup config is a shell script its nshost reads as root. */
static int
start_script(struct start_ctx *s, struct lw_err *e)
{
	const char *cfg = s->row.startup_config;
	size_t len = cfg ? strlen(cfg) : 0;
	int fd;

	snprintf(s->script, sizeof(s->script), "%s/startup.sh", s->dir);
	unlink(s->script);
	if (len == 0) {
		s->script[0] = '\0';
		return (0);
	}
	if ((fd = open(s->script, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1 ||
	    write(fd, cfg, len) != (ssize_t)len) {
		if (fd != -1)
			close(fd);
		return (err_set(e, ERR_INTERNAL, "%s: %s", s->script, strerror(errno)));
	}
	close(fd);
	return (0);
}

static bool
start_has_drive(const struct start_ctx *s)
{
	return (strcmp(s->t->config_method, "iso") == 0 || strcmp(s->t->config_method, "fat") == 0);
}

static int
start_files(struct start_ctx *s, struct lw_err *e)
{
	int64_t node = s->row.id;
	char rotated[PATH_MAX + 2];

	if (paths_lab(s->dir, sizeof(s->dir), s->row.lab, node, NULL) == -1)
		return (err_set(
		    e, ERR_INTERNAL, "data dir path too long for node %lld", (long long)node));
	if (jail_node_dir(s->row.lab, node, false) == -1)
		return (err_set(e, ERR_INTERNAL, "node directory %s: %s", s->dir, strerror(errno)));
	snprintf(s->console_log, sizeof(s->console_log), "%s/console.log", s->dir);
	snprintf(s->qemu_log, sizeof(s->qemu_log), "%s/%s", s->dir,
	    s->netns ? "nshost.log" : "qemu.log");
	snprintf(s->iso, sizeof(s->iso), "%s/config.%s", s->dir,
	    strcmp(s->t->config_method, "fat") == 0 ? "img" : "iso");
	if (paths_sock(s->qmp_path, sizeof(s->qmp_path), node, "qmp") == -1 ||
	    paths_sock(s->con_path, sizeof(s->con_path), node, "con") == -1)
		return (err_set(e, ERR_INTERNAL, "data dir path too long for a UNIX socket"));
	if (jail_node_dir(s->row.lab, node, true) == -1)
		return (err_set(e, ERR_INTERNAL, "node run directory: %s", strerror(errno)));
	unlink(s->qmp_path);
	unlink(s->con_path);
	/* A fresh console log per boot, so readiness is judged on this boot only. */
	snprintf(rotated, sizeof(rotated), "%s.1", s->console_log);
	unlink(rotated);        /* the previous boot's rotated part */
	unlink(s->console_log); /* a fresh, plain file: whatever the node left there goes */
	if (s->netns)
		return (start_script(s, e));
	if (s->base[0] != '\0' && start_overlay(s, e) == -1)
		return (-1);
	if (start_has_drive(s) &&
	    configdrive_build(node, s->dir, s->t, s->row.name, s->row.startup_config, s->iso, e) ==
	        -1)
		return (-1);
	return (0);
}

static int
start_taps(struct start_ctx *s, struct qemu_spec *q, struct lw_err *e)
{
	int64_t node = s->row.id;
	char tap[16];

	q->nnics = s->row.nics;
	for (int k = 0; k < q->nnics; k++) {
		if (names_tap(tap, node, k) == -1)
			return (err_set(e, ERR_INTERNAL, "node id too large for interface names"));
		fabric_link_del(tap); /* a stale one from a crash */
		if ((s->fds[k] = fabric_tap_open(tap, LINK_MTU)) == -1)
			return (err_set(e, ERR_INTERNAL, "TAP %s: %s", tap, strerror(errno)));
		s->nfds = k + 1;
		q->nics[k].fd = s->fds[k];
		names_mac(q->nics[k].mac, node, k);
	}
	return (0);
}

static void
start_spec(struct start_ctx *s, struct qemu_spec *q)
{
	q->name = s->row.name;
	tcg_target(s->arch, s->accel.accel, &q->target);
	q->cpus = s->row.cpus;
	q->ram_mb = s->row.ram_mb;
	template_spec(s->t, q);
	if (s->disk[0] != '\0')
		q->disk = s->disk;
	if (s->kernel[0] != '\0') {
		q->kernel = s->kernel;
		q->initrd = s->initrd[0] ? s->initrd : NULL;
		q->append = s->append[0] ? s->append : NULL;
	}
	q->config_drive = start_has_drive(s) ? s->iso : NULL;
	q->boot_cdrom = s->cdrom[0] ? s->cdrom : NULL;
	q->console_path = s->con_path;
	q->qmp_path = s->qmp_path;
}

static const char *
accel_name(const struct start_ctx *s)
{
	if (s->netns)
		return ("none");
	return (s->accel.accel == ACCEL_KVM ? "kvm" : "tcg");
}

/*
 * start_ticks - when n's process started, read while its pidfd says it
 * still runs: then the pid was not reused meanwhile, and the time is its
 * (0 when it is already gone; its exit is handled by the loop).
 */
static unsigned long long
start_ticks(const struct rt_node *n)
{
	unsigned long long t = 0;

	if (spawn_proc_start(n->pid, &t) == -1 || !spawn_pidfd_alive(n->pidfd))
		return (0);
	return (t);
}

static int
start_record(struct start_ctx *s, struct rt_node *n, struct lw_err *e)
{
	snprintf(n->accel, sizeof(n->accel), "%s", accel_name(s));
	if (n->has_re && !s->netns) {
		struct boot_estimate b;

		boot_estimate(s->t->name, s->t->boot_time_kvm_s, n->accel, &b);
		n->boot_deadline = n->started_ms + (int64_t)(b.timeout_s * 1000);
	}
	return (state_node_started(n->id, n->pid, start_ticks(n), s->netns ? "" : s->qmp_path,
	    n->nics, n->accel, s->accel.reason, n->has_re, e));
}

/* `labwire nshost ...`: this very binary runs the namespace host. */
static int
nshost_argv(struct start_ctx *s, struct rt_node *n, struct strv *argv, struct lw_err *e)
{
	char nics[16];

	uid_t uid;
	gid_t gid;
	char ids[32];

	if (ids_node(n->id, &uid, &gid) == -1)
		return (err_set(e, ERR_INTERNAL, "node id %lld is out of range", (long long)n->id));
	snprintf(ids, sizeof(ids), "%u", (unsigned)uid);
	snprintf(nics, sizeof(nics), "%d", n->nics);
	snprintf(n->ifpattern, sizeof(n->ifpattern), "%s", s->t->interface_pattern);
	if (strv_add(argv, "/proc/self/exe") == -1 || strv_add(argv, "nshost") == -1 ||
	    strv_add(argv, "--console") == -1 || strv_add(argv, s->con_path) == -1 ||
	    strv_add(argv, "--hostname") == -1 || strv_add(argv, s->row.name) == -1 ||
	    strv_add(argv, "--nics") == -1 || strv_add(argv, nics) == -1 ||
	    strv_add(argv, "--ifpattern") == -1 || strv_add(argv, s->t->interface_pattern) == -1 ||
	    strv_add(argv, "--id") == -1 || strv_add(argv, ids) == -1 ||
	    strv_add(argv, "--console-dir-fd") == -1 || strv_add(argv, "3") == -1 ||
	    (s->script[0] != '\0' &&
	        (strv_add(argv, "--config-fd") == -1 || strv_add(argv, "4") == -1)))
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	/*
	 * The script goes by fd (fd 4: the privileged parent puts the node's
	 * run directory at 3): nshost reads it as root, and a path under the
	 * data directory could be swapped for a link to a file root may read.
	 */
	if (s->script[0] != '\0') {
		if ((s->fds[0] = paths_open_plain(s->script, O_RDONLY, 0)) == -1)
			return (err_set(e, ERR_INTERNAL, "%s: %s", s->script, strerror(errno)));
		s->nfds = 1;
	}
	return (0);
}

/* start_jailed - the node's process as its own user, in its cgroup (hv/jail). */
static pid_t
start_jailed(struct start_ctx *s, struct rt_node *n, struct strv *argv)
{
	struct jail_req r = {
	    .kind = s->netns ? JAIL_NSHOST : JAIL_QEMU,
	    .lab = s->row.lab,
	    .node = n->id,
	    .ram_mb = s->row.ram_mb,
	    .cpus = s->row.cpus,
	    .cpu_cap_pct = s->row.cpu_cap_pct,
	    .kvm = !s->netns && s->accel.accel == ACCEL_KVM,
	};
	int log_fd;
	pid_t pid;

	if ((log_fd = spawn_log_open(s->qemu_log)) == -1)
		return (-1);
	pid = jail_spawn(&r, argv->v, s->fds, s->nfds, log_fd, &n->pidfd);
	spawn_close_keep_errno(log_fd);
	return (pid);
}

static int
start_spawn(struct start_ctx *s, struct rt_node *n, struct lw_err *e)
{
	struct qemu_spec q = {0};
	struct strv argv = {0};
	int r = -1;

	if (s->netns) {
		if (nshost_argv(s, n, &argv, e) == -1) {
			strv_free(&argv);
			return (-1);
		}
	} else {
		if (start_taps(s, &q, e) == -1)
			return (-1);
		start_spec(s, &q);
		if (qemu_argv_build(&q, &argv, e) == -1)
			return (-1);
	}
	n->pid = start_jailed(s, n, &argv);
	if (n->pid == -1)
		err_set(e, ERR_UNAVAILABLE, "cannot start %s: %s", argv.v[0], strerror(errno));
	else
		r = 0;
	if (r == 0) {
		char *line = strv_join(&argv);

		log_info("node %lld: started pid %d: %s", (long long)n->id, (int)n->pid,
		    line ? line : argv.v[0]);
		free(line);
	}
	strv_free(&argv);
	return (r);
}

/* start_fail - a start that failed part way: undo it, and say why on the node. */
static void
start_fail(struct start_ctx *s, int64_t id, struct rt_node *n, const struct lw_err *e)
{
	log_warnx("node %lld: start failed: %s", (long long)id, e->msg);
	for (int k = 0; k < s->nfds; k++)
		close(s->fds[k]);
	s->nfds = 0;
	links_unwire_node(id, s->row.nics);
	jail_node_release(id); /* whatever got into its cgroup, and the cgroup */
	state_node_exited(id); /* the intent row, if it got that far */
	if (n != NULL)
		node_free(n);
	state_node_clear(&s->row);
	state_node_set(id, "error", e->msg);
}

/* start_run - the node's files are made: spawn it, supervise it, wire it. */
static void
start_run(struct start_ctx *s, int64_t id)
{
	struct lw_err e = {0};
	struct rt_node *n = node_new(id, s->row.lab, s->t, s->row.nics);

	if (n == NULL) {
		err_set(&e, ERR_INTERNAL, "out of memory");
		start_fail(s, id, NULL, &e);
		return;
	}
	snprintf(n->qmp_path, sizeof(n->qmp_path), "%s", s->qmp_path);
	snprintf(n->log_path, sizeof(n->log_path), "%s", s->console_log);
	snprintf(n->con_path, sizeof(n->con_path), "%s", s->con_path);
	n->fresh = true;
	n->netns = s->netns;
	/* Intent first: a daemon that dies from here on leaves a row that says what to end. */
	if (state_node_intent(id, s->netns ? "" : s->qmp_path, s->row.nics, &e) == -1) {
		start_fail(s, id, n, &e);
		return;
	}
	FAULT_POINT(s->netns ? "nshost.intent" : "qemu.intent");
	if (start_spawn(s, n, &e) == -1) {
		start_fail(s, id, n, &e);
		return;
	}
	FAULT_POINT(s->netns ? "nshost.spawned" : "qemu.spawned");
	for (int k = 0; k < s->nfds; k++)
		close(s->fds[k]); /* QEMU holds the TAPs now */
	s->nfds = 0;
	if (rt_watch_add(n->pidfd, &n->w_pid) == -1 || start_record(s, n, &e) == -1) {
		siginfo_t si;

		/* Unsupervised QEMU must not live on: kill it, reap it, unwind. */
		err_set(&e, ERR_INTERNAL, "supervising pid %d failed", (int)n->pid);
		rt_watch_del(n->pidfd);
		jail_signal(id, n->pidfd, SIGKILL);
		TEMP_FAILURE_RETRY(poll(&(struct pollfd){.fd = n->pidfd, .events = POLLIN}, 1, -1));
		jail_reap(n->pid, n->pidfd, &si);
		state_node_exited(id);
		start_fail(s, id, n, &e);
		return;
	}
	rt_add(n);
	FAULT_POINT(n->netns ? "nshost.recorded" : "qemu.recorded");
	if (!n->netns) {
		/* The TAPs exist: isolate them, then let the links take theirs. */
		n->wired = true;
		links_isolate_node(id, n->nics);
		FAULT_POINT("qemu.wiring");
		links_sync_node(id, 0);
	}
	state_node_publish(id);
	state_node_clear(&s->row);
}

/*
 * Preparing. The files a VM's start needs helper tools for (qemu-img for
 * its linked clone; genisoimage, mkfs.fat, mtools or tar for its config
 * drive) are made on a preparing thread, never on the loop's: a tool may
 * run up to --tool-timeout, and the loop, lw_lock() with it, must not wait
 * for one. A job holds the node's start; the loop takes it back when the
 * files are made (RT_NODE_PREPARED) and spawns the node, or settles a node
 * stopped meanwhile (it stays "stopping" until then, so a lab's delete
 * waits for its files to be written before removing them).
 */
#define PREP_THREADS 2

enum prep_state { PREP_QUEUED, PREP_RUNNING, PREP_DONE };

struct prep_job {
	int64_t id;
	enum prep_state st;
	int rc;
	struct lw_err e;
	struct start_ctx s;
	struct prep_job *next;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct prep_job *jobs; /* every job the loop has not taken back, in queue order */
	pthread_t th[PREP_THREADS];
	int nth;
	bool quit;
} prep = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *
prep_thread(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&prep.mu);
	while (!prep.quit) {
		struct prep_job *j = prep.jobs;

		while (j != NULL && j->st != PREP_QUEUED)
			j = j->next;
		if (j == NULL) {
			pthread_cond_wait(&prep.cv, &prep.mu);
			continue;
		}
		j->st = PREP_RUNNING;
		pthread_mutex_unlock(&prep.mu);
		j->rc = start_files(&j->s, &j->e); /* no lock: the job is this thread's */
		pthread_mutex_lock(&prep.mu);
		j->st = PREP_DONE;
		rt_enqueue(RT_NODE_PREPARED, j->id);
	}
	pthread_mutex_unlock(&prep.mu);
	return (NULL);
}

bool
start_preparing(int64_t id)
{
	bool found = false;

	pthread_mutex_lock(&prep.mu);
	for (struct prep_job *j = prep.jobs; j != NULL && !found; j = j->next)
		found = j->id == id;
	pthread_mutex_unlock(&prep.mu);
	return (found);
}

/* prep_queue - hand s's files to a preparing thread (s is the job's now); 0 or -1 with e. */
static int
prep_queue(struct start_ctx *s, int64_t id, struct lw_err *e)
{
	struct prep_job *j = calloc(1, sizeof(*j)), **pp;
	int r = 0;

	if (j == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	j->id = id;
	j->s = *s;
	pthread_mutex_lock(&prep.mu);
	if (prep.nth < PREP_THREADS &&
	    pthread_create(&prep.th[prep.nth], NULL, prep_thread, NULL) == 0)
		prep.nth++;
	if (prep.nth == 0) {
		r = err_set(e, ERR_UNAVAILABLE, "cannot start a thread to make the node's files");
	} else {
		for (pp = &prep.jobs; *pp != NULL; pp = &(*pp)->next)
			;
		*pp = j;
		pthread_cond_signal(&prep.cv);
	}
	pthread_mutex_unlock(&prep.mu);
	if (r == -1)
		free(j);
	return (r);
}

void
start_prepared(void)
{
	struct prep_job *done = NULL, **pp, *j;

	/*
	 * In the order the starts were asked, whichever thread finished first:
	 * a staged start's boot_order holds, and so does the order of a lab's
	 * nodes. A done job waits behind an earlier one still being made.
	 */
	pp = &done;
	pthread_mutex_lock(&prep.mu);
	while ((j = prep.jobs) != NULL && j->st == PREP_DONE) {
		prep.jobs = j->next;
		j->next = NULL;
		*pp = j;
		pp = &j->next;
	}
	pthread_mutex_unlock(&prep.mu);
	while ((j = done) != NULL) {
		done = j->next;
		if (state_node_in(j->id, "starting", NULL)) {
			if (j->rc == -1)
				start_fail(&j->s, j->id, NULL, &j->e);
			else
				start_run(&j->s, j->id);
		} else {
			/* Stopped (or deleted) while its files were made: nothing runs. */
			jail_node_release(j->id);
			state_node_clear(&j->s.row);
			if (state_node_in(j->id, "stopping", NULL))
				state_node_set(j->id, "stopped", NULL);
		}
		free(j);
	}
}

void
start_fini(void)
{
	struct prep_job *j;

	pthread_mutex_lock(&prep.mu);
	prep.quit = true;
	pthread_cond_broadcast(&prep.cv);
	pthread_mutex_unlock(&prep.mu);
	for (int i = 0; i < prep.nth; i++)
		pthread_join(
		    prep.th[i], NULL); /* a tool running is waited for, --tool-timeout at most */
	prep.nth = 0;
	while ((j = prep.jobs) != NULL) {
		/* Never spawned: the next daemon finds these nodes not running. */
		prep.jobs = j->next;
		state_node_clear(&j->s.row);
		free(j);
	}
	prep.quit = false;
}

/* start_needs_tools - are the node's files made by helper tools (so off the loop)? */
static bool
start_needs_tools(const struct start_ctx *s)
{
	return (!s->netns && (s->base[0] != '\0' || start_has_drive(s)));
}

void
start_node(int64_t id)
{
	struct start_ctx s = {.nfds = 0};
	struct lw_err e = {0};

	if (rt_find(id) != NULL || start_preparing(id) || !state_node_in(id, "starting", NULL))
		return; /* deleted, stopped, already running or being prepared meanwhile */
	/* rt_admit again: the host may have less to give than when it was queued */
	if (rt_admit(id, &e) == -1 || start_prepare(&s, id, &e) == -1) {
		start_fail(&s, id, NULL, &e);
		return;
	}
	if (start_needs_tools(&s)) {
		if (prep_queue(&s, id, &e) == -1)
			start_fail(&s, id, NULL, &e);
		return;
	}
	if (start_files(&s, &e) == -1) {
		start_fail(&s, id, NULL, &e);
		return;
	}
	start_run(&s, id);
}

static int
file_readable(const char *path)
{
	return (access(path, R_OK) == 0);
}

int
runtime_check_node(int64_t node, struct lw_err *e)
{
	struct start_ctx s = {.nfds = 0};
	char bin[PATH_MAX];
	int r = -1;

	if (start_prepare(&s, node, e) == -1)
		goto out;
	if (s.netns) {
		r = 0;
		goto out;
	}
	if (spawn_path(s.arch->qemu_binary, bin, sizeof(bin)) == -1) {
		err_set(e, ERR_UNAVAILABLE, "%s is not installed (Debian package %s)",
		    s.arch->qemu_binary,
		    strcmp(s.arch->name, "x86_64") == 0 ? "qemu-system-x86" : "qemu-system-arm");
		goto out;
	}
	if (qemu_firmware_path(s.arch->name, s.t->firmware) != NULL &&
	    !file_readable(qemu_firmware_path(s.arch->name, s.t->firmware))) {
		err_set(e, ERR_UNAVAILABLE,
		    "template %s boots UEFI and %s is missing (Debian package %s)", s.t->name,
		    qemu_firmware_path(s.arch->name, s.t->firmware),
		    strcmp(s.arch->name, "aarch64") == 0 ? "qemu-efi-aarch64" : "ovmf");
		goto out;
	}
	if (s.base[0] != '\0' && !file_readable(s.base)) {
		err_set(e, ERR_UNAVAILABLE, "the base disk of template %s is missing (%s)",
		    s.t->name, s.base);
		goto out;
	}
	if (s.kernel[0] != '\0' &&
	    (!file_readable(s.kernel) || (s.initrd[0] && !file_readable(s.initrd)))) {
		err_set(e, ERR_UNAVAILABLE,
		    "guest files for template %s are missing (%s): "
		    "build them with `make guest`",
		    s.t->name, s.kernel);
		goto out;
	}
	r = 0;
out:
	state_node_clear(&s.row);
	return (r);
}

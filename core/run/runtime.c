/*
 * runtime - the runtime loop. One thread runs an epoll loop over an
 * eventfd (queued commands), each node's pidfd and QMP socket, and a
 * timeout for the nearest deadline (QMP connect retries, readiness polls,
 * stop escalation). Everything it touches is guarded by lw_lock().
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/net/capture.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/console/console.h"
#include "core/base/events.h"
#include "core/net/fabric.h"
#include "core/base/log.h"
#include "core/base/names.h"
#include "core/run/runtime.h"
#include "core/run/typing.h"
#include "core/net/wiring.h"
#include "db/db.h"
#include "core/base/spawn.h"
#include "hv/qemu.h"
#include "hv/qmp.h"
#include "images/configdrive.h"
#include "tcg/boot.h"
#include "images/store.h"
#include "images/template.h"
#include "tcg/tcg.h"

#define DB lw.db
#define LINK_MTU 9000
#define QMP_CONNECT_GIVEUP_MS 30000
#define READY_POLL_MS 50 /* readiness is judged within 50 ms of the console line */
#define STOP_QUIT_WAIT_MS 5000

enum rt_op {
	RT_NODE_START,
	RT_NODE_STOP,
	RT_NODE_KILL,
	RT_LINK_WIRE,
	RT_LINK_UNWIRE,
	RT_LINK_STATE,
	RT_LINK_SYNC,
	RT_NODE_TYPED,    /* a console-typed startup config is done */
	RT_NODE_TYPE_FAILED,
	RT_STAGE,         /* a staged lab start was queued */
	RT_QUIT
};
enum rt_watch_kind { W_PID, W_QMP };

struct rt_cmd {
	enum rt_op op;
	int64_t id;
	struct rt_cmd *next;
};

struct rt_node;

/* A staged lab start: at most conc of its nodes booting at once, in order. */
struct rt_stage {
	int conc;
	size_t n, next;
	int64_t *ids;
	struct rt_stage *link;
};

struct rt_watch {
	enum rt_watch_kind kind;
	struct rt_node *n;
};

struct rt_node {
	int64_t id, lab;
	pid_t pid;
	int pidfd;
	int nics;
	struct qmp *qmp;
	char qmp_path[108];
	char con_path[108];
	bool con_attached;
	bool fresh;  /* started by this daemon (not re-adopted) */
	bool netns;  /* a lightweight host (nshost), not a QEMU */
	bool wired;  /* its interfaces exist: links may use them */
	char ifpattern[32];
	char log_path[PATH_MAX];
	off_t log_off;
	char carry[256];
	regex_t ready_re;
	bool has_re, ready, stopping;
	int stop_stage; /* 0 none, 1 powerdown sent, 2 quit sent, 3 SIGKILL sent */
	int shutdown_timeout_s;
	int64_t stop_deadline, qmp_retry_at, qmp_giveup_at, ready_poll_at;
	int64_t started_ms, boot_deadline; /* boot_deadline: 0 once ready or reported late */
	bool typing;                       /* its startup config is being typed on the console */
	char tmpl[64], accel[8];
	struct rt_watch w_pid, w_qmp;
	struct rt_node *next;
};

static struct {
	int epfd, evfd;
	pthread_t thread;
	bool started;
	pthread_mutex_t qmu;
	struct rt_cmd *head, *tail;
	struct rt_node *nodes;
	struct rt_stage *stages, *pending; /* pending: queued by API threads, under qmu */
} rt = {.epfd = -1, .evfd = -1, .qmu = PTHREAD_MUTEX_INITIALIZER};

static struct rt_node *
rt_find(int64_t id)
{
	for (struct rt_node *n = rt.nodes; n != NULL; n = n->next)
		if (n->id == id)
			return (n);
	return (NULL);
}

static void
rt_enqueue(enum rt_op op, int64_t id)
{
	struct rt_cmd *c = calloc(1, sizeof(*c));
	uint64_t one = 1;

	if (c == NULL) {
		log_warn("runtime: queue");
		return;
	}
	c->op = op;
	c->id = id;
	pthread_mutex_lock(&rt.qmu);
	if (rt.tail)
		rt.tail->next = c;
	else
		rt.head = c;
	rt.tail = c;
	pthread_mutex_unlock(&rt.qmu);
	if (write(rt.evfd, &one, sizeof(one)) == -1)
		log_warn("runtime: eventfd");
}

static void stage_pump(void);
static void node_start(int64_t id);

/* ---- state in the store, and the events that announce it ---- */

static void
node_publish(int64_t id)
{
	json_t *row = db_row(DB, NULL,
	    "SELECT id, lab_id AS lab, name, state, error, ready, boot, accel_in_use FROM nodes"
	    " WHERE id = ?",
	    "i", id);

	if (row == NULL)
		return;
	json_object_set_new(
	    row, "ready", json_boolean(json_integer_value(json_object_get(row, "ready"))));
	if (json_is_null(json_object_get(row, "error")))
		json_object_del(row, "error");
	if (json_is_null(json_object_get(row, "boot")) ||
	    (strcmp(json_string_value(json_object_get(row, "state")), "starting") != 0 &&
	        strcmp(json_string_value(json_object_get(row, "state")), "running") != 0))
		json_object_del(row, "boot");
	events_publish("node", json_pack("{s:s,s:o}", "action", "state", "node", row));
}

static void
node_set_state(int64_t id, const char *state, const char *error)
{
	if (db_exec(DB, NULL, "UPDATE nodes SET state = ?, error = ? WHERE id = ?", "ssi", state,
	        error, id) == -1)
		log_warnx("node %lld: cannot record state %s", (long long)id, state);
	node_publish(id);
}

/* ---- paths: built from ids only ---- */

static void
node_dir(char *buf, size_t len, int64_t lab, int64_t node)
{
	snprintf(
	    buf, len, "%s/labs/%lld/nodes/%lld", lw.cfg.data_dir, (long long)lab, (long long)node);
}

static int
mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0750) == -1 && errno != EEXIST)
			return (-1);
		*p = '/';
	}
	return (mkdir(tmp, 0750) == -1 && errno != EEXIST ? -1 : 0);
}

/* ---- wiring ---- */

/* Interfaces of node that are linked: [{idx, link}] (new reference). */
static json_t *
node_links(int64_t node)
{
	return (db_rows(DB, NULL,
	    "SELECT i.idx, le.link_id AS link FROM interfaces i"
	    " JOIN link_endpoints le ON le.interface_id = i.id WHERE i.node_id = ?",
	    "i", node));
}

/*
 * link_sync - hand link's ends to wiring as they are now: an end is present
 * when its node runs with its interfaces made, and is not node skip (one
 * that is going away). A link with no endpoints left was deleted.
 */
static void
link_sync(int64_t link, int64_t skip)
{
	json_t *rows = db_rows(DB, NULL,
	    "SELECT i.node_id AS node, i.idx, l.state, l.impairment FROM link_endpoints le"
	    " JOIN interfaces i ON i.id = le.interface_id JOIN links l ON l.id = le.link_id"
	    " WHERE le.link_id = ? ORDER BY le.pos",
	    "i", link);
	struct wire_end ends[64];
	json_t *r, *imp = NULL;
	bool up = true;
	size_t i;
	int n = 0;

	json_array_foreach(rows, i, r) {
		int64_t node = json_integer_value(json_object_get(r, "node"));
		struct rt_node *rn = node == skip ? NULL : rt_find(node);

		if (n == (int)(sizeof(ends) / sizeof(ends[0])))
			break;
		ends[n].node = node;
		ends[n].idx = (int)json_integer_value(json_object_get(r, "idx"));
		ends[n].present = rn != NULL && rn->wired;
		ends[n].netns = rn != NULL && rn->netns;
		n++;
		if (i == 0) {
			up = strcmp(json_string_value(json_object_get(r, "state")), "up") == 0;
			imp = json_loads(
			    json_string_value(json_object_get(r, "impairment")), 0, NULL);
		}
	}
	json_decref(rows);
	if (n == 0)
		wiring_forget(link);
	else
		wiring_sync(link, ends, n, up, imp);
	json_decref(imp);
}

void
runtime_captures_ended(const struct capture_stats *st, int n)
{
	for (int i = 0; i < n; i++)
		db_exec(DB, NULL,
		    "UPDATE captures SET state = 'stopped', packets = ?, bytes = ?, dropped = ?,"
		    " kernel_dropped = ? WHERE id = ?",
		    "iiiii", (int64_t)st[i].packets, (int64_t)st[i].bytes, (int64_t)st[i].dropped,
		    (int64_t)st[i].kernel_dropped, st[i].id);
}

/* Every link of node re-reconciled (skip: the node is going away). */
static void
node_links_sync(int64_t node, int64_t skip)
{
	json_t *links = node_links(node), *r;
	size_t i;

	json_array_foreach(links, i, r)
		link_sync(json_integer_value(json_object_get(r, "link")), skip);
	json_decref(links);
}

static void
node_unwire(int64_t node, int nics)
{
	char tap[16];

	node_links_sync(node, node);
	/*
	 * TAPs vanish with QEMU's fds and veths with the namespace; deleting
	 * them makes it immediate and certain.
	 */
	for (int k = 0; k < nics; k++)
		if (names_tap(tap, node, k) == 0 && fabric_link_del(tap) == -1)
			log_warn("delete %s", tap);
}

/* Until a link uses them, a node's interfaces drop what arrives: the host stack stays out. */
static void
node_isolate(int64_t node, int nics)
{
	struct fabric_batch *b = fabric_batch_new();
	char ifn[16];

	for (int k = 0; k < nics; k++)
		if (names_tap(ifn, node, k) == 0)
			fabric_tc_drop(b, ifn);
	if (fabric_batch_run(b) != 0)
		log_warnx("node %lld: isolating its interfaces failed", (long long)node);
}

static void
qmp_set_link(struct rt_node *n, int idx, bool up)
{
	char id[16], err[128];
	json_t *args;

	if (n->qmp == NULL)
		return;
	snprintf(id, sizeof(id), "net%d", idx);
	args = json_pack("{s:s,s:b}", "name", id, "up", up);
	if (qmp_exec(n->qmp, "set_link", args, NULL, 2000, err, sizeof(err)) == -1)
		log_warnx("node %lld: set_link %s: %s", (long long)n->id, id, err);
	json_decref(args);
}

/* Apply every down link of a freshly connected node. */
static void
node_apply_link_states(struct rt_node *n)
{
	json_t *rows = db_rows(DB, NULL,
	    "SELECT i.idx FROM interfaces i JOIN link_endpoints le ON le.interface_id = i.id"
	    " JOIN links l ON l.id = le.link_id WHERE i.node_id = ? AND l.state = 'down'",
	    "i", n->id);
	json_t *r;
	size_t i;

	json_array_foreach(rows, i, r)
		qmp_set_link(n, (int)json_integer_value(json_object_get(r, "idx")), false);
	json_decref(rows);
}

/* ---- starting a node ---- */

struct start_ctx {
	json_t *row;
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
	const char *image = json_string_value(json_object_get(s->row, "image"));

	if (image != NULL)
		return (store_ready(image, s->base, sizeof(s->base), s->base_fmt, sizeof(s->base_fmt), e));
	if (s->t->disk[0] == '\0')
		return (err_set(e, ERR_INVALID,
		    "template %s boots a disk image: give the node an image (upload one with "
		    "`labwire image add FILE --template %s`)",
		    s->t->name, s->t->name));
	snprintf(s->base, sizeof(s->base), "%s/%s", lw.cfg.image_dir, s->t->disk);
	snprintf(s->base_fmt, sizeof(s->base_fmt), "qcow2");
	/* A template's disk is a shipped file, never something in the data dir (uploads, overlays). */
	{
		char real[PATH_MAX];
		size_t dl = strlen(lw.cfg.data_dir);

		if (realpath(s->base, real) != NULL && strncmp(real, lw.cfg.data_dir, dl) == 0 &&
		    (real[dl] == '/' || real[dl] == '\0'))
			return (err_set(e, ERR_INVALID, "template %s: its disk lies in the data directory", s->t->name));
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
	FILE *f;

	snprintf(s->disk, sizeof(s->disk), "%s/disk.qcow2", s->dir);
	snprintf(rec, sizeof(rec), "%s/disk.base", s->dir);
	char real[PATH_MAX];

	if (realpath(s->base, real) == NULL)
		return (err_set(e, ERR_UNAVAILABLE, "base image %s: %s", s->base, strerror(errno)));
	/* Keyed on the real path: image ids are never reused, so a path is one image. */
	snprintf(want, sizeof(want), "%s %s\n", s->base_fmt, real);
	if ((f = fopen(rec, "re")) != NULL) {
		if (fgets(have, sizeof(have), f) == NULL)
			have[0] = '\0';
		fclose(f);
	}
	if (strcmp(have, want) == 0 && access(s->disk, F_OK) == 0)
		return (0);
	if (store_overlay(s->base, s->base_fmt, s->disk, e) == -1)
		return (-1);
	if ((f = fopen(rec, "we")) == NULL || fputs(want, f) == EOF || fclose(f) == EOF)
		return (err_set(e, ERR_INTERNAL, "%s: %s", rec, strerror(errno)));
	log_info("node %lld: new disk overlay on %s", (long long)json_integer_value(json_object_get(s->row, "id")), s->base);
	return (0);
}

static int
start_prepare(struct start_ctx *s, int64_t node, struct lw_err *e)
{
	const char *tname, *p;

	s->row = db_row(DB, e,
	    "SELECT id, lab_id, name, template, image, cdrom, arch, accel, cpus, ram_mb, nics,"
	    " startup_config FROM nodes WHERE id = ?",
	    "i", node);
	if (s->row == NULL)
		return (-1);
	tname = json_string_value(json_object_get(s->row, "template"));
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
	if (tcg_choose(json_string_value(json_object_get(s->row, "accel")), s->t->arch,
	        lw.host_arch, lw.kvm, &s->accel, e) == -1)
		return (-1);
	if (s->t->needs_kvm && s->accel.accel == ACCEL_TCG &&
	    strcmp(json_string_value(json_object_get(s->row, "accel")), "tcg") != 0)
		return (err_set(e, ERR_UNAVAILABLE,
		    "template %s needs KVM, and this host runs it translated (%s); set the node's "
		    "accel to \"tcg\" to try anyway",
		    s->t->name, s->accel.reason));
	if (s->t->kernel[0] == '\0' || json_is_string(json_object_get(s->row, "image")))
		if (start_prepare_disk(s, e) == -1)
			return (-1);
	if (json_is_string(json_object_get(s->row, "cdrom"))) {
		char fmt[16];

		if (store_ready(json_string_value(json_object_get(s->row, "cdrom")), s->cdrom,
		        sizeof(s->cdrom), fmt, sizeof(fmt), e) == -1)
			return (-1);
	} else if (s->t->boot_cdrom) {
		return (err_set(e, ERR_INVALID, "template %s boots from a CD-ROM image: give the node one (cdrom)",
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
	const char *cfg = json_string_value(json_object_get(s->row, "startup_config"));
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
	int64_t node = json_integer_value(json_object_get(s->row, "id"));
	int64_t lab = json_integer_value(json_object_get(s->row, "lab_id"));
	char rotated[PATH_MAX + 2];
	int r;

	node_dir(s->dir, sizeof(s->dir), lab, node);
	if (mkdir_p(s->dir) == -1)
		return (err_set(e, ERR_INTERNAL, "mkdir %s: %s", s->dir, strerror(errno)));
	snprintf(s->console_log, sizeof(s->console_log), "%s/console.log", s->dir);
	snprintf(s->qemu_log, sizeof(s->qemu_log), "%s/%s", s->dir,
	    s->netns ? "nshost.log" : "qemu.log");
	snprintf(s->iso, sizeof(s->iso), "%s/config.%s", s->dir,
	    strcmp(s->t->config_method, "fat") == 0 ? "img" : "iso");
	r = snprintf(
	    s->qmp_path, sizeof(s->qmp_path), "%s/run/n%lld.qmp", lw.cfg.data_dir, (long long)node);
	if (r < 0 || (size_t)r >= sizeof(s->qmp_path))
		return (err_set(e, ERR_INTERNAL, "data dir path too long for a UNIX socket"));
	snprintf(
	    s->con_path, sizeof(s->con_path), "%s/run/n%lld.con", lw.cfg.data_dir, (long long)node);
	unlink(s->qmp_path);
	unlink(s->con_path);
	/* A fresh console log per boot, so readiness is judged on this boot only. */
	snprintf(rotated, sizeof(rotated), "%s.1", s->console_log);
	unlink(rotated); /* the previous boot's rotated part */
	if (truncate(s->console_log, 0) == -1 && errno != ENOENT)
		return (err_set(e, ERR_INTERNAL, "%s: %s", s->console_log, strerror(errno)));
	if (s->netns)
		return (start_script(s, e));
	if (s->base[0] != '\0' && start_overlay(s, e) == -1)
		return (-1);
	if (start_has_drive(s) &&
	    configdrive_build(s->dir, s->t, json_string_value(json_object_get(s->row, "name")),
	        json_string_value(json_object_get(s->row, "startup_config")), s->iso, e) == -1)
		return (-1);
	return (0);
}

static int
start_taps(struct start_ctx *s, struct qemu_spec *q, struct lw_err *e)
{
	int64_t node = json_integer_value(json_object_get(s->row, "id"));
	char tap[16];

	q->nnics = (int)json_integer_value(json_object_get(s->row, "nics"));
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
	q->name = json_string_value(json_object_get(s->row, "name"));
	tcg_target(s->arch, s->accel.accel, &q->target);
	q->cpus = (int)json_integer_value(json_object_get(s->row, "cpus"));
	q->ram_mb = (int)json_integer_value(json_object_get(s->row, "ram_mb"));
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

static struct rt_node *
rt_node_new(int64_t id, int64_t lab, const struct template *t, int nics)
{
	struct rt_node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return (NULL);
	n->id = id;
	n->lab = lab;
	n->nics = nics;
	n->pidfd = -1;
	n->shutdown_timeout_s = t ? t->shutdown_timeout_s : 5;
	if (t != NULL && t->ready_pattern[0] != '\0')
		n->has_re = regcomp(&n->ready_re, t->ready_pattern, REG_EXTENDED | REG_NOSUB) == 0;
	n->w_pid = (struct rt_watch){W_PID, n};
	n->w_qmp = (struct rt_watch){W_QMP, n};
	n->qmp_retry_at = clock_mono_ms() + 50;
	n->qmp_giveup_at = clock_mono_ms() + QMP_CONNECT_GIVEUP_MS;
	n->ready_poll_at = clock_mono_ms() + READY_POLL_MS;
	n->started_ms = clock_mono_ms();
	if (t != NULL)
		snprintf(n->tmpl, sizeof(n->tmpl), "%s", t->name);
	return (n);
}

static void
rt_node_free(struct rt_node *n)
{
	if (n->has_re)
		regfree(&n->ready_re);
	if (n->qmp)
		qmp_close(n->qmp);
	if (n->pidfd != -1)
		close(n->pidfd);
	free(n);
}

static int
rt_watch_add(int fd, struct rt_watch *w)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};

	return (epoll_ctl(rt.epfd, EPOLL_CTL_ADD, fd, &ev));
}

static const char *
accel_name(const struct start_ctx *s)
{
	if (s->netns)
		return ("none");
	return (s->accel.accel == ACCEL_KVM ? "kvm" : "tcg");
}

static int
start_record(struct start_ctx *s, struct rt_node *n, struct lw_err *e)
{
	json_t *taps = json_array();
	char tap[16], *tapstr;
	int r;

	for (int k = 0; k < n->nics; k++)
		if (names_tap(tap, n->id, k) == 0)
			json_array_append_new(taps, json_string(tap));
	tapstr = json_dumps(taps, JSON_COMPACT);
	json_decref(taps);
	r = db_exec(DB, e,
	    "INSERT OR REPLACE INTO node_runtime (node_id, pid, qmp_path, taps, console_port,"
	    " started_at, accel) VALUES (?, ?, ?, ?, (SELECT console_port FROM nodes WHERE id = ?),"
	    " ?, ?)",
	    "iIssiis", n->id, (int)n->pid, s->netns ? "" : s->qmp_path, tapstr ? tapstr : "[]",
	    n->id, (int64_t)time(NULL), accel_name(s));
	free(tapstr);
	if (r == -1)
		return (-1);
	snprintf(n->accel, sizeof(n->accel), "%s", accel_name(s));
	if (n->has_re && !s->netns) {
		struct boot_estimate b;

		boot_estimate(s->t->name, s->t->boot_time_kvm_s, n->accel, &b);
		n->boot_deadline = n->started_ms + (int64_t)(b.timeout_s * 1000);
	}
	return (db_exec(DB, e,
	    "UPDATE nodes SET accel_in_use = ?, accel_reason = ?, ready = 0, error = NULL,"
	    " boot = ? WHERE id = ?",
	    "sssi", accel_name(s), s->accel.reason, n->has_re ? "booting" : NULL, n->id));
}

/* `labwire nshost ...`: this very binary runs the namespace host. */
static int
nshost_argv(struct start_ctx *s, struct rt_node *n, struct strv *argv, struct lw_err *e)
{
	char nics[16];

	snprintf(nics, sizeof(nics), "%d", n->nics);
	snprintf(n->ifpattern, sizeof(n->ifpattern), "%s", s->t->interface_pattern);
	if (strv_add(argv, "/proc/self/exe") == -1 || strv_add(argv, "nshost") == -1 ||
	    strv_add(argv, "--console") == -1 || strv_add(argv, s->con_path) == -1 ||
	    strv_add(argv, "--hostname") == -1 ||
	    strv_add(argv, json_string_value(json_object_get(s->row, "name"))) == -1 ||
	    strv_add(argv, "--nics") == -1 || strv_add(argv, nics) == -1 ||
	    strv_add(argv, "--ifpattern") == -1 || strv_add(argv, s->t->interface_pattern) == -1 ||
	    (s->script[0] != '\0' &&
	        (strv_add(argv, "--config") == -1 || strv_add(argv, s->script) == -1)))
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	return (0);
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
	n->pid = spawn_start(argv.v, s->fds, s->nfds, s->qemu_log, &n->pidfd);
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

static void
node_start(int64_t id)
{
	struct start_ctx s = {.nfds = 0};
	struct lw_err e = {0};
	struct rt_node *n = NULL;

	if (rt_find(id) != NULL ||
	    db_int(DB, 0, "SELECT state = 'starting' FROM nodes WHERE id = ?", "i", id) != 1)
		return; /* deleted, stopped or already running meanwhile */
	if (start_prepare(&s, id, &e) == -1 || start_files(&s, &e) == -1)
		goto fail;
	n = rt_node_new(id, json_integer_value(json_object_get(s.row, "lab_id")), s.t,
	    (int)json_integer_value(json_object_get(s.row, "nics")));
	if (n == NULL) {
		err_set(&e, ERR_INTERNAL, "out of memory");
		goto fail;
	}
	snprintf(n->qmp_path, sizeof(n->qmp_path), "%s", s.qmp_path);
	snprintf(n->log_path, sizeof(n->log_path), "%s", s.console_log);
	snprintf(n->con_path, sizeof(n->con_path), "%s", s.con_path);
	n->fresh = true;
	n->netns = s.netns;
	if (start_spawn(&s, n, &e) == -1)
		goto fail;
	for (int k = 0; k < s.nfds; k++)
		close(s.fds[k]); /* QEMU holds the TAPs now */
	s.nfds = 0;
	if (rt_watch_add(n->pidfd, &n->w_pid) == -1 || start_record(&s, n, &e) == -1) {
		siginfo_t si;

		/* Unsupervised QEMU must not live on: kill it, reap it, unwind. */
		err_set(&e, ERR_INTERNAL, "supervising pid %d failed", (int)n->pid);
		epoll_ctl(rt.epfd, EPOLL_CTL_DEL, n->pidfd, NULL);
		syscall(SYS_pidfd_send_signal, n->pidfd, SIGKILL, NULL, 0);
		waitid(P_PIDFD, (id_t)n->pidfd, &si, WEXITED);
		db_exec(DB, NULL, "DELETE FROM node_runtime WHERE node_id = ?", "i", id);
		goto fail;
	}
	n->next = rt.nodes;
	rt.nodes = n;
	if (!n->netns) {
		/* The TAPs exist: isolate them, then let the links take theirs. */
		n->wired = true;
		node_isolate(id, n->nics);
		node_links_sync(id, 0);
	}
	node_publish(id);
	json_decref(s.row);
	return;
fail:
	log_warnx("node %lld: start failed: %s", (long long)id, e.msg);
	for (int k = 0; k < s.nfds; k++)
		close(s.fds[k]);
	node_unwire(id, (int)json_integer_value(json_object_get(s.row, "nics")));
	if (n != NULL)
		rt_node_free(n);
	json_decref(s.row);
	node_set_state(id, "error", e.msg);
}

/* ---- stopping ---- */

static void
stop_escalate(struct rt_node *n)
{
	char err[128];

	if (n->stop_stage < 2) {
		n->stop_stage = 2;
		if (n->qmp == NULL ||
		    qmp_exec(n->qmp, "quit", NULL, NULL, 1000, err, sizeof(err)) == -1)
			syscall(SYS_pidfd_send_signal, n->pidfd, SIGTERM, NULL, 0);
		n->stop_deadline = clock_mono_ms() + STOP_QUIT_WAIT_MS;
	} else if (n->stop_stage == 2) {
		n->stop_stage = 3;
		log_warnx(
		    "node %lld: QEMU did not quit, killing pid %d", (long long)n->id, (int)n->pid);
		syscall(SYS_pidfd_send_signal, n->pidfd, SIGKILL, NULL, 0);
		n->stop_deadline = 0;
	}
}

static void
node_stop(int64_t id, bool force)
{
	struct rt_node *n = rt_find(id);
	char err[128];

	if (n == NULL) {
		/* Never started (or failed): nothing runs, only the state to settle. */
		if (db_int(DB, 0, "SELECT state = 'stopping' FROM nodes WHERE id = ?", "i", id))
			node_set_state(id, "stopped", NULL);
		return;
	}
	n->stopping = true;
	if (force || n->qmp == NULL || n->shutdown_timeout_s == 0) {
		stop_escalate(n);
		return;
	}
	if (n->stop_stage == 0) {
		n->stop_stage = 1;
		if (qmp_exec(n->qmp, "system_powerdown", NULL, NULL, 2000, err, sizeof(err)) == -1)
			stop_escalate(n);
		else
			n->stop_deadline = clock_mono_ms() + (int64_t)n->shutdown_timeout_s * 1000;
	}
}

/* Last line QEMU wrote to its own log, to explain an unexpected exit. */
static void
qemu_log_tail(int64_t lab, int64_t node, const char *file, char *out, size_t len)
{
	char path[PATH_MAX], buf[512], *nl;
	ssize_t r;
	int fd;

	out[0] = '\0';
	node_dir(path, sizeof(path), lab, node);
	strncat(path, file, sizeof(path) - strlen(path) - 1);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (lseek(fd, 0, SEEK_END) > (off_t)sizeof(buf) - 1)
		lseek(fd, -(off_t)sizeof(buf) + 1, SEEK_END);
	else
		lseek(fd, 0, SEEK_SET);
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return;
	buf[r] = '\0';
	while (r > 0 && (buf[r - 1] == '\n' || buf[r - 1] == '\r'))
		buf[--r] = '\0';
	nl = strrchr(buf, '\n');
	snprintf(out, len, "%s", nl ? nl + 1 : buf);
}

static void
rt_unlink(struct rt_node *n)
{
	for (struct rt_node **pp = &rt.nodes; *pp; pp = &(*pp)->next)
		if (*pp == n) {
			*pp = n->next;
			return;
		}
}

static void
node_exited(struct rt_node *n)
{
	char msg[256], tail[200];
	siginfo_t si = {0};
	bool was_stopping = n->stopping;

	/* Adopted processes are not our children: ECHILD, and nothing to reap. */
	waitid(P_PIDFD, (id_t)n->pidfd, &si, WEXITED | WNOHANG);
	epoll_ctl(rt.epfd, EPOLL_CTL_DEL, n->pidfd, NULL);
	if (n->qmp)
		epoll_ctl(rt.epfd, EPOLL_CTL_DEL, qmp_fd(n->qmp), NULL);
	rt_unlink(n);
	console_node_detach(n->id);
	node_unwire(n->id, n->nics);
	unlink(n->qmp_path);
	unlink(n->con_path);
	db_exec(DB, NULL, "DELETE FROM node_runtime WHERE node_id = ?", "i", n->id);
	db_exec(DB, NULL, "UPDATE nodes SET ready = 0 WHERE id = ?", "i", n->id);
	if (was_stopping &&
	    db_int(DB, 0, "SELECT error IS NOT NULL FROM nodes WHERE id = ?", "i", n->id) == 1) {
		/* Stopped because something went wrong (e.g. QMP never answered): say so. */
		db_exec(DB, NULL, "UPDATE nodes SET state = 'error' WHERE id = ?", "i", n->id);
		node_publish(n->id);
	} else if (was_stopping || (si.si_code == CLD_EXITED && si.si_status == 0)) {
		/* Asked to stop, or the guest powered itself off: QEMU exits 0. */
		log_info("node %lld: stopped", (long long)n->id);
		node_set_state(n->id, "stopped", NULL);
	} else {
		qemu_log_tail(n->lab, n->id, n->netns ? "/nshost.log" : "/qemu.log", tail, sizeof(tail));
		snprintf(msg, sizeof(msg), "%s exited unexpectedly (status %d)%s%s",
		    n->netns ? "the namespace host" : "QEMU", si.si_status, tail[0] ? ": " : "",
		    tail);
		log_warnx("node %lld: %s", (long long)n->id, msg);
		node_set_state(n->id, "error", msg);
	}
	rt_node_free(n);
}

/* ---- QMP and readiness ---- */

static int
unix_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* The serial socket first: QEMU (wait=on) boots the guest only once we are there. */
static bool
console_try_attach(struct rt_node *n)
{
	int fd;

	if (n->con_attached)
		return (true);
	if ((fd = unix_connect(n->con_path)) == -1)
		return (false);
	console_node_attach(n->id, fd, n->log_path, n->fresh);
	n->con_attached = true;
	return (true);
}

/*
 * A namespace host's interfaces: veth pairs, the host side ours, the peer
 * made inside the node's namespace (its nshost process lives there, and
 * only listens on its console once it does). A re-adopted one has them.
 */
static int
netns_wire(struct rt_node *n)
{
	struct fabric_batch *b;
	char path[64], host[16], peer[32], mac[18], pattern[32];
	int fd, r = 0;

	if (names_tap(host, n->id, 0) == 0 && n->nics > 0 && fabric_link_exists(host) == 1) {
		n->wired = true;
		return (0);
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)n->pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	if ((b = fabric_batch_new()) == NULL) {
		close(fd);
		return (-1);
	}
	snprintf(pattern, sizeof(pattern), "%s", n->ifpattern[0] ? n->ifpattern : "eth{n}");
	for (int k = 0; k < n->nics && r == 0; k++) {
		const char *p = strstr(pattern, "{n}");

		snprintf(peer, sizeof(peer), "%.*s%d%s", (int)(p ? p - pattern : 0), pattern, k,
		    p ? p + 3 : "");
		names_mac(mac, n->id, k);
		if (names_tap(host, n->id, k) == -1 ||
		    fabric_veth_add(b, host, LINK_MTU, fd, peer, mac, 1500) == -1)
			r = -1;
	}
	/* Run even after a failure: it frees the batch, and what was made is undone at stop. */
	if (fabric_batch_run(b) != 0)
		r = -1;
	close(fd);
	if (r == -1)
		return (-1);
	n->wired = true;
	node_isolate(n->id, n->nics);
	return (0);
}

/* node_give_up - the node cannot come up: say why (its state becomes error) and stop it. */
static void
node_give_up(struct rt_node *n, const char *why)
{
	log_warnx("node %lld: %s; stopping it", (long long)n->id, why);
	db_exec(DB, NULL, "UPDATE nodes SET error = ? WHERE id = ?", "si", why, n->id);
	n->qmp_retry_at = 0;
	n->stopping = true;
	stop_escalate(n);
}

static void
netns_try_attach(struct rt_node *n, int64_t now)
{
	if (!console_try_attach(n)) {
		if (now > n->qmp_giveup_at) {
			node_give_up(n, "the namespace host did not start within 30 s");
			return;
		}
		n->qmp_retry_at = now + 10;
		return;
	}
	n->qmp_retry_at = 0;
	if (n->stopping)
		return;
	if (netns_wire(n) == -1) {
		log_warn("node %lld: interfaces", (long long)n->id);
		node_give_up(n, "cannot make the node's interfaces (see the daemon log)");
		return;
	}
	node_links_sync(n->id, 0);
	if (db_exec(DB, NULL,
	        "UPDATE nodes SET state = 'running' WHERE id = ? AND state = 'starting'", "i",
	        n->id) > 0)
		node_publish(n->id);
}

static void
qmp_try_connect(struct rt_node *n, int64_t now)
{
	json_t *ret = NULL;
	char err[128];

	if (n->netns) {
		netns_try_attach(n, now);
		return;
	}

	if (!console_try_attach(n) || (n->qmp = qmp_connect(n->qmp_path, 1000)) == NULL) {
		if (now > n->qmp_giveup_at) {
			node_give_up(n, "QMP did not answer within 30 s");
			return;
		}
		n->qmp_retry_at = now + (n->con_attached ? 100 : 20);
		return;
	}
	n->qmp_retry_at = 0;
	rt_watch_add(qmp_fd(n->qmp), &n->w_qmp);
	if (n->stopping) {
		if (n->stop_stage < 2)
			stop_escalate(n);
		return;
	}
	if (qmp_exec(n->qmp, "query-status", NULL, &ret, 2000, err, sizeof(err)) == 0) {
		const char *st = json_string_value(json_object_get(ret, "status"));

		log_debug("node %lld: QMP status %s", (long long)n->id, st ? st : "?");
		json_decref(ret);
	}
	node_apply_link_states(n);
	/* A stop recorded meanwhile wins over the late QMP answer. */
	if (db_exec(DB, NULL,
	        "UPDATE nodes SET state = 'running' WHERE id = ? AND state = 'starting'", "i",
	        n->id) > 0)
		node_publish(n->id);
}

static void
qmp_readable(struct rt_node *n)
{
	json_t *ev;

	if (qmp_read_events(n->qmp) == -1) {
		epoll_ctl(rt.epfd, EPOLL_CTL_DEL, qmp_fd(n->qmp), NULL);
		qmp_close(n->qmp);
		n->qmp = NULL;
		return;
	}
	while ((ev = qmp_next_event(n->qmp)) != NULL) {
		log_debug("node %lld: QMP event %s", (long long)n->id,
		    json_string_value(json_object_get(ev, "event")));
		json_decref(ev);
	}
}

static void
node_mark_ready(struct rt_node *n, const char *note)
{
	n->ready = true;
	n->typing = false;
	n->boot_deadline = 0;
	db_exec(DB, NULL, "UPDATE nodes SET ready = 1, boot = 'ready' WHERE id = ?", "i", n->id);
	log_info("node %lld: ready%s%s", (long long)n->id, note ? ", " : "", note ? note : "");
	node_publish(n->id);
}

static void *
typing_thread(void *arg)
{
	struct { struct typing *bt; int64_t id; } *ta = arg;
	char msg[256];
	int r = typing_run(ta->bt, msg, sizeof(msg));

	log_info("node %lld: startup config on the console: %s", (long long)ta->id, msg);
	rt_enqueue(r == 0 ? RT_NODE_TYPED : RT_NODE_TYPE_FAILED, ta->id);
	free(ta);
	return (NULL);
}

/*
 * The console showed the readiness pattern: record the boot time (it
 * measures the TCG slowdown), and type the startup config first when the
 * template delivers it that way; the node is ready after that.
 */
static void
node_ready_seen(struct rt_node *n)
{
	const struct template *t = template_find(n->tmpl);
	const char *cfg;
	json_t *row;

	n->ready = false;
	if (n->fresh && n->accel[0] != '\0' && t != NULL)
		boot_record(n->tmpl, n->accel, (double)(clock_mono_ms() - n->started_ms) / 1000.0);
	row = db_row(DB, NULL, "SELECT startup_config FROM nodes WHERE id = ?", "i", n->id);
	cfg = json_string_value(json_object_get(row, "startup_config"));
	if (t != NULL && strcmp(t->config_method, "console") == 0 && cfg != NULL && cfg[0] != '\0') {
		struct { struct typing *bt; int64_t id; } *ta = malloc(sizeof(*ta));
		pthread_t th;

		if (ta != NULL && (ta->bt = typing_new(n->id, t, cfg)) != NULL) {
			ta->id = n->id;
			if (pthread_create(&th, NULL, typing_thread, ta) == 0) {
				pthread_detach(th);
				n->typing = true;
				json_decref(row);
				return;
			}
			typing_free(ta->bt);
		}
		free(ta);
		log_warnx("node %lld: cannot type its startup config", (long long)n->id);
	}
	json_decref(row);
	node_mark_ready(n, NULL);
}

/* Scan what the console printed since the last look for the readiness pattern. */
static void
ready_poll(struct rt_node *n)
{
	char buf[4096 + sizeof(n->carry)];
	size_t cl = strlen(n->carry);
	ssize_t r;
	int fd;

	if ((fd = open(n->log_path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (lseek(fd, 0, SEEK_END) < n->log_off)
		n->log_off = 0; /* rotated */
	memcpy(buf, n->carry, cl);
	while ((r = pread(fd, buf + cl, sizeof(buf) - cl - 1, n->log_off)) > 0) {
		size_t len = cl + (size_t)r;

		n->log_off += r;
		for (size_t i = 0; i < len; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[len] = '\0';
		if (regexec(&n->ready_re, buf, 0, NULL, 0) == 0) {
			n->ready = true;
			break;
		}
		cl = len < sizeof(n->carry) - 1 ? len : sizeof(n->carry) - 1;
		memmove(buf, buf + len - cl, cl);
	}
	memcpy(n->carry, buf, cl);
	n->carry[cl] = '\0';
	close(fd);
	if (n->ready)
		node_ready_seen(n);
}

static void
rt_timers(void)
{
	int64_t now = clock_mono_ms();
	struct rt_node *n, *next;

	for (n = rt.nodes; n != NULL; n = next) {
		next = n->next;
		if (n->qmp_retry_at && now >= n->qmp_retry_at)
			qmp_try_connect(n, now);
		if (n->stop_deadline && now >= n->stop_deadline)
			stop_escalate(n);
		if (n->has_re && !n->ready && !n->typing && !n->stopping && now >= n->ready_poll_at) {
			ready_poll(n);
			n->ready_poll_at = now + READY_POLL_MS;
		}
		if (n->boot_deadline && !n->ready && !n->stopping && now >= n->boot_deadline) {
			/* Reported, not killed: a translated boot may just be slow. */
			n->boot_deadline = 0;
			db_exec(DB, NULL, "UPDATE nodes SET boot = 'late' WHERE id = ?", "i", n->id);
			log_warnx("node %lld: not ready within its boot timeout; still waiting", (long long)n->id);
			node_publish(n->id);
		}
	}
	stage_pump();
}

static int
rt_timeout(void)
{
	int64_t now = clock_mono_ms(), next = now + 1000;

	for (struct rt_node *n = rt.nodes; n != NULL; n = n->next) {
		if (n->qmp_retry_at && n->qmp_retry_at < next)
			next = n->qmp_retry_at;
		if (n->stop_deadline && n->stop_deadline < next)
			next = n->stop_deadline;
		if (n->has_re && !n->ready && !n->typing && !n->stopping && n->ready_poll_at < next)
			next = n->ready_poll_at;
		if (n->boot_deadline && n->boot_deadline < next)
			next = n->boot_deadline;
	}
	return (next <= now ? 0 : (int)(next - now));
}

/* ---- links ---- */

static void
link_state(int64_t link)
{
	json_t *rows = db_rows(DB, NULL,
	    "SELECT i.node_id AS node, i.idx, l.state FROM link_endpoints le"
	    " JOIN interfaces i ON i.id = le.interface_id JOIN links l ON l.id = le.link_id"
	    " WHERE le.link_id = ?",
	    "i", link);
	json_t *r;
	size_t i;

	json_array_foreach(rows, i, r) {
		struct rt_node *n = rt_find(json_integer_value(json_object_get(r, "node")));

		if (n != NULL)
			qmp_set_link(n, (int)json_integer_value(json_object_get(r, "idx")),
			    strcmp(json_string_value(json_object_get(r, "state")), "up") == 0);
	}
	json_decref(rows);
}

/* ---- the loop ---- */

static struct rt_cmd *
rt_dequeue(void)
{
	struct rt_cmd *c;

	pthread_mutex_lock(&rt.qmu);
	if ((c = rt.head) != NULL) {
		rt.head = c->next;
		if (rt.head == NULL)
			rt.tail = NULL;
	}
	pthread_mutex_unlock(&rt.qmu);
	return (c);
}

/* Returns false when asked to quit. */
/* ---- staged boot ---- */

/* stage_take - move the stages API threads queued into the loop's list. */
static void
stage_take(void)
{
	struct rt_stage *p;

	pthread_mutex_lock(&rt.qmu);
	p = rt.pending;
	rt.pending = NULL;
	pthread_mutex_unlock(&rt.qmu);
	while (p != NULL) {
		struct rt_stage *next = p->link;

		p->link = rt.stages;
		rt.stages = p;
		p = next;
	}
	stage_pump();
}

/*
 * stage_pump - start queued nodes while fewer than conc of a stage's
 * started nodes are still booting (not ready, not past their boot
 * timeout, not stopped or failed).
 */
static void
stage_pump(void)
{
	struct rt_stage **pp = &rt.stages;

	while (*pp != NULL) {
		struct rt_stage *st = *pp;
		int booting = 0;

		for (size_t i = 0; i < st->next; i++) {
			struct rt_node *n = rt_find(st->ids[i]);

			if (n != NULL && !n->ready && !n->stopping && n->boot_deadline != 0)
				booting++;
		}
		while (booting < st->conc && st->next < st->n) {
			int64_t id = st->ids[st->next++];

			/* Still waiting for its turn (not stopped or deleted meanwhile)? */
			if (db_int(DB, 0, "SELECT state = 'starting' AND boot = 'queued' FROM nodes WHERE id = ?",
			        "i", id) != 1)
				continue;
			node_start(id);
			if (rt_find(id) != NULL && rt_find(id)->boot_deadline != 0)
				booting++;
		}
		if (st->next == st->n) {
			*pp = st->link;
			free(st->ids);
			free(st);
		} else {
			pp = &st->link;
		}
	}
}

static bool
rt_commands(void)
{
	struct rt_cmd *c;
	struct rt_node *n;
	uint64_t v;
	bool go = true;

	if (read(rt.evfd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		log_warn("runtime: eventfd read");
	while ((c = rt_dequeue()) != NULL) {
		switch (c->op) {
		case RT_NODE_START:
			node_start(c->id);
			break;
		case RT_NODE_STOP:
		case RT_NODE_KILL:
			node_stop(c->id, c->op == RT_NODE_KILL);
			break;
		case RT_LINK_WIRE:
		case RT_LINK_STATE:
			link_sync(c->id, 0);
			link_state(c->id);
			break;
		case RT_LINK_UNWIRE:
		case RT_LINK_SYNC:
			link_sync(c->id, 0); /* a deleted link has no ends: it is forgotten */
			break;
		case RT_NODE_TYPED:
		case RT_NODE_TYPE_FAILED:
			if ((n = rt_find(c->id)) != NULL && n->typing && !n->stopping)
				node_mark_ready(n, c->op == RT_NODE_TYPED ? "startup config typed"
				                                          : "but typing its startup config failed");
			break;
		case RT_STAGE:
			stage_take();
			break;
		case RT_QUIT:
			go = false;
			break;
		}
		free(c);
	}
	return (go);
}

static void *
rt_loop(void *arg)
{
	struct epoll_event evs[32];
	bool go = true;

	(void)arg;
	while (go) {
		int n;

		lw_lock();
		int timeout = rt_timeout();
		lw_unlock();
		n = epoll_wait(rt.epfd, evs, 32, timeout);
		if (n == -1 && errno != EINTR) {
			log_warn("runtime: epoll_wait");
			continue;
		}
		lw_lock();
		/* Exits last: node_exited frees the node other events may name. */
		for (int i = 0; i < n; i++) {
			struct rt_watch *w = evs[i].data.ptr;

			if (w == NULL)
				go = rt_commands() && go;
			else if (w->kind == W_QMP && w->n->qmp != NULL)
				qmp_readable(w->n);
		}
		for (int i = 0; i < n; i++) {
			struct rt_watch *w = evs[i].data.ptr;

			if (w != NULL && w->kind == W_PID)
				node_exited(w->n);
		}
		rt_timers();
		lw_unlock();
	}
	return (NULL);
}

/* ---- adoption of what a previous daemon left ---- */

/* Is pid a QEMU of ours: its command line names our QMP socket? */
static bool
proc_is_ours(pid_t pid, const char *qmp_path, const char *con_path)
{
	char path[64], buf[8192];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (false);
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return (false);
	for (ssize_t i = 0; i < r; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[r] = '\0';
	if (qmp_path[0] == '\0') /* a namespace host: `labwire nshost --console PATH` */
		return (strstr(buf, " nshost ") != NULL && strstr(buf, con_path) != NULL);
	return (strstr(buf, "qemu-system") != NULL && strstr(buf, qmp_path) != NULL);
}

/* Returns true when the node's QEMU was adopted; dead ones are left for adopt_dead. */
static bool
adopt_one(json_t *row)
{
	int64_t id = json_integer_value(json_object_get(row, "node_id"));
	pid_t pid = (pid_t)json_integer_value(json_object_get(row, "pid"));
	const char *qmp = json_string_value(json_object_get(row, "qmp_path"));
	const struct template *t =
	    template_find(json_string_value(json_object_get(row, "template")));
	int nics = (int)json_integer_value(json_object_get(row, "nics"));
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct rt_node *n;
	struct stat st;
	char con[108];

	snprintf(con, sizeof(con), "%s/run/n%lld.con", lw.cfg.data_dir, (long long)id);
	if (pidfd == -1 || !proc_is_ours(pid, qmp, con) ||
	    (n = rt_node_new(id, json_integer_value(json_object_get(row, "lab_id")), t, nics)) ==
	        NULL) {
		if (pidfd != -1)
			close(pidfd);
		return (false);
	}
	n->pid = pid;
	n->pidfd = pidfd;
	n->wired = true; /* its TAPs or veths live on with it */
	n->netns = qmp[0] == '\0';
	if (t != NULL)
		snprintf(n->ifpattern, sizeof(n->ifpattern), "%s", t->interface_pattern);
	snprintf(n->qmp_path, sizeof(n->qmp_path), "%s", qmp);
	snprintf(
	    n->con_path, sizeof(n->con_path), "%s/run/n%lld.con", lw.cfg.data_dir, (long long)id);
	node_dir(n->log_path, sizeof(n->log_path), n->lab, id);
	strncat(n->log_path, "/console.log", sizeof(n->log_path) - strlen(n->log_path) - 1);
	n->ready = db_int(DB, 0, "SELECT ready FROM nodes WHERE id = ?", "i", id) == 1;
	if (!n->ready && stat(n->log_path, &st) == 0)
		n->log_off = 0; /* re-scan this boot's log from the start */
	n->stopping = db_int(DB, 0, "SELECT state = 'stopping' FROM nodes WHERE id = ?", "i", id);
	rt_watch_add(pidfd, &n->w_pid);
	n->next = rt.nodes;
	rt.nodes = n;
	log_info("node %lld: re-adopted running QEMU pid %d", (long long)id, (int)pid);
	return (true);
}

/* After every live node was adopted, so shared bridges of live peers stay. */
static void
adopt_dead(json_t *row)
{
	int64_t id = json_integer_value(json_object_get(row, "node_id"));
	char path[PATH_MAX];

	log_info("node %lld: its QEMU (pid %lld) is gone; cleaning up", (long long)id,
	    (long long)json_integer_value(json_object_get(row, "pid")));
	node_unwire(id, (int)json_integer_value(json_object_get(row, "nics")));
	unlink(json_string_value(json_object_get(row, "qmp_path")));
	snprintf(path, sizeof(path), "%s/run/n%lld.con", lw.cfg.data_dir, (long long)id);
	unlink(path);
	db_exec(DB, NULL, "DELETE FROM node_runtime WHERE node_id = ?", "i", id);
	db_exec(DB, NULL, "UPDATE nodes SET state = 'stopped', ready = 0 WHERE id = ?", "i", id);
}

/*
 * Re-reconcile every link a re-adopted node uses: the engine TAPs and
 * captures of the previous daemon went with it.
 */
static void
adopt_links(void)
{
	json_t *rows = db_rows(DB, NULL,
	    "SELECT DISTINCT le.link_id AS id FROM link_endpoints le JOIN interfaces i"
	    " ON i.id = le.interface_id JOIN node_runtime r ON r.node_id = i.node_id",
	    "");
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row)
		link_sync(json_integer_value(json_object_get(row, "id")), 0);
	json_decref(rows);
}

struct orphan_ctx {
	int count;
};

/* An lw* interface that no adopted node or link of a running node explains. */
static void
orphan_check(const char *ifname, void *arg)
{
	struct orphan_ctx *oc = arg;
	long long a = -1, b = -1;
	bool keep = false;

	/* Ids this database does not know may belong to another daemon's data dir. */
	if (sscanf(ifname, "lwt%lldn%lld", &a, &b) == 2)
		keep = rt_find(a) != NULL ||
		    db_int(DB, 0, "SELECT COUNT(*) FROM nodes WHERE id = ?", "i", (int64_t)a) == 0;
	else if (sscanf(ifname, "lwe%lld", &a) == 1)
		/* Engine TAPs die with their daemon; one left is from another data dir. */
		keep = db_int(DB, 0, "SELECT COUNT(*) FROM links WHERE id = ?", "i", (int64_t)a) == 0;
	else if (sscanf(ifname, "lwb%lld", &a) == 1)
		keep = db_int(DB, 0, "SELECT COUNT(*) FROM links WHERE id = ?", "i", (int64_t)a) ==
		        0 ||
		    db_int(DB, 0,
		        "SELECT COUNT(*) FROM link_endpoints le JOIN interfaces i ON i.id ="
		        " le.interface_id JOIN node_runtime r ON r.node_id = i.node_id"
		        " WHERE le.link_id = ?",
		        "i", (int64_t)a) > 0;
	if (!keep && fabric_link_del(ifname) == 0)
		oc->count++;
}

static void
runtime_adopt(void)
{
	json_t *rows = db_rows(DB, NULL,
	    "SELECT r.node_id, r.pid, r.qmp_path, n.lab_id, n.template, n.nics FROM node_runtime r"
	    " JOIN nodes n ON n.id = r.node_id",
	    "");
	struct orphan_ctx oc = {0};
	json_t *r;
	size_t i;

	json_array_foreach(rows, i, r) {
		if (adopt_one(r))
			json_array_set_new(rows, i, json_null());
	}
	json_array_foreach(rows, i, r) {
		if (!json_is_null(r))
			adopt_dead(r);
	}
	json_decref(rows);
	/* Nodes a previous daemon had queued for a staged start never started: say so. */
	db_exec(DB, NULL,
	    "UPDATE nodes SET state = 'error', error = 'the daemon restarted before its turn to boot;"
	    " start it again' WHERE state = 'starting' AND boot = 'queued'"
	    " AND id NOT IN (SELECT node_id FROM node_runtime)",
	    "");
	db_exec(DB, NULL,
	    "UPDATE nodes SET state = 'stopped', ready = 0 WHERE state != 'stopped'"
	    " AND state != 'error' AND id NOT IN (SELECT node_id FROM node_runtime)",
	    "");
	fabric_list_ours(orphan_check, &oc);
	adopt_links();
	db_exec(DB, NULL, "UPDATE captures SET state = 'stopped' WHERE state = 'running'", "");
	if (oc.count > 0)
		log_info("removed %d leftover interface(s)", oc.count);
}

int
runtime_init(struct lw_err *e)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	char run[PATH_MAX];

	snprintf(run, sizeof(run), "%s/run", lw.cfg.data_dir);
	if (mkdir_p(run) == -1)
		return (err_set(e, ERR_INTERNAL, "mkdir %s: %s", run, strerror(errno)));
	if ((rt.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (rt.evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1 ||
	    epoll_ctl(rt.epfd, EPOLL_CTL_ADD, rt.evfd, &ev) == -1)
		return (err_set(e, ERR_INTERNAL, "runtime: %s", strerror(errno)));
	lw_lock();
	runtime_adopt();
	lw_unlock();
	if (pthread_create(&rt.thread, NULL, rt_loop, NULL) != 0)
		return (err_set(e, ERR_INTERNAL, "runtime thread: %s", strerror(errno)));
	rt.started = true;
	return (0);
}

void
runtime_fini(void)
{
	struct rt_node *n;

	if (rt.started) {
		rt_enqueue(RT_QUIT, 0);
		pthread_join(rt.thread, NULL);
		rt.started = false;
	}
	while ((n = rt.nodes) != NULL) {
		rt.nodes = n->next;
		rt_node_free(n);
	}
	for (struct rt_stage **l = (struct rt_stage *[]){rt.stages, rt.pending, NULL}, *st; *l; l++)
		while ((st = *l) != NULL) {
			*l = st->link;
			free(st->ids);
			free(st);
		}
	rt.stages = rt.pending = NULL;
	if (rt.evfd != -1)
		close(rt.evfd);
	if (rt.epfd != -1)
		close(rt.epfd);
	rt.evfd = rt.epfd = -1;
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
		err_set(e, ERR_UNAVAILABLE, "template %s boots UEFI and %s is missing (Debian package %s)",
		    s.t->name, qemu_firmware_path(s.arch->name, s.t->firmware),
		    strcmp(s.arch->name, "aarch64") == 0 ? "qemu-efi-aarch64" : "ovmf");
		goto out;
	}
	if (s.base[0] != '\0' && !file_readable(s.base)) {
		err_set(e, ERR_UNAVAILABLE, "the base disk of template %s is missing (%s)", s.t->name,
		    s.base);
		goto out;
	}
	if (s.kernel[0] != '\0' && (!file_readable(s.kernel) || (s.initrd[0] && !file_readable(s.initrd)))) {
		err_set(e, ERR_UNAVAILABLE,
		    "guest files for template %s are missing (%s): "
		    "build them with `make guest`",
		    s.t->name, s.kernel);
		goto out;
	}
	r = 0;
out:
	json_decref(s.row);
	return (r);
}

void
runtime_node_start(int64_t node)
{
	db_exec(DB, NULL,
	    "UPDATE nodes SET state = 'starting', error = NULL, ready = 0, boot = NULL"
	    " WHERE id = ?",
	    "i", node);
	node_publish(node);
	rt_enqueue(RT_NODE_START, node);
}

int
runtime_lab_start(int64_t lab, const int64_t *ids, size_t n, int conc, struct lw_err *e)
{
	struct rt_stage *st = calloc(1, sizeof(*st));

	if (st == NULL || (st->ids = calloc(n + 1, sizeof(*ids))) == NULL) {
		free(st);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	memcpy(st->ids, ids, n * sizeof(*ids));
	st->n = n;
	st->conc = conc;
	for (size_t i = 0; i < n; i++) {
		db_exec(DB, NULL,
		    "UPDATE nodes SET state = 'starting', error = NULL, ready = 0, boot = 'queued'"
		    " WHERE id = ?",
		    "i", ids[i]);
		node_publish(ids[i]);
	}
	pthread_mutex_lock(&rt.qmu);
	st->link = rt.pending;
	rt.pending = st;
	pthread_mutex_unlock(&rt.qmu);
	rt_enqueue(RT_STAGE, lab);
	return (0);
}

void
runtime_node_stop(int64_t node, bool force)
{
	db_exec(DB, NULL, "UPDATE nodes SET state = 'stopping' WHERE id = ? AND state != 'stopped'",
	    "i", node);
	node_publish(node);
	rt_enqueue(force ? RT_NODE_KILL : RT_NODE_STOP, node);
}

void
runtime_link_wire(int64_t link)
{
	rt_enqueue(RT_LINK_WIRE, link);
}

void
runtime_link_unwire(int64_t link)
{
	rt_enqueue(RT_LINK_UNWIRE, link);
}

void
runtime_link_state(int64_t link)
{
	rt_enqueue(RT_LINK_STATE, link);
}

void
runtime_link_sync(int64_t link)
{
	rt_enqueue(RT_LINK_SYNC, link);
}

int
runtime_busy_count(int64_t lab, int64_t node)
{
	int c = 0;

	for (struct rt_node *n = rt.nodes; n != NULL; n = n->next)
		if ((lab == 0 || n->lab == lab) && (node == 0 || n->id == node))
			c++;
	/* Queued starts and stops not yet in the loop's table count too. */
	c += (int)db_int(DB, 0,
	    "SELECT COUNT(*) FROM nodes WHERE (lab_id = ? OR ? = 0)"
	    " AND (id = ? OR ? = 0) AND state IN ('starting','stopping')",
	    "iiii", lab, lab, node, node);
	return (c);
}

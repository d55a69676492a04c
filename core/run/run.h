/*
 * run - what the runtime's files share, and nothing outside core/run/ may
 * use: the table of running nodes (struct rt_node) that the loop owns, the
 * command queue, and the functions one part of the runtime calls in
 * another (start.c starts, node.c supervises and stops, links.c keeps the
 * datapath of each link, adopt.c takes over from a previous daemon,
 * runtime.c runs the loop). Everything here runs on the loop's thread
 * under lw_lock() (adopt_all on the starting thread, before the loop runs),
 * unless it says otherwise.
 */
#ifndef LW_RUN_H
#define LW_RUN_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LINK_MTU 9000
#define QMP_CONNECT_GIVEUP_MS 30000
#define READY_POLL_MS 50 /* readiness is judged within 50 ms of the console line */
#define READY_SCAN_MAX                                                                             \
	(64 * 1024) /* console log bytes one node's poll reads at most (1.3 MB/s at 50 ms) */
#define STOP_QUIT_WAIT_MS 5000
#define RESUME_SETTLE_MS 500 /* after cont: time for a retried write to fail again */

enum rt_op {
	RT_NODE_START,
	RT_NODE_STOP,
	RT_NODE_KILL,
	RT_LINK_WIRE,
	RT_LINK_UNWIRE,
	RT_LINK_STATE,
	RT_LINK_SYNC,
	RT_NODE_TYPED, /* a console-typed startup config is done */
	RT_NODE_TYPE_FAILED,
	RT_STAGE,         /* a staged lab start was queued */
	RT_NODE_PREPARED, /* a preparing thread made a node's files */
	RT_CAPTURES_REAP, /* captures ended by themselves (a limit, a write error) */
	RT_NODE_RESUME,   /* a paused node's guest is to go on (QMP cont) */
	RT_QUIT
};
enum rt_watch_kind { W_PID, W_QMP };

struct lw_err;
struct rt_node;
struct rx;
struct template;

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
	bool fresh; /* started by this daemon (not re-adopted) */
	bool netns; /* a lightweight host (nshost), not a QEMU */
	bool wired; /* its interfaces exist: links may use them */
	char ifpattern[32];
	char log_path[PATH_MAX];
	off_t log_off;
	char carry[256];
	const struct rx *ready_re; /* the template's pattern, compiled once for all its nodes */
	bool has_re, ready, stopping;
	int stop_stage; /* 0 none, 1 powerdown sent, 2 quit sent, 3 SIGKILL sent */
	int shutdown_timeout_s;
	int64_t stop_deadline, qmp_retry_at, qmp_giveup_at, ready_poll_at;
	int64_t started_ms, boot_deadline;  /* boot_deadline: 0 once ready or reported late */
	bool typing;                        /* its startup config is being typed on the console */
	bool paused;                        /* QEMU said the guest is stopped (not panicked) */
	uint64_t resume_asked;              /* resumes queued (tickets handed out) */
	uint64_t resume_taken, resume_done; /* the ticket being tried, the last one settled */
	int64_t resume_settle_at;           /* when the resume being tried is judged */
	char resume_err[128];               /* why QEMU refused the last resume, or "" */
	char tmpl[64], accel[8];
	struct rt_watch w_pid, w_qmp;
	struct rt_node *next, *hnext; /* hnext: the next of its bucket in the table by id */
};

/* runtime.c: the loop's table and queue. */
/* rt_find - the running node with this id, or NULL. */
struct rt_node *rt_find(int64_t id);
/* rt_add - put n into the table of running nodes. */
void rt_add(struct rt_node *n);
/* rt_unlink - take n out of the table (it is not freed). */
void rt_unlink(struct rt_node *n);
/*
 * rt_enqueue - queue a command for the loop; any thread, no lock needed.
 * Returns its number (for runtime_wait), or 0: dropped (after runtime_fini,
 * or out of memory).
 */
uint64_t rt_enqueue(enum rt_op op, int64_t id);
/* rt_watch_add / rt_watch_del - fd into / out of the loop's epoll set. */
int rt_watch_add(int fd, struct rt_watch *w);
void rt_watch_del(int fd);
/* stage_pump - start queued nodes of staged lab starts while their stage has room. */
void stage_pump(void);
/*
 * rt_admit - does node, marked starting, still fit the host's memory now
 * that its turn has come (runtime_admit with its own RAM)? 0, or -1 with e.
 */
int rt_admit(int64_t node, struct lw_err *e);

/* node.c: one node's supervision. */
/* node_new / node_free - a table entry for a node of template t (NULL: unknown). */
struct rt_node *node_new(int64_t id, int64_t lab, const struct template *t, int nics);
void node_free(struct rt_node *n);
/* node_stop - begin stopping (powerdown, then quit, then SIGKILL; force skips powerdown). */
void node_stop(int64_t id, bool force);
/* node_stop_escalate - the next, harsher way to stop n. */
void node_stop_escalate(struct rt_node *n);
/*
 * node_log_trim - hold n's qemu.log (nshost.log), where its process writes
 * its stderr, to --node-log-max: past it, it moves to .1 and starts again.
 */
void node_log_trim(struct rt_node *n);
/* node_remove_sockets - remove node's run directory (its QMP and console sockets). */
void node_remove_sockets(int64_t node);
/* node_exited - n's process is gone: unwire, record why, free n. */
void node_exited(struct rt_node *n);
/* node_netns_wired - does every interface of n, a namespace host, exist (its veths)? */
bool node_netns_wired(const struct rt_node *n);
/* node_try_connect - attach n's console and QMP (or a namespace host's interfaces) when ready. */
void node_try_connect(struct rt_node *n, int64_t now);
/* node_qmp_readable - read n's QMP events. */
void node_qmp_readable(struct rt_node *n);
/* node_resume - let n's guest go on (QMP cont); judged RESUME_SETTLE_MS later. */
void node_resume(int64_t id);
/* node_resume_settled - the resume being tried is judged: ask QEMU how the guest is. */
void node_resume_settled(struct rt_node *n);
/* node_set_link - tell n's guest interface idx is up or down (QMP set_link). */
void node_set_link(struct rt_node *n, int idx, bool up);

/* ready.c: readiness. */
/*
 * ready_re - pattern compiled (core/base/rx), shared by every node whose
 * template gives it; NULL if it does not compile. ready_re_free_all - all
 * of them, when the loop is gone.
 */
const struct rx *ready_re(const char *pattern);
void ready_re_free_all(void);
/*
 * ready_due - n's console is due a look for its template's ready pattern;
 * false when it cannot be queued now. ready_poll_due - look at every node
 * queued so: it releases lw_lock while it reads and matches, and takes it
 * again to mark the nodes whose pattern was seen.
 */
bool ready_due(struct rt_node *n);
void ready_poll_due(void);
/* ready_mark - n is ready (note says how, or NULL); recorded and announced. */
void ready_mark(struct rt_node *n, const char *note);
/*
 * ready_typing_wait - wait (at most a few seconds) until no thread is
 * typing a startup config; after the loop stopped, so no new one starts.
 * With the consoles closed first, each ends at its next line.
 */
void ready_typing_wait(void);

/* start.c: start_node - start a node marked starting; failures set its state error. */
void start_node(int64_t id);
/* start_preparing - are node id's files being made off the loop (it is not running yet)? */
bool start_preparing(int64_t id);
/* start_prepared - go on with the starts whose files are made. */
void start_prepared(void);
/* start_fini - join the preparing threads, drop the starts they did not finish. */
void start_fini(void);

/* links.c: each link's datapath. */
/* links_sync - hand link's ends, as they are now, to core/net's wiring (skip: a node going away).
 */
int links_sync(int64_t link, int64_t skip);
/* links_sync_node - links_sync for every link of node. */
void links_sync_node(int64_t node, int64_t skip);
/* links_state - tell the guests at link's ends whether it is up. */
void links_state(int64_t link);
/* links_unwire_node - node's links lose it, and its TAPs/veths are deleted. */
void links_unwire_node(int64_t node, int nics);
/* links_isolate_node - node's interfaces drop what arrives until a link takes them. */
void links_isolate_node(int64_t node, int nics);
/* links_apply_down - tell a freshly connected guest which of its links are down. */
void links_apply_down(struct rt_node *n);

/* adopt.c: adopt_all - take over what a previous daemon left (at start, before the loop). */
void adopt_all(void);

/* ifown.c: which interfaces are this daemon's (the marks of core/net/fabric). */
struct state_running;
/* ifown_init - give fabric this store's instance id, its mark; 0 or -1 with e. */
int ifown_init(struct lw_err *e);
/*
 * ifown_claim - mark the unmarked interfaces the running records rows[0..n)
 * name (made by a version before marks, or a crash before marking), then
 * end claims for good. After each row's adopted is known, before anything
 * touches an interface.
 */
void ifown_claim(const struct state_running *rows, int n);
/* ifown_sweep - delete the marked interfaces no adopted node or running link explains; how many. */
int ifown_sweep(void);

#endif

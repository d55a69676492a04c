/*
 * state - the runtime's view of the store: every SQL statement the runtime
 * runs is here, behind typed rows and verbs (a node's start row, a link's
 * ends, the running-node records a restarted daemon re-adopts). It also
 * announces a node's changed state on the event stream, since every state
 * change goes through it. It holds no running state of its own and never
 * decides anything: the loop in core/run/ does. Callers hold lw_lock().
 */
#ifndef LW_RUN_STATE_H
#define LW_RUN_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/base/err.h"

#define STATE_MAX_ENDS 64 /* endpoints of one link the datapath is given */

struct capture_stats;

/* What starting a node needs from its row. */
struct state_node {
	int64_t id, lab;
	char name[64], tmpl[64], accel[8];
	char image[128], cdrom[128]; /* "" when none */
	bool has_image, has_cdrom;
	int cpus, ram_mb, nics;
	int cpu_cap_pct;      /* percent of one CPU, 0: no cap */
	char *startup_config; /* owned, may be NULL */
};

/*
 * An interface at one end of a link: id is the node (a link's ends) or the
 * link (a node's links), idx the interface's index on its node.
 */
struct state_end {
	int64_t id;
	int idx;
};

/*
 * A node a previous daemon left running, or was starting (node_runtime
 * joined with nodes).
 */
struct state_running {
	int64_t node, lab;
	pid_t pid;                      /* 0: still being started (intent) */
	unsigned long long start_ticks; /* its start time at spawn; 0: not recorded (older row) */
	int nics;
	char qmp_path[108], tmpl[64], owner[48];
	bool intent;  /* recorded before the spawn, never confirmed: the start did not finish */
	bool adopted; /* for the caller: its process was taken over */
};

/* state_node_get - the start row of node; 0, or -1 with e (ERR_NOT_FOUND, out of memory). */
int state_node_get(int64_t node, struct state_node *out, struct lw_err *e);
void state_node_clear(struct state_node *n);
/* state_node_in - is the node's state st (and, when boot is not NULL, its boot phase boot)? */
bool state_node_in(int64_t node, const char *st, const char *boot);
/* state_node_set - record state and error (NULL clears it) and announce it. */
void state_node_set(int64_t node, const char *st, const char *error);
/* state_node_publish - announce the node's current state on the event stream. */
void state_node_publish(int64_t node);
/* state_node_starting - mark it starting (queued: waiting for a staged start) and announce it. */
void state_node_starting(int64_t node, bool queued);
/* state_node_stopping - mark it stopping (unless stopped) and announce it. */
void state_node_stopping(int64_t node);
/* state_node_running - starting -> running; announces it and returns true when it changed. */
bool state_node_running(int64_t node);
/*
 * state_node_paused - a node that runs (or is starting) is paused for
 * reason; announces it when that changed.
 */
void state_node_paused(int64_t node, const char *reason);
/* state_node_resumed - paused -> running; announces it when it changed. */
void state_node_resumed(int64_t node);
/* state_node_ready - ready with boot 'ready'; announces it. */
void state_node_ready(int64_t node);
/* state_node_late - boot 'late' (past its boot timeout); announces it. */
void state_node_late(int64_t node);
/* state_node_note_error - the reason a node is being given up on (its state follows at exit). */
void state_node_note_error(int64_t node, const char *why);
/*
 * state_node_exited - the node's process is gone: its runtime record and
 * readiness go. Returns true when an error had been noted for it.
 */
bool state_node_exited(int64_t node);
/* state_node_failed - state error, keeping the error noted before; announces it. */
void state_node_failed(int64_t node);
/* state_node_is_ready - the recorded readiness (for a re-adopted node). */
bool state_node_is_ready(int64_t node);
/* state_node_startup_config - its startup config (malloc'd), or NULL. */
char *state_node_startup_config(int64_t node);
/*
 * state_node_intent - before anything is spawned: node is being started
 * by this daemon (owner: its pid and start time) with this QMP socket
 * ("" for a namespace host) and these TAPs; a daemon that dies before
 * state_node_started leaves this row, and the next one ends whatever the
 * start left. 0, or -1 with e.
 */
int state_node_intent(int64_t node, const char *qmp_path, int nics, struct lw_err *e);
/*
 * state_node_started - record what runs (pid and its start time, QMP
 * socket, TAPs, accelerator and why) once the process is up; 0, or -1
 * with e.
 */
int state_node_started(int64_t node, pid_t pid, unsigned long long start_ticks,
    const char *qmp_path, int nics, const char *accel, const char *reason, bool booting,
    struct lw_err *e);
/* state_node_should_run - is node starting, running, paused or stopping (its process may run)? */
bool state_node_should_run(int64_t node);
/* state_node_known - does a node with this id exist? */
bool state_node_known(int64_t node);

/*
 * state_node_links - the links node's interfaces are on, up to max (id: the
 * link, idx: the interface); down_only: only links that are down. Returns
 * how many.
 */
int state_node_links(int64_t node, bool down_only, struct state_end *out, int max);
/*
 * state_link_ends - link's ends in order, up to max; *up and, unless
 * impairment is NULL, *impairment (new reference, or NULL) describe the
 * link. Returns how many (0: the link is gone).
 */
int state_link_ends(int64_t link, struct state_end *out, int max, bool *up, json_t **impairment);
/* state_link_known - does a link with this id exist? */
bool state_link_known(int64_t link);
/* state_link_has_running_end - does a running node (a runtime record) use it? */
bool state_link_has_running_end(int64_t link);
/* state_links_of_running - the links used by nodes with runtime records (malloc'd ids); count. */
int state_links_of_running(int64_t **ids);
/* state_captures_ended - record the final stats of n ended captures. */
void state_captures_ended(const struct capture_stats *st, int n);

/*
 * state_running_all - the runtime records a previous daemon left (malloc'd,
 * caller frees); count, or -1 when they cannot be read.
 */
int state_running_all(struct state_running **out);
/* state_instance - this store's instance id (made once, by its migration) into out; 0 or -1. */
int state_instance(char *out, size_t len);
/* state_running_dead - that node's process is gone: forget its record, mark it stopped. */
void state_running_dead(int64_t node);
/*
 * state_running_interrupted - a previous daemon died while starting node
 * (its intent row): forget the row, and mark the node error, saying so.
 */
void state_running_interrupted(int64_t node);
/* state_after_restart - settle the states of nodes nothing runs for any more. */
void state_after_restart(void);
/* state_captures_restarted - captures of a previous daemon are stopped. */
void state_captures_restarted(void);
/* state_busy_count - nodes of lab (0: any) / node (0: any) starting or stopping in the store. */
int state_busy_count(int64_t lab, int64_t node);
/* state_node_nics - the node's interface count (0: no such node). */
int64_t state_node_nics(int64_t node);
/* state_node_ram - the node's ram_mb (0: no such node). */
int64_t state_node_ram(int64_t node);
/*
 * state_ram_committed - the ram_mb of every node, in every lab, that is
 * starting (queued ones included: their start was admitted), running or
 * stopping, but except (0: none).
 */
int64_t state_ram_committed(int64_t except);

#endif

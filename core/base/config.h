/*
 * config - the daemon's configuration as one table (name, type, bounds,
 * default, help) that drives option parsing, --help and reporting; and the
 * daemon-wide context (database, KVM probe, the big lock). It only holds
 * that context: main.c opens the database, runs the probe and fills it in.
 * Options come from argv alone, never from a file or the environment, and
 * config opens and starts nothing.
 */
#ifndef LW_CONFIG_H
#define LW_CONFIG_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

struct lw_config {
	char listen[128];       /* ADDR:PORT of the HTTP API */
	char data_dir[512];     /* SQLite database, per-lab files, QMP sockets */
	char image_dir[512];    /* guest images (tiny-linux/vmlinuz ...) */
	char template_dir[512]; /* one JSON per template */
	char ui_dir[512];       /* the browser UI's static files */
	char console_host[64];  /* address the telnet consoles bind to (loopback by default) */
	long console_port_min;
	long console_port_max;
	long max_body;            /* bytes; larger request bodies are answered 413 */
	long max_image_mb;        /* MiB; a larger image upload is answered 413 */
	long console_scrollback;  /* bytes of console output a new client receives first */
	long tool_timeout_s;      /* a helper tool (qemu-img, genisoimage ...) is killed after it */
	long console_log_max;     /* bytes; console.log then rotates to console.log.1 */
	long impair_all;          /* 1: every p2p link through the impairment engine */
	long capture_ring;        /* bytes of recent frames kept per link (0: off) */
	long capture_max_mb;      /* MiB a capture's file may reach unless its POST says less */
	long capture_max_seconds; /* seconds a capture runs unless its POST says less */
	long captures_per_lab;    /* captures running at once in one lab */
	long image_reserve_mb;    /* MiB an upload leaves free in the image store */
	long image_virtual_gb;    /* GiB an image's virtual size may be */
	long node_log_max;        /* bytes; qemu.log/nshost.log then rotate to .1 */
	char log_level[16];
	char auth[8];        /* "on", or "off" (loopback only: everyone is admin) */
	long session_idle;   /* seconds a session lives unused */
	long session_max;    /* seconds a session lives at most */
	long login_failures; /* failed logins per user in login_window before 429 */
	long login_window;   /* seconds */
	char tls[8];         /* "on", "off" or "auto" (on unless the listen address is loopback) */
	char tls_cert[512]; /* PEM certificate (chain) to serve; "" = self-signed in DATA_DIR/tls */
	char tls_key[512];  /* its PEM private key */
	char
	    server_names[512]; /* comma-separated names a Host header may carry; "" = this host's */
	long max_connections;  /* HTTP connections at once */
	long max_per_address;  /* HTTP connections at once from one address */
	char privsep[8];       /* "on" (the default), or "off": one root process (loopback only) */
	char run_as[33];       /* system user of the unprivileged daemon */
	long node_ids;         /* node N runs as uid/gid node_ids + N */
	long node_overhead_mb; /* a node's memory limit: its RAM + this */
	long node_pids;        /* a node's pids limit */
	double mem_overcommit; /* guest RAM a start may commit, as a multiple of the host's */
};

struct db;
struct kvm_probe;

/* The daemon-wide context; the lock serialises the API and the runtime. */
struct lw_ctx {
	struct lw_config cfg;
	struct db *db;
	struct kvm_probe *kvm; /* hv/kvm.h: probed once at start */
	char host_arch[16];
	pthread_mutex_t lock;
};

extern struct lw_ctx lw;

/* config_defaults - fill cfg with the table's defaults (paths relative to exe_dir when in-tree). */
void config_defaults(struct lw_config *cfg, const char *exe_path);
/*
 * config_parse_args - apply "--name value" / "--name=value" options from argv;
 * returns 0, or -1 with a message in err (unknown option, out of bounds).
 */
int config_parse_args(struct lw_config *cfg, int argc, char **argv, char *err, size_t errlen);
/* config_usage - print every option with its help and its value in cfg (the defaults). */
void config_usage(FILE *fp, const struct lw_config *cfg);
/* config_split_listen - split "host:port"; returns 0 or -1. */
int config_split_listen(const char *listen, char *host, size_t hostlen, int *port);

/* config_listen_loopback - whether --listen is a loopback address. */
bool config_listen_loopback(const struct lw_config *cfg);
/* config_tls_on - whether the API is served over TLS (--tls, auto: beyond loopback). */
bool config_tls_on(const struct lw_config *cfg);

void lw_lock(void);
void lw_unlock(void);
/* lw_lock_try - take lw_lock() if no one holds it; false (not taken) otherwise. */
bool lw_lock_try(void);
/* lw_lock_held - whether this thread holds lw_lock() (its store calls go to the writer). */
bool lw_lock_held(void);

#endif

/*
 * config - the configuration table and the daemon-wide context.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/base/log.h"

struct lw_ctx lw = {.lock = PTHREAD_MUTEX_INITIALIZER};

enum cfg_type { CFG_STR, CFG_INT, CFG_DEC };

struct cfg_entry {
	const char *name;
	enum cfg_type type;
	size_t off;
	size_t size;       /* CFG_STR: buffer size */
	long min, max;     /* CFG_INT */
	double dmin, dmax; /* CFG_DEC */
	const char *dflt;
	const char *help;
};

#define STR(f)                                                                                     \
	CFG_STR, offsetof(struct lw_config, f), sizeof(((struct lw_config *)0)->f), 0, 0, 0, 0
#define INT(f, lo, hi) CFG_INT, offsetof(struct lw_config, f), 0, lo, hi, 0, 0
#define DEC(f, lo, hi) CFG_DEC, offsetof(struct lw_config, f), 0, 0, 0, lo, hi

static const struct cfg_entry cfg_table[] = {
    {"listen", STR(listen), "127.0.0.1:8080", "address:port of the HTTP API"},
    {"data-dir", STR(data_dir), "./var", "database, lab files and QMP sockets"},
    {"image-dir", STR(image_dir), "", "guest images (kernels, initrds, disks)"},
    {"template-dir", STR(template_dir), "", "node templates, one JSON file each"},
    {"ui-dir", STR(ui_dir), "", "the browser UI's files (`make ui` builds them into build/ui)"},
    {"console-host", STR(console_host), "127.0.0.1",
        "address the telnet consoles bind to (they ask for credentials)"},
    {"console-port-min", INT(console_port_min, 1024, 65535), "5000", "first console port"},
    {"console-port-max", INT(console_port_max, 1024, 65535), "5999", "last console port"},
    {"max-body", INT(max_body, 1024, 64L << 20), "1048576", "largest request body in bytes"},
    {"max-image-mb", INT(max_image_mb, 1, 4L << 20), "65536",
        "largest disk image an upload may store, in MiB"},
    {"console-scrollback", INT(console_scrollback, 0, 16L << 20), "65536",
        "bytes of console output replayed to a new client"},
    {"capture-ring", INT(capture_ring, 0, 256L << 20), "1048576",
        "bytes of recent frames each running link keeps for recent.pcap (0: off)"},
    {"console-log-max", INT(console_log_max, 4096, 1L << 30), "1048576",
        "console.log size before it rotates to console.log.1"},
    {"node-log-max", INT(node_log_max, 4096, 1L << 30), "1048576",
        "qemu.log (nshost.log) size before the daemon moves it to .1 and starts it again"},
    {"capture-max-mb", INT(capture_max_mb, 1, 1L << 20), "1024",
        "a capture's file size limit in MiB unless its POST asks for less (max_bytes)"},
    {"capture-max-seconds", INT(capture_max_seconds, 1, 7L * 86400), "86400",
        "how long a capture runs unless its POST asks for less (max_seconds)"},
    {"captures-per-lab", INT(captures_per_lab, 1, 1024), "16",
        "captures running at once in one lab (past it: 429)"},
    {"image-reserve-mb", INT(image_reserve_mb, 0, 1L << 20), "64",
        "MiB an image upload leaves free in DATA_DIR/images (checked as it streams; past it: 507)"},
    {"image-max-virtual-gb", INT(image_virtual_gb, 1, 1L << 20), "512",
        "largest virtual disk size an uploaded image may have, in GiB (past it: 422)"},
    {"impair-all", INT(impair_all, 0, 1), "0",
        "1: every point-to-point link goes through the impairment engine (benchmarks)"},
    {"tool-timeout", INT(tool_timeout_s, 1, 3600), "60",
        "seconds a helper tool (qemu-img, genisoimage, mkfs.fat, mtools, tar) may run before "
        "it is killed and its work fails"},
    {"log-level", STR(log_level), "info", "error, warn, info or debug"},
    {"auth", STR(auth), "on",
        "on: every channel asks who you are; off: no identity, loopback --listen only"},
    {"session-idle", INT(session_idle, 1, 30L * 86400), "14400",
        "seconds a browser or CLI session lives unused"},
    {"session-max", INT(session_max, 1, 365L * 86400), "43200",
        "seconds a session lives at most, used or not"},
    {"login-failures", INT(login_failures, 1, 1000), "5",
        "failed logins per user within --login-window before 429 (per address: 4x)"},
    {"login-window", INT(login_window, 1, 86400), "300", "seconds failed logins are counted"},
    {"tls", STR(tls), "auto", "on, off, or auto: on unless --listen is a loopback address"},
    {"tls-cert", STR(tls_cert), "",
        "PEM certificate to serve (default: a self-signed one made in DATA_DIR/tls)"},
    {"tls-key", STR(tls_key), "", "the PEM private key of --tls-cert"},
    {"server-names", STR(server_names), "",
        "comma-separated host names and addresses clients use (Host check); default: this "
        "host's name and addresses"},
    {"max-connections", INT(max_connections, 16, 262144), "4096",
        "HTTP connections at once, event streams included (past it: 503; bounded by the "
        "open-file limit)"},
    {"max-connections-per-address", INT(max_per_address, 1, 262144), "256",
        "HTTP connections at once from one client address (past it: 429)"},
    {"privsep", STR(privsep), "on",
        "on: the network-facing daemon runs as --run-as, root work is asked of a privileged "
        "parent; off (loopback only, for measuring and debugging): one root process"},
    {"run-as", STR(run_as), "labwire",
        "system user the network-facing daemon runs as (made when absent)"},
    {"node-ids", INT(node_ids, 65536, 4026531840L), "1879048192",
        "first of 2^24 uids/gids nodes run as: node N runs as this + N"},
    {"node-overhead-mb", INT(node_overhead_mb, 32, 65536), "384",
        "memory a node's cgroup allows beyond its RAM (QEMU itself, TCG's 256 MiB code cache)"},
    {"node-pids", INT(node_pids, 16, 1L << 22), "512",
        "processes and threads one node may have (a namespace host's fork bomb stops here)"},
    {"mem-overcommit", DEC(mem_overcommit, 0.05, 100), "1.0",
        "a start may commit guest RAM up to the host's memory times this (else 503)"},
};

#define CFG_N (sizeof(cfg_table) / sizeof(cfg_table[0]))

/*
 * A decimal is digits with at most one point: strtod alone would also take
 * "1e2", "0x1p0", "inf" and "nan", none of which an operator means here.
 */
static int
cfg_set_dec(struct lw_config *cfg, const struct cfg_entry *c, const char *v, char *err, size_t len)
{
	const char *dot = strchr(v, '.');
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (strspn(v, "0123456789.") != strlen(v) || strcspn(v, "0123456789") == strlen(v) ||
	    (dot != NULL && strchr(dot + 1, '.') != NULL) || errno || *end != '\0' ||
	    !isfinite(d) || d < c->dmin || d > c->dmax) {
		snprintf(err, len, "--%s: '%s' is not a decimal in %g..%g", c->name, v, c->dmin,
		    c->dmax);
		return (-1);
	}
	*(double *)((char *)cfg + c->off) = d;
	return (0);
}

static int
cfg_set(struct lw_config *cfg, const struct cfg_entry *c, const char *v, char *err, size_t len)
{
	char *end;
	long n;

	if (c->type == CFG_STR) {
		if (strlen(v) >= c->size) {
			snprintf(err, len, "--%s: value too long", c->name);
			return (-1);
		}
		strcpy((char *)cfg + c->off, v);
		return (0);
	}
	if (c->type == CFG_DEC)
		return (cfg_set_dec(cfg, c, v, err, len));
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *v == '\0' || *end != '\0' || n < c->min || n > c->max) {
		snprintf(
		    err, len, "--%s: '%s' is not a number in %ld..%ld", c->name, v, c->min, c->max);
		return (-1);
	}
	*(long *)((char *)cfg + c->off) = n;
	return (0);
}

static int
dir_exists(const char *p)
{
	struct stat st;

	return (stat(p, &st) == 0 && S_ISDIR(st.st_mode));
}

/* In-tree (build/labwire) the images and templates sit beside the binary. */
static void
config_default_paths(struct lw_config *cfg, const char *exe_path)
{
	char exe[PATH_MAX], dir[PATH_MAX], p[PATH_MAX + 64];
	char *slash;

	if (realpath(exe_path, exe) == NULL)
		snprintf(exe, sizeof(exe), "%s", exe_path);
	snprintf(dir, sizeof(dir), "%s", exe);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	snprintf(p, sizeof(p), "%s/../images/templates", dir);
	if (dir_exists(p)) {
		snprintf(
		    cfg->template_dir, sizeof(cfg->template_dir), "%s/../images/templates", dir);
		snprintf(cfg->image_dir, sizeof(cfg->image_dir), "%s/images", dir);
		snprintf(cfg->ui_dir, sizeof(cfg->ui_dir), "%s/ui", dir);
		return;
	}
	snprintf(
	    cfg->template_dir, sizeof(cfg->template_dir), "%s/share/labwire/templates", LW_PREFIX);
	snprintf(cfg->image_dir, sizeof(cfg->image_dir), "%s/share/labwire/images", LW_PREFIX);
	snprintf(cfg->ui_dir, sizeof(cfg->ui_dir), "%s/share/labwire/ui", LW_PREFIX);
}

void
config_defaults(struct lw_config *cfg, const char *exe_path)
{
	char err[128];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < CFG_N; i++)
		if (cfg_set(cfg, &cfg_table[i], cfg_table[i].dflt, err, sizeof(err)) == -1)
			fatalx("config default: %s", err);
	config_default_paths(cfg, exe_path);
}

bool
config_listen_loopback(const struct lw_config *cfg)
{
	char host[128];
	int port;

	if (config_split_listen(cfg->listen, host, sizeof(host), &port) == -1)
		return (false);
	return (strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
	    strcmp(host, "[::1]") == 0 || strcmp(host, "localhost") == 0);
}

bool
config_tls_on(const struct lw_config *cfg)
{
	return (strcmp(cfg->tls, "on") == 0 ||
	    (strcmp(cfg->tls, "auto") == 0 && !config_listen_loopback(cfg)));
}

/* The identity options that only make sense together. */
static int
config_check_identity(const struct lw_config *cfg, char *err, size_t len)
{
	const char *why = NULL;

	if (strcmp(cfg->auth, "on") != 0 && strcmp(cfg->auth, "off") != 0)
		why = "--auth: on or off";
	else if (strcmp(cfg->auth, "off") == 0 && !config_listen_loopback(cfg))
		why = "--auth off is only allowed with a loopback --listen address";
	else if (strcmp(cfg->tls, "on") != 0 && strcmp(cfg->tls, "off") != 0 &&
	    strcmp(cfg->tls, "auto") != 0)
		why = "--tls: on, off or auto";
	else if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0'))
		why = "--tls-cert and --tls-key go together";
	else if (cfg->session_idle > cfg->session_max)
		why = "--session-idle is above --session-max";
	else if (strcmp(cfg->privsep, "on") != 0 && strcmp(cfg->privsep, "off") != 0)
		why = "--privsep: on or off";
	else if (strcmp(cfg->privsep, "off") == 0 && !config_listen_loopback(cfg))
		why = "--privsep off is only allowed with a loopback --listen address";
	if (why == NULL)
		return (0);
	snprintf(err, len, "%s", why);
	return (-1);
}

int
config_parse_args(struct lw_config *cfg, int argc, char **argv, char *err, size_t len)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v, *eq;
		size_t nlen;
		const struct cfg_entry *c = NULL;

		if (strncmp(a, "--", 2) != 0) {
			snprintf(err, len, "unexpected argument '%s'", a);
			return (-1);
		}
		a += 2;
		eq = strchr(a, '=');
		nlen = eq ? (size_t)(eq - a) : strlen(a);
		for (size_t j = 0; j < CFG_N; j++)
			if (strlen(cfg_table[j].name) == nlen &&
			    strncmp(cfg_table[j].name, a, nlen) == 0)
				c = &cfg_table[j];
		if (c == NULL) {
			snprintf(err, len, "unknown option '--%.*s'", (int)nlen, a);
			return (-1);
		}
		if (eq != NULL)
			v = eq + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		else {
			snprintf(err, len, "--%s needs a value", c->name);
			return (-1);
		}
		if (cfg_set(cfg, c, v, err, len) == -1)
			return (-1);
	}
	if (cfg->console_port_min > cfg->console_port_max) {
		snprintf(err, len, "--console-port-min is above --console-port-max");
		return (-1);
	}
	if (config_check_identity(cfg, err, len) == -1)
		return (-1);
	if (log_level_parse(cfg->log_level) == -1) {
		snprintf(err, len, "--log-level: '%s' is not error, warn, info or debug",
		    cfg->log_level);
		return (-1);
	}
	return (0);
}

void
config_usage(FILE *fp, const struct lw_config *cfg)
{
	for (size_t i = 0; i < CFG_N; i++) {
		const struct cfg_entry *c = &cfg_table[i];
		const char *p = (const char *)cfg + c->off;

		if (c->type == CFG_STR)
			fprintf(fp, "  --%-18s %s (default: %s)\n", c->name, c->help, p);
		else if (c->type == CFG_DEC)
			fprintf(fp, "  --%-18s %s (default: %g)\n", c->name, c->help,
			    *(const double *)p);
		else
			fprintf(fp, "  --%-18s %s (default: %ld)\n", c->name, c->help,
			    *(const long *)p);
	}
}

int
config_split_listen(const char *listen, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(listen, ':');
	char *end;
	long p;

	if (colon == NULL || (size_t)(colon - listen) >= hostlen || colon == listen)
		return (-1);
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return (-1);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	*port = (int)p;
	return (0);
}

static __thread bool lock_held;

void
lw_lock(void)
{
	pthread_mutex_lock(&lw.lock);
	lock_held = true;
}

void
lw_unlock(void)
{
	lock_held = false;
	pthread_mutex_unlock(&lw.lock);
}

bool
lw_lock_try(void)
{
	if (pthread_mutex_trylock(&lw.lock) != 0)
		return (false);
	lock_held = true;
	return (true);
}

bool
lw_lock_held(void)
{
	return (lock_held);
}

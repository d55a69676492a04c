/*
 * api_system - health, system facts, templates, images, the event stream
 * and the OpenAPI description.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/priv.h"
#include "hv/cgroup.h"
#include "core/base/config.h"
#include "core/base/events.h"
#include "core/base/spawn.h"
#include "db/db.h"
#include "core/net/fabric.h"
#include "hv/kvm.h"
#include "hv/qemu.h"
#include "labs/access.h"
#include "labs/auth.h"
#include "labs/lab.h"
#include "labs/lifecycle.h"
#include "tcg/boot.h"
#include "tcg/tcg.h"
#include "web/api.h"
#include "web/park.h"
#include "web/server.h"

#define LW_VERSION "0.1.0"

extern const char lw_openapi_json[];
extern const char lw_openapi_json_end[];

static json_t *qemu_info; /* per arch {path, version}, probed once at start-up */

static bool
file_mentions(const char *path, const char *needle)
{
	char line[1024];
	bool found = false;
	FILE *fp = fopen(path, "re");

	if (fp == NULL)
		return (false);
	while (!found && fgets(line, sizeof(line), fp) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(fp);
	return (found);
}

/* Loaded, built in, or loadable as a module of the running kernel. */
static bool
netem_available(void)
{
	struct utsname u;
	char path[512];

	if (access("/sys/module/sch_netem", F_OK) == 0 || uname(&u) == -1)
		return (access("/sys/module/sch_netem", F_OK) == 0);
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
	if (file_mentions(path, "sch_netem.ko"))
		return (true);
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.builtin", u.release);
	return (file_mentions(path, "sch_netem.ko"));
}

void
api_system_init(void)
{
	static const char *arches[] = {"x86_64", "aarch64"};
	char path[512], version[64];

	qemu_info = json_object();
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		const struct arch_info *a = tcg_arch_lookup(arches[i]);

		if (a == NULL || spawn_path(a->qemu_binary, path, sizeof(path)) == -1) {
			json_object_set_new(qemu_info, arches[i], json_null());
			continue;
		}
		if (qemu_binary_version(path, version, sizeof(version)) == -1)
			snprintf(version, sizeof(version), "unknown");
		json_object_set_new(
		    qemu_info, arches[i], json_pack("{s:s,s:s}", "path", path, "version", version));
	}
	json_object_set_new(qemu_info, "_netem", json_boolean(netem_available()));
}

int
api_health(struct api_req *r, struct lw_err *e)
{
	return (api_reply(r, 200, json_pack("{s:s}", "status", "ok"), e));
}

/* The server's limits and how much of them is in use now. */
static json_t *
system_limits(void)
{
	struct rlimit rl = {0};

	getrlimit(RLIMIT_NOFILE, &rl);
	return (json_pack("{s:I,s:I,s:i,s:i,s:i,s:i}", "open_files", (json_int_t)rl.rlim_cur,
	    "open_files_max", (json_int_t)rl.rlim_max, "connections", (int)lw.cfg.max_connections,
	    "connections_per_address", (int)lw.cfg.max_per_address, "connections_open",
	    server_connections(), "streams_open", park_count()));
}

int
api_system(struct api_req *r, struct lw_err *e)
{
	json_t *qemu = json_deep_copy(qemu_info);
	bool netem = json_is_true(json_object_get(qemu, "_netem"));
	json_t *out, *mem = lifecycle_host_memory();

	json_object_del(qemu, "_netem");
	out = json_pack("{s:s,s:{s:{s:b,s:s},s:{s:b,s:o}},s:o,s:s,s:i,s:{s:b,s:b},s:{s:s,s:s},s:i}",
	    "version", LW_VERSION, "accelerators", "kvm", "available", lw.kvm->available, "reason",
	    lw.kvm->reason, "tcg", "available", 1, "slowdown", boot_slowdown_json(), "qemu", qemu,
	    "host_arch", lw.host_arch, "cpus", (int)sysconf(_SC_NPROCESSORS_ONLN), "capabilities",
	    "netem", netem, "isolation", fabric_can_isolate(), "impairments", "path", "engine",
	    "reason",
	    netem ? "labwire's impairment engine (sch_netem is present but not used: one "
	            "engine behaves the same on every host)"
	          : "labwire's impairment engine: this kernel has no sch_netem",
	    "schema_version", lab_store_version());
	/* How nodes are confined: the cgroup layout, and whether the daemon is split. */
	if (out != NULL)
		json_object_set_new(out, "isolation_of_nodes",
		    json_pack("{s:s,s:b}", "cgroups", cgroup_mode(), "privsep", priv_remote()));
	if (out != NULL)
		json_object_set_new(out, "limits", system_limits());
	/* memory_mb and the rest: the numbers the start check uses, read once. */
	if (out != NULL && (mem == NULL || json_object_update(out, mem) == -1)) {
		json_decref(out);
		out = NULL;
	}
	json_decref(mem);
	return (api_reply(r, 200, out, e));
}

/* ---- Server-Sent Events ---- */

#define SSE_SEEN 64
/* Quiet streams get a comment line this often (it also finds clients gone). */
#define SSE_KEEPALIVE_MS 10000

/*
 * One event stream: where it is in the ring, who reads it, and which labs
 * it has found they may see (cleared whenever a share, owner, group or user
 * changes), so a lab is looked up once, and a lab that is deleted stays
 * visible for its "deleted" event.
 */
struct sse {
	uint64_t seq;
	int64_t sent_ms;        /* when it last sent anything (a keepalive follows 10 s of quiet) */
	struct park *park;      /* where it waits for events without a thread */
	struct api_guard guard; /* who reads it, asked again as it runs */
	unsigned gen;           /* of the seen[] below */
	int nseen;
	struct {
		int64_t lab;
		bool visible;
	} seen[SSE_SEEN];
};

static bool
sse_visible(struct sse *s, int64_t lab)
{
	bool v;

	if (s->gen != access_generation()) {
		s->gen = access_generation();
		s->nseen = 0;
	}
	if (lab == 0 || s->guard.who.role == ROLE_ADMIN)
		return (true);
	for (int i = 0; i < s->nseen; i++)
		if (s->seen[i].lab == lab)
			return (s->seen[i].visible);
	if (db_read_begin(lw.db, NULL) == -1)
		return (false);
	v = access_lab(&s->guard.who, lab) >= ACCESS_READ;
	db_read_end();
	if (s->nseen == SSE_SEEN) { /* forget the oldest half */
		memmove(s->seen, s->seen + SSE_SEEN / 2, sizeof(s->seen[0]) * (SSE_SEEN / 2));
		s->nseen = SSE_SEEN / 2;
	}
	s->seen[s->nseen].lab = lab;
	s->seen[s->nseen++].visible = v;
	return (v);
}

/* A parked stream has something to do: an event, a keepalive or a guard check due. */
static bool
sse_ready(void *arg)
{
	struct sse *s = arg;

	return (events_seq() > s->seq || clock_mono_ms() - s->sent_ms >= SSE_KEEPALIVE_MS ||
	    api_guard_due(&s->guard));
}

/*
 * The stream's next bytes: the events this reader may see, else a
 * keepalive when due; with nothing to send it parks (park_hold) and
 * returns 0 until the parking thread resumes it.
 */
static ssize_t
sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct sse *s = cls;
	int64_t lab = 0;
	int n;

	(void)pos;
	for (;;) {
		/* Logged out, revoked, expired, deleted (also while it was parked). */
		if (park_client_gone(s->park)) /* nothing to finish: just close */
			return (MHD_CONTENT_READER_END_WITH_ERROR);
		if (park_stopping() || !api_guard_ok(&s->guard))
			return (MHD_CONTENT_READER_END_OF_STREAM);
		n = events_read(&s->seq, buf, max, &lab);
		if (n == -1)
			return (MHD_CONTENT_READER_END_WITH_ERROR);
		if (n == 0)
			break;
		if (sse_visible(s, lab)) {
			s->sent_ms = clock_mono_ms();
			return (n);
		}
		/* another user's lab: not for this stream */
	}
	if (clock_mono_ms() - s->sent_ms >= SSE_KEEPALIVE_MS && max > 16) {
		s->sent_ms = clock_mono_ms();
		memcpy(buf, ": keepalive\n\n", 13);
		return (13);
	}
	park_hold(s->park);
	return (0);
}

static void
sse_free(void *cls)
{
	struct sse *s = cls;

	park_free(s->park);
	free(s);
}

int
api_events(struct api_req *r, struct lw_err *e)
{
	struct sse *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->park = park_new(r->conn, sse_ready, s)) == NULL) {
		free(s);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	s->seq = events_seq();
	s->sent_ms = clock_mono_ms();
	api_guard_init(&s->guard, r, 0);
	s->gen = access_generation();
	r->raw = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, sse_read, s, sse_free);
	if (r->raw == NULL) {
		sse_free(s);
		return (err_set(e, ERR_INTERNAL, "cannot create the event stream"));
	}
	MHD_add_response_header(r->raw, "Content-Type", "text/event-stream");
	MHD_add_response_header(r->raw, "Cache-Control", "no-cache");
	r->status = 200;
	return (0);
}

int
api_openapi(struct api_req *r, struct lw_err *e)
{
	size_t len = (size_t)(lw_openapi_json_end - lw_openapi_json);

	r->raw =
	    MHD_create_response_from_buffer(len, (void *)lw_openapi_json, MHD_RESPMEM_PERSISTENT);
	if (r->raw == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	MHD_add_response_header(r->raw, "Content-Type", "application/json");
	r->status = 200;
	return (0);
}

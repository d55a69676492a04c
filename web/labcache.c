/*
 * labcache - the rendered lab JSON, kept (see labcache.h). Texts are
 * reference-counted: a response being sent keeps its text after the entry
 * moved on.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "db/db.h"
#include "labs/access.h"
#include "labs/lab.h"
#include "labs/practice.h"
#include "web/httpval.h"
#include "web/labcache.h"

/* Entries kept; past it the least recently used goes. */
#define LC_MAX 512
/* How long a lab whose counters move (running nodes, wired links) is served as it was. */
#define LC_LIVE_MS 1000
#define LC_HIDE 8 /* with an access level: the stage configs hidden (a key of its own) */

/*
 * A rendered lab: the text, and the same gzip-compressed (for clients that
 * accept it, as browsers do), each with its ETag: "<hash>" and "<hash>-gz".
 */
struct lc_text {
	atomic_int refs;
	size_t len, gz_len;
	char *gz; /* NULL when it would not shrink */
	char hash[17];
	char etag[24], gz_etag[24];
	char data[];
};

struct lc_entry {
	int64_t lab;
	int level;
	uint64_t gen;
	int64_t built_ms, used_ms;
	bool live;
	struct lc_text *text;
};

static struct {
	pthread_mutex_t mu;
	struct lc_entry e[LC_MAX];
	int n;
} lc = {.mu = PTHREAD_MUTEX_INITIALIZER};

static struct lc_text *
text_ref(struct lc_text *t)
{
	atomic_fetch_add(&t->refs, 1);
	return (t);
}

static void
text_unref(void *arg)
{
	struct lc_text *t = arg;

	if (t != NULL && atomic_fetch_sub(&t->refs, 1) == 1) {
		free(t->gz);
		free(t);
	}
}

/* FNV-1a, 64 bits: the ETag names the bytes. */
static uint64_t
text_hash(const char *p, size_t len)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return (h);
}

/* t->gz: the text gzip-compressed (level 6), when that is smaller. */
static void
text_gzip(struct lc_text *t)
{
	z_stream z = {0};
	uLong cap = compressBound((uLong)t->len) + 32;

	t->gz = NULL;
	t->gz_len = 0;
	if ((t->gz = malloc(cap)) == NULL)
		return;
	/* windowBits 15 + 16: a gzip header and trailer around the deflate stream. */
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(t->gz);
		t->gz = NULL;
		return;
	}
	z.next_in = (Bytef *)t->data;
	z.avail_in = (uInt)t->len;
	z.next_out = (Bytef *)t->gz;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out >= t->len) {
		free(t->gz);
		t->gz = NULL;
	} else {
		t->gz_len = z.total_out;
	}
	deflateEnd(&z);
}

/* The text of out as send_json writes it (indented, in order, a newline last). */
static struct lc_text *
text_make(json_t *out)
{
	char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	size_t len;
	struct lc_text *t;

	if (s == NULL)
		return (NULL);
	len = strlen(s);
	if ((t = malloc(sizeof(*t) + len + 1)) != NULL) {
		atomic_init(&t->refs, 1);
		memcpy(t->data, s, len);
		t->data[len] = '\n';
		t->len = len + 1;
		snprintf(t->hash, sizeof(t->hash), "%016llx",
		    (unsigned long long)text_hash(t->data, t->len));
		snprintf(t->etag, sizeof(t->etag), "\"%s\"", t->hash);
		snprintf(t->gz_etag, sizeof(t->gz_etag), "\"%s-gz\"", t->hash);
		text_gzip(t);
	}
	free(s);
	return (t);
}

/* Its counters move while it runs: a running node's memory, a wired link's datapath. */
static bool
lab_live(json_t *out)
{
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(out, "nodes"), i, v)
		if (json_object_get(v, "pid") != NULL)
			return (true);
	json_array_foreach(json_object_get(out, "links"), i, v) {
		const char *dp = json_string_value(json_object_get(v, "datapath"));

		if (dp != NULL && strcmp(dp, "none") != 0)
			return (true);
	}
	return (false);
}

static struct lc_entry *
entry_find(int64_t lab, int level)
{
	for (int i = 0; i < lc.n; i++)
		if (lc.e[i].lab == lab && lc.e[i].level == level)
			return (&lc.e[i]);
	return (NULL);
}

/* A good entry's text (a reference), or NULL. */
static struct lc_text *
cache_get(int64_t lab, int level, uint64_t gen)
{
	struct lc_text *t = NULL;
	struct lc_entry *en;
	int64_t now = clock_mono_ms();

	pthread_mutex_lock(&lc.mu);
	if ((en = entry_find(lab, level)) != NULL && en->gen == gen &&
	    (!en->live || now - en->built_ms < LC_LIVE_MS)) {
		en->used_ms = now;
		t = text_ref(en->text);
	}
	pthread_mutex_unlock(&lc.mu);
	return (t);
}

static void
cache_put(int64_t lab, int level, uint64_t gen, bool live, struct lc_text *t)
{
	struct lc_entry *en;
	int64_t now = clock_mono_ms();

	pthread_mutex_lock(&lc.mu);
	if ((en = entry_find(lab, level)) == NULL) {
		if (lc.n < LC_MAX) {
			en = &lc.e[lc.n++];
		} else {
			en = &lc.e[0];
			for (int i = 1; i < lc.n; i++)
				if (lc.e[i].used_ms < en->used_ms)
					en = &lc.e[i];
		}
		text_unref(en->text);
		en->text = NULL;
	}
	if (en->text == NULL || gen >= en->gen) {
		text_unref(en->text);
		*en = (struct lc_entry){lab, level, gen, now, now, live, text_ref(t)};
	}
	pthread_mutex_unlock(&lc.mu);
}

/* Build the lab's text from a read snapshot (no lw_lock): a reference, or NULL with e. */
static struct lc_text *
build(int64_t lab, int level, uint64_t gen, struct lw_err *e)
{
	json_t *out;
	struct lc_text *t;
	bool live;

	if (db_read_begin(lw.db, e) == -1)
		return (NULL);
	out = lab_json(lab, e);
	db_read_end();
	if (out == NULL)
		return (NULL);
	access_redact(out, level & ~LC_HIDE, true);
	if (level & LC_HIDE)
		practice_hide_configs(out);
	live = lab_live(out);
	t = text_make(out);
	json_decref(out);
	if (t == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return (NULL);
	}
	cache_put(lab, level, gen, live, t);
	return (t);
}

int
labcache_answer(struct api_req *r, int64_t lab, bool only_cached, struct lw_err *e)
{
	uint64_t gen = db_generation(); /* before the snapshot: a later commit makes it stale */
	int level = r->level | (r->hide_solutions ? LC_HIDE : 0); /* the cache's key */
	struct lc_text *t = cache_get(lab, level, gen);
	const char *inm = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "If-None-Match");

	if (t == NULL && only_cached) {
		r->defer = true;
		return (0);
	}
	if (t == NULL && (t = build(lab, level, gen, e)) == NULL)
		return (-1);
	bool gz = t->gz != NULL &&
	    httpval_gzip(MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Accept-Encoding"));

	if (httpval_etag_named(inm, gz ? t->gz_etag : t->etag)) {
		r->raw = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
		r->status = 304;
	} else {
		r->raw = MHD_create_response_from_buffer_with_free_callback_cls(
		    gz ? t->gz_len : t->len, gz ? t->gz : t->data, text_unref, text_ref(t));
		r->status = 200;
		if (r->raw == NULL) {
			text_unref(t);
		} else {
			MHD_add_response_header(r->raw, "Content-Type", "application/json");
			if (gz)
				MHD_add_response_header(r->raw, "Content-Encoding", "gzip");
		}
	}
	if (r->raw != NULL) {
		MHD_add_response_header(r->raw, "ETag", gz ? t->gz_etag : t->etag);
		MHD_add_response_header(r->raw, "Vary", "Accept-Encoding");
		/* Kept by a browser, asked again each time: 304 while it holds. */
		MHD_add_response_header(r->raw, "Cache-Control", "no-cache");
	}
	text_unref(t);
	if (r->raw == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	return (0);
}

void
labcache_fini(void)
{
	pthread_mutex_lock(&lc.mu);
	for (int i = 0; i < lc.n; i++)
		text_unref(lc.e[i].text);
	lc.n = 0;
	pthread_mutex_unlock(&lc.mu);
}

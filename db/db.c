/*
 * db - the SQLite store. Statements are prepared once (keyed by their SQL
 * text, which is always a string literal of the caller) and reset after use.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/base/config.h"
#include "core/base/log.h"
#include "db/db.h"

#define DB_STMT_CACHE 128

struct db_stmt {
	const char *sql;
	sqlite3_stmt *stmt;
};

struct db {
	sqlite3 *h;
	char *path;
	struct db_stmt cache[DB_STMT_CACHE];
	int ncache;
};

/*
 * Migrations: entry i brings the schema from version i to i+1. Never edit a
 * released entry; append a new one.
 */
static const char *const db_migrations[] = {
    /* 0 -> 1: labs, nodes, interfaces, links, endpoints, runtime state */
    "CREATE TABLE labs ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  description TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE nodes ("
    "  id INTEGER PRIMARY KEY,"
    "  lab_id INTEGER NOT NULL REFERENCES labs(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  template TEXT NOT NULL,"
    "  image TEXT,"
    "  arch TEXT NOT NULL,"
    "  accel TEXT NOT NULL DEFAULT 'auto',"
    "  cpus INTEGER NOT NULL,"
    "  ram_mb INTEGER NOT NULL,"
    "  nics INTEGER NOT NULL,"
    "  startup_config TEXT NOT NULL DEFAULT '',"
    "  x INTEGER NOT NULL DEFAULT 0,"
    "  y INTEGER NOT NULL DEFAULT 0,"
    "  console_port INTEGER NOT NULL UNIQUE,"
    "  state TEXT NOT NULL DEFAULT 'stopped',"
    "  error TEXT,"
    "  ready INTEGER NOT NULL DEFAULT 0,"
    "  accel_in_use TEXT,"
    "  accel_reason TEXT,"
    "  UNIQUE (lab_id, name));"
    "CREATE TABLE interfaces ("
    "  id INTEGER PRIMARY KEY,"
    "  node_id INTEGER NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,"
    "  idx INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  mac TEXT NOT NULL,"
    "  UNIQUE (node_id, idx), UNIQUE (node_id, name));"
    "CREATE TABLE links ("
    "  id INTEGER PRIMARY KEY,"
    "  lab_id INTEGER NOT NULL REFERENCES labs(id) ON DELETE CASCADE,"
    "  state TEXT NOT NULL DEFAULT 'up',"
    "  impairment TEXT NOT NULL DEFAULT '{}');"
    "CREATE TABLE link_endpoints ("
    "  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
    "  interface_id INTEGER NOT NULL UNIQUE REFERENCES interfaces(id) ON DELETE CASCADE,"
    "  pos INTEGER NOT NULL,"
    "  PRIMARY KEY (link_id, interface_id));"
    "CREATE TABLE node_runtime ("
    "  node_id INTEGER PRIMARY KEY REFERENCES nodes(id) ON DELETE CASCADE,"
    "  pid INTEGER NOT NULL,"
    "  qmp_path TEXT NOT NULL,"
    "  taps TEXT NOT NULL,"
    "  console_port INTEGER NOT NULL,"
    "  started_at INTEGER NOT NULL,"
    "  accel TEXT NOT NULL);"
    "CREATE INDEX nodes_lab ON nodes(lab_id);"
    "CREATE INDEX links_lab ON links(lab_id);",
    /* 1 -> 2: packet captures, whose files stay until the lab is deleted */
    "CREATE TABLE captures ("
    "  id INTEGER PRIMARY KEY,"
    "  lab_id INTEGER NOT NULL REFERENCES labs(id) ON DELETE CASCADE,"
    "  link_id INTEGER NOT NULL,"
    "  filter TEXT NOT NULL DEFAULT '',"
    "  snaplen INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'running',"
    "  packets INTEGER NOT NULL DEFAULT 0,"
    "  bytes INTEGER NOT NULL DEFAULT 0,"
    "  dropped INTEGER NOT NULL DEFAULT 0,"
    "  kernel_dropped INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX captures_link ON captures(link_id);",
    /* 2 -> 3: the image store, user templates, staged boot, measured TCG boots */
    "CREATE TABLE images ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT," /* ids name files: never reused */
    "  name TEXT NOT NULL UNIQUE,"
    "  template TEXT,"
    "  state TEXT NOT NULL DEFAULT 'uploading',"
    "  format TEXT,"
    "  virtual_size INTEGER,"
    "  size INTEGER NOT NULL DEFAULT 0,"
    "  expected INTEGER NOT NULL DEFAULT 0,"
    "  sha256 TEXT,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE user_templates ("
    "  name TEXT PRIMARY KEY,"
    "  body TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE boot_times ("
    "  id INTEGER PRIMARY KEY,"
    "  template TEXT NOT NULL,"
    "  accel TEXT NOT NULL,"
    "  seconds REAL NOT NULL,"
    "  at INTEGER NOT NULL);"
    "ALTER TABLE nodes ADD COLUMN boot_order INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE nodes ADD COLUMN boot TEXT;"
    "ALTER TABLE nodes ADD COLUMN cdrom TEXT;"
    "ALTER TABLE labs ADD COLUMN boot_concurrency INTEGER NOT NULL DEFAULT 0;",
    /* 3 -> 4: identity: users, their sessions and API tokens (stored as digests),
     * groups (classes) and their leaders, lab owners and shares, node console
     * tokens, the audit log */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL UNIQUE,"
    "  role TEXT NOT NULL CHECK (role IN ('admin','instructor','user')),"
    "  password TEXT NOT NULL,"
    "  quota_nodes INTEGER NOT NULL DEFAULT 0,"
    "  quota_ram_mb INTEGER NOT NULL DEFAULT 0,"
    "  quota_capture_mb INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('session','api')),"
    "  name TEXT NOT NULL DEFAULT '',"
    "  digest TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL,"
    "  last_used INTEGER NOT NULL,"
    "  expires_at INTEGER);"
    "CREATE INDEX tokens_user ON tokens(user_id);"
    "CREATE TABLE groups ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE group_members ("
    "  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  leader INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (group_id, user_id));"
    "CREATE TABLE lab_shares ("
    "  lab_id INTEGER NOT NULL REFERENCES labs(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  access TEXT NOT NULL CHECK (access IN ('read','write')),"
    "  PRIMARY KEY (lab_id, user_id));"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at INTEGER NOT NULL,"
    "  user TEXT NOT NULL DEFAULT '',"
    "  addr TEXT NOT NULL DEFAULT '',"
    "  action TEXT NOT NULL,"
    "  target TEXT NOT NULL DEFAULT '',"
    "  ok INTEGER NOT NULL DEFAULT 1,"
    "  detail TEXT NOT NULL DEFAULT '');"
    "ALTER TABLE labs ADD COLUMN owner_id INTEGER REFERENCES users(id);"
    "ALTER TABLE nodes ADD COLUMN console_token TEXT;"
    "UPDATE nodes SET console_token = 'lwc_' || lower(hex(randomblob(20)));",
    /* 5: a node's CPU cap (percent of one CPU; 0: none), its cgroup's cpu.max. */
    "ALTER TABLE nodes ADD COLUMN cpu_cap_pct INTEGER NOT NULL DEFAULT 0;",
    /* 6: a capture's limits and why it ended (a limit: stop_reason; a write error: error). */
    "ALTER TABLE captures ADD COLUMN max_bytes INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE captures ADD COLUMN max_seconds INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE captures ADD COLUMN stop_reason TEXT;"
    "ALTER TABLE captures ADD COLUMN error TEXT;",
    /* 7: facts about this store itself. "instance": a random id made once, the
     * mark on every interface this daemon creates (core/net/fabric), so that
     * it never touches another daemon's or the host's. */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);"
    "INSERT INTO meta (key, value) VALUES ('instance', lower(hex(randomblob(8))));",
    /* 8: why a paused node (state 'paused') is paused: "disk full", "io error", "paused". */
    "ALTER TABLE nodes ADD COLUMN paused_reason TEXT;",
    /* 9: a node's start recorded before its process is spawned (phase 'starting', pid 0),
     * by which daemon (owner), and the process's start time (clock ticks after boot), so a
     * restarted daemon knows a process for its own and ends what it cannot adopt. */
    "ALTER TABLE node_runtime ADD COLUMN phase TEXT NOT NULL DEFAULT 'running'"
    "  CHECK (phase IN ('starting','running'));"
    "ALTER TABLE node_runtime ADD COLUMN owner TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE node_runtime ADD COLUMN start_ticks INTEGER NOT NULL DEFAULT 0;",
    /* 10: practice labs: the task text, checks and stages (validated JSON text,
     * labs/practice.c), the start's configs captured at the first stage restore
     * (JSON {node: startup_config}; NULL before), and the grades kept per lab. */
    "ALTER TABLE labs ADD COLUMN guide TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE labs ADD COLUMN checks TEXT NOT NULL DEFAULT '[]';"
    "ALTER TABLE labs ADD COLUMN stages TEXT NOT NULL DEFAULT '[]';"
    "ALTER TABLE labs ADD COLUMN stage_base TEXT;"
    "CREATE TABLE grades ("
    "  id INTEGER PRIMARY KEY,"
    "  lab_id INTEGER NOT NULL REFERENCES labs(id) ON DELETE CASCADE,"
    "  stage INTEGER NOT NULL DEFAULT 0,"
    "  score INTEGER NOT NULL,"
    "  max_score INTEGER NOT NULL,"
    "  passed INTEGER NOT NULL,"
    "  result TEXT NOT NULL,"
    "  user_id INTEGER,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX grades_lab ON grades(lab_id, id);",
    /* 11: classroom assignments (labs/assign.c): a lab handed to a group, and each
     * member's own copy of it. Nothing dangles: the source lab deleted leaves the
     * assignment (and its table) with lab NULL, no new copies; the group deleted
     * takes its assignments; the instructor deleted leaves instructor NULL (the
     * group's other leaders and admins still see it); an assignment deleted, a
     * member deleted or an instance lab deleted takes that instance row (the
     * member's table row then shows instance null); the copies themselves are
     * the members' labs and are never deleted with an assignment. */
    "CREATE TABLE assignments ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT NOT NULL,"
    "  lab_id INTEGER REFERENCES labs(id) ON DELETE SET NULL,"
    "  group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,"
    "  instructor_id INTEGER REFERENCES users(id) ON DELETE SET NULL,"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (group_id, name));"
    "CREATE TABLE assignment_instances ("
    "  assignment_id INTEGER NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  lab_id INTEGER NOT NULL UNIQUE REFERENCES labs(id) ON DELETE CASCADE,"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (assignment_id, user_id));"
    "CREATE INDEX assignments_lab ON assignments(lab_id);"
    "CREATE INDEX assignments_instructor ON assignments(instructor_id);"
    "CREATE INDEX assignment_instances_user ON assignment_instances(user_id);",
    /* 12: a member's copy of an assignment's lab shows its stages' configs (the
     * solutions) only to an admin, a leader of the group it was made for, the
     * assignment's instructor or a reader of the source lab (labs/assign.c):
     * the group and the source are kept on the copy, so the rule outlives the
     * assignment (and the group or source lab deleted leaves the copy hidden
     * from all but admins). Copies made before: from their instance rows. */
    "ALTER TABLE labs ADD COLUMN copy_hidden INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE labs ADD COLUMN copy_group INTEGER REFERENCES groups(id) ON DELETE SET NULL;"
    "ALTER TABLE labs ADD COLUMN copy_src INTEGER REFERENCES labs(id) ON DELETE SET NULL;"
    "CREATE INDEX labs_copy_src ON labs(copy_src);"
    "CREATE INDEX labs_copy_group ON labs(copy_group);"
    "UPDATE labs SET copy_hidden = 1,"
    " copy_group = (SELECT a.group_id FROM assignment_instances i JOIN assignments a"
    "   ON a.id = i.assignment_id WHERE i.lab_id = labs.id),"
    " copy_src = (SELECT a.lab_id FROM assignment_instances i JOIN assignments a"
    "   ON a.id = i.assignment_id WHERE i.lab_id = labs.id)"
    " WHERE id IN (SELECT lab_id FROM assignment_instances);",
    /* 13: where an imported node came from (labs/import.c): JSON text {format, kind,
     * image, template, config, config_ref}, or '' for a node made here. */
    "ALTER TABLE nodes ADD COLUMN origin TEXT NOT NULL DEFAULT '';",
};

static int
db_errcode(int rc)
{
	return ((rc & 0xff) == SQLITE_CONSTRAINT ? ERR_CONFLICT : ERR_INTERNAL);
}

static int
db_migrate(struct db *db, struct lw_err *e)
{
	int have = db_schema_version(db);
	int want = (int)(sizeof(db_migrations) / sizeof(db_migrations[0]));
	char *msg = NULL, pragma[64];

	if (have > want)
		return (err_set(e, ERR_INTERNAL,
		    "database schema version %d is newer than this labwire (%d)", have, want));
	for (int v = have; v < want; v++) {
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;", v + 1);
		if (sqlite3_exec(db->h, "BEGIN IMMEDIATE;", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db->h, db_migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db->h, pragma, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db->h, "COMMIT;", NULL, NULL, &msg) != SQLITE_OK) {
			err_set(
			    e, ERR_INTERNAL, "migration to schema %d: %s", v + 1, msg ? msg : "?");
			sqlite3_free(msg);
			sqlite3_exec(db->h, "ROLLBACK;", NULL, NULL, NULL);
			return (-1);
		}
		log_info("database migrated to schema version %d", v + 1);
	}
	return (0);
}

struct db *
db_open(const char *path, struct lw_err *e)
{
	struct db *db;
	char *msg = NULL;

	/* Before SQLite's first use: no global counters, no global mutex around every malloc. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return (NULL);
	}
	if (sqlite3_open_v2(path, &db->h,
	        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	        NULL) != SQLITE_OK) {
		err_set(e, ERR_INTERNAL, "open %s: %s", path, sqlite3_errmsg(db->h));
		goto fail;
	}
	sqlite3_busy_timeout(db->h, 5000);
	if ((db->path = strdup(path)) == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto fail;
	}
	if (sqlite3_exec(db->h,
	        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;"
	        "PRAGMA synchronous = NORMAL;",
	        NULL, NULL, &msg) != SQLITE_OK) {
		err_set(e, ERR_INTERNAL, "%s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		goto fail;
	}
	if (db_migrate(db, e) == -1)
		goto fail;
	return (db);
fail:
	db_close(db);
	return (NULL);
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	for (int i = 0; i < db->ncache; i++)
		sqlite3_finalize(db->cache[i].stmt);
	sqlite3_close(db->h);
	free(db->path);
	free(db);
}

static int db_simple(struct db *db, const char *sql, struct lw_err *e);

/* Commits made by any writer connection: moves after each is visible to readers. */
static atomic_uint_fast64_t generation;

/* ---- read connections: one per thread, read-only, on the same WAL file ---- */

static __thread struct db *reader;
static __thread int reading; /* db_read_begin depth */
static pthread_key_t reader_key;
static pthread_once_t reader_once = PTHREAD_ONCE_INIT;

static void
reader_close(void *arg)
{
	db_close(arg);
}

static void
reader_key_make(void)
{
	pthread_key_create(&reader_key, reader_close);
}

static struct db *
reader_open(const struct db *w, struct lw_err *e)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		return (NULL);
	}
	if (sqlite3_open_v2(w->path, &db->h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	        SQLITE_OK ||
	    sqlite3_exec(db->h, "PRAGMA query_only = ON;", NULL, NULL, NULL) != SQLITE_OK) {
		err_set(e, ERR_INTERNAL, "open %s to read: %s", w->path, sqlite3_errmsg(db->h));
		db_close(db);
		return (NULL);
	}
	sqlite3_busy_timeout(db->h, 5000);
	pthread_once(&reader_once, reader_key_make);
	pthread_setspecific(reader_key, db); /* closed when the thread ends */
	return (db);
}

int
db_read_begin(struct db *w, struct lw_err *e)
{
	if (reading++ > 0)
		return (0);
	if ((reader == NULL && (reader = reader_open(w, e)) == NULL) ||
	    db_exec(reader, e, "BEGIN", "") == -1) {
		reading = 0;
		return (-1);
	}
	return (0);
}

void
db_read_end(void)
{
	if (reading == 0 || --reading > 0)
		return;
	db_exec(reader, NULL, "COMMIT", "");
}

struct db *
db_current(struct db *w)
{
	return (reading > 0 && !lw_lock_held() ? reader : w);
}

int
db_schema_version(struct db *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version;", -1, &st, NULL) != SQLITE_OK)
		return (-1);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return (v);
}

static int
db_simple(struct db *db, const char *sql, struct lw_err *e)
{
	if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
		return (err_set(e, ERR_INTERNAL, "%s: %s", sql, sqlite3_errmsg(db->h)));
	return (0);
}

int
db_begin(struct db *db, struct lw_err *e)
{
	return (db_simple(db, "BEGIN IMMEDIATE;", e));
}

int
db_commit(struct db *db, struct lw_err *e)
{
	if (db_simple(db, "COMMIT;", e) == -1)
		return (-1);
	atomic_fetch_add(&generation, 1);
	return (0);
}

uint64_t
db_generation(void)
{
	return (atomic_load(&generation));
}

void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK;", NULL, NULL, NULL);
}

static sqlite3_stmt *
db_stmt(struct db *db, const char *sql, struct lw_err *e)
{
	sqlite3_stmt *st;

	for (int i = 0; i < db->ncache; i++)
		if (db->cache[i].sql == sql)
			return (db->cache[i].stmt);
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		err_set(e, ERR_INTERNAL, "prepare: %s", sqlite3_errmsg(db->h));
		return (NULL);
	}
	if (db->ncache < DB_STMT_CACHE) {
		db->cache[db->ncache].sql = sql;
		db->cache[db->ncache++].stmt = st;
	} else {
		log_warnx("db: statement cache full");
	}
	return (st);
}

static void
db_stmt_done(struct db *db, sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (int i = 0; i < db->ncache; i++)
		if (db->cache[i].stmt == st)
			return;
	sqlite3_finalize(st);
}

static int
db_bind(sqlite3_stmt *st, const char *fmt, va_list ap)
{
	int i = 1, rc = SQLITE_OK;

	for (const char *f = fmt; f && *f && rc == SQLITE_OK; f++, i++) {
		const char *s;

		switch (*f) {
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'I':
			rc = sqlite3_bind_int(st, i, va_arg(ap, int));
			break;
		case 'd':
			rc = sqlite3_bind_double(st, i, va_arg(ap, double));
			break;
		case 's':
			s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT)
			       : sqlite3_bind_null(st, i);
			break;
		case 'n':
			rc = sqlite3_bind_null(st, i);
			break;
		default:
			return (SQLITE_MISUSE);
		}
	}
	return (rc);
}

static sqlite3_stmt *
db_start(struct db *db, struct lw_err *e, const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *st;

	if ((st = db_stmt(db, sql, e)) == NULL)
		return (NULL);
	if (db_bind(st, fmt, ap) != SQLITE_OK) {
		err_set(e, ERR_INTERNAL, "bind: %s", sqlite3_errmsg(db->h));
		db_stmt_done(db, st);
		return (NULL);
	}
	return (st);
}

static int
db_vexec(struct db *db, struct lw_err *e, const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = db_start(db, e, sql, fmt, ap)) == NULL)
		return (-1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	db_stmt_done(db, st);
	if (rc != SQLITE_DONE)
		return (err_set(e, db_errcode(rc), "%s", sqlite3_errmsg(db->h)));
	if (sqlite3_changes(db->h) > 0 && sqlite3_get_autocommit(db->h))
		atomic_fetch_add(&generation, 1); /* committed, and visible to readers now */
	return (sqlite3_changes(db->h));
}

int
db_exec(struct db *db, struct lw_err *e, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = db_vexec(db, e, sql, fmt, ap);
	va_end(ap);
	return (r);
}

int64_t
db_insert(struct db *db, struct lw_err *e, const char *sql, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = db_vexec(db, e, sql, fmt, ap);
	va_end(ap);
	if (r == -1)
		return (-1);
	return (sqlite3_last_insert_rowid(db->h));
}

static json_t *
db_column(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return (json_integer(sqlite3_column_int64(st, i)));
	case SQLITE_FLOAT:
		return (json_real(sqlite3_column_double(st, i)));
	case SQLITE_TEXT:
		return (json_stringn(
		    (const char *)sqlite3_column_text(st, i), (size_t)sqlite3_column_bytes(st, i)));
	default:
		return (json_null());
	}
}

static json_t *
db_vrows(struct db *db, struct lw_err *e, int limit, const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *st;
	json_t *rows;
	int rc = SQLITE_DONE;

	if ((st = db_start(db, e, sql, fmt, ap)) == NULL)
		return (NULL);
	rows = json_array();
	while ((limit == 0 || (int)json_array_size(rows) < limit) &&
	    (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_object();

		for (int i = 0; i < sqlite3_column_count(st); i++)
			json_object_set_new(row, sqlite3_column_name(st, i), db_column(st, i));
		json_array_append_new(rows, row);
	}
	if (limit == 0 && rc != SQLITE_DONE) {
		err_set(e, ERR_INTERNAL, "%s", sqlite3_errmsg(db->h));
		json_decref(rows);
		rows = NULL;
	}
	db_stmt_done(db, st);
	return (rows);
}

json_t *
db_rows(struct db *db, struct lw_err *e, const char *sql, const char *fmt, ...)
{
	va_list ap;
	json_t *r;

	va_start(ap, fmt);
	r = db_vrows(db, e, 0, sql, fmt, ap);
	va_end(ap);
	return (r);
}

int
db_each(struct db *db, struct lw_err *e, void (*fn)(json_t *row, void *arg), void *arg,
    const char *sql, const char *fmt, ...)
{
	va_list ap;
	json_t *rows, *row;
	size_t i;
	int n;

	va_start(ap, fmt);
	rows = db_vrows(db, e, 0, sql, fmt, ap);
	va_end(ap);
	if (rows == NULL)
		return (-1);
	json_array_foreach(rows, i, row)
		fn(row, arg);
	n = (int)json_array_size(rows);
	json_decref(rows);
	return (n);
}

json_t *
db_row(struct db *db, struct lw_err *e, const char *sql, const char *fmt, ...)
{
	va_list ap;
	json_t *rows, *row = NULL;

	va_start(ap, fmt);
	rows = db_vrows(db, e, 1, sql, fmt, ap);
	va_end(ap);
	if (rows == NULL)
		return (NULL);
	if (json_array_size(rows) > 0)
		row = json_incref(json_array_get(rows, 0));
	else
		err_set(e, ERR_NOT_FOUND, "no such row");
	json_decref(rows);
	return (row);
}

int64_t
db_int(struct db *db, int64_t dflt, const char *sql, const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *st;
	int64_t v = dflt;

	va_start(ap, fmt);
	st = db_start(db, NULL, sql, fmt, ap);
	va_end(ap);
	if (st == NULL)
		return (dflt);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	db_stmt_done(db, st);
	return (v);
}

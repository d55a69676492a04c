/*
 * db - the SQLite store: schema and migrations (PRAGMA user_version), WAL,
 * foreign keys, and the store API. SQL runs only through prepared statements
 * with bound parameters; rows come back as jansson objects keyed by column.
 * It holds no rule about what the rows mean: the statements are its
 * callers' (db/'s table modules, labs/, core/run/state.c), and it includes
 * nothing above core/base.
 *
 * Bind formats: one character per argument: 'i' int64_t, 'I' int (promoted), 'd' double,
 * 's' const char * (NULL binds SQL NULL), 'n' SQL NULL (no argument).
 * The connection is not thread-safe by itself: callers hold lw_lock().
 * Reads need not: between db_read_begin and db_read_end a thread's
 * db_current(writer) is its own read-only connection to the same WAL file,
 * one snapshot for the whole section (unless the thread takes lw_lock(),
 * which sends its calls to the writer again). Callers name their
 * connection db_current(lw.db).
 */
#ifndef LW_DB_H
#define LW_DB_H

#include <jansson.h>
#include <stdint.h>

#include "core/base/err.h"

struct db;

/* db_open - open (creating) path, apply pragmas and migrations; NULL with e on failure. */
struct db *db_open(const char *path, struct lw_err *e);
void db_close(struct db *db);
/* db_schema_version - the PRAGMA user_version after migrations. */
int db_schema_version(struct db *db);

/*
 * db_read_begin - this thread's store calls read its own connection, in one
 * read transaction, until the matching db_read_end (sections nest); 0 or
 * -1 with e.
 */
int db_read_begin(struct db *writer, struct lw_err *e);
void db_read_end(void);
/* db_current - the connection for this thread's next call: its reader in a read section, else
 * writer. */
struct db *db_current(struct db *writer);

/*
 * db_generation - moves after every commit (a transaction, or a write
 * outside one), once readers can see it: what was read in a section begun
 * after generation g was read holds every commit up to g.
 */
uint64_t db_generation(void);

int db_begin(struct db *db, struct lw_err *e);
int db_commit(struct db *db, struct lw_err *e);
void db_rollback(struct db *db);

/*
 * db_exec - run a statement; returns the number of changed rows, or -1 with
 * e set (a UNIQUE/FOREIGN KEY violation is ERR_CONFLICT, else ERR_INTERNAL).
 */
int db_exec(struct db *db, struct lw_err *e, const char *sql, const char *fmt, ...);
/* db_insert - like db_exec for an INSERT; returns the new rowid or -1. */
int64_t db_insert(struct db *db, struct lw_err *e, const char *sql, const char *fmt, ...);
/* db_rows - every row as a JSON array of objects (new reference); NULL with e on error. */
json_t *db_rows(struct db *db, struct lw_err *e, const char *sql, const char *fmt, ...);
/*
 * db_each - fn(row, arg) for every row (borrowed), all read before the
 * first call, so fn may change the table; how many, or -1 with e.
 */
int db_each(struct db *db, struct lw_err *e, void (*fn)(json_t *row, void *arg), void *arg,
    const char *sql, const char *fmt, ...);
/* db_row - the first row (new reference), or NULL: e->code ERR_NOT_FOUND when there is none. */
json_t *db_row(struct db *db, struct lw_err *e, const char *sql, const char *fmt, ...);
/* db_int - the first column of the first row as an integer, or dflt when there is no row. */
int64_t db_int(struct db *db, int64_t dflt, const char *sql, const char *fmt, ...);

#endif

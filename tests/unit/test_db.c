/* The store: migrations, pragmas, constraints, rows as JSON, persistence. */
#include <stdlib.h>
#include <unistd.h>

#include "core/base/config.h"
#include "db/db.h"
#include "test.h"

int
main(void)
{
	char dir[] = "/tmp/lwdbtest.XXXXXX", path[128], cmd[160];
	struct lw_err e = {0};
	struct db *db;
	json_t *rows, *row;
	int64_t lab;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.db", dir);
	db = db_open(path, &e);
	CHECK(db != NULL);
	CHECK(db_schema_version(db) == 13);
	CHECK(db_int(db, -1, "PRAGMA foreign_keys", "") == 1);
	row = db_row(db, &e, "PRAGMA journal_mode", "");
	CHECK_STR(json_string_value(json_object_get(row, "journal_mode")), "wal");
	json_decref(row);

	lab = db_insert(
	    db, &e, "INSERT INTO labs (name, created_at) VALUES (?, ?)", "si", "l1", (int64_t)1);
	CHECK(lab > 0);
	/* A duplicate name is a conflict, and nothing changes. */
	CHECK(db_insert(db, &e, "INSERT INTO labs (name, created_at) VALUES (?, ?)", "si", "l1",
	          (int64_t)2) == -1 &&
	    e.code == ERR_CONFLICT);
	CHECK(db_int(db, 0, "SELECT COUNT(*) FROM labs", "") == 1);
	/* Foreign keys hold: a node of a missing lab is refused. */
	CHECK(db_exec(db, &e,
	          "INSERT INTO nodes (lab_id, name, template, arch, cpus, ram_mb, nics,"
	          " console_port) VALUES (999, 'n', 't', 'x86_64', 1, 64, 1, 5000)",
	          "") == -1);
	/* A rolled-back transaction leaves nothing. */
	CHECK(db_begin(db, &e) == 0);
	CHECK(db_insert(db, &e, "INSERT INTO labs (name, created_at) VALUES (?, ?)", "si", "l2",
	          (int64_t)3) > 0);
	db_rollback(db);
	CHECK(db_int(db, 0, "SELECT COUNT(*) FROM labs", "") == 1);
	/* Bound parameters: a hostile string is only data. */
	CHECK(db_insert(db, &e, "INSERT INTO labs (name, created_at) VALUES (?, ?)", "si",
	          "x'); DROP TABLE labs; --", (int64_t)4) > 0);
	rows = db_rows(db, &e, "SELECT id, name FROM labs ORDER BY id", "");
	CHECK(json_array_size(rows) == 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 0), "name")), "l1");
	json_decref(rows);
	CHECK(db_row(db, &e, "SELECT id FROM labs WHERE name = ?", "s", "none") == NULL &&
	    e.code == ERR_NOT_FOUND);

	/* Reads: the thread's own read-only connection, one snapshot per section. */
	CHECK(db_current(db) == db);
	CHECK(db_read_begin(db, &e) == 0);
	CHECK(db_current(db) != db);
	CHECK(db_int(db_current(db), 0, "SELECT COUNT(*) FROM labs", "") == 2);
	/* The snapshot holds while the writer commits more, */
	CHECK(db_insert(db, &e, "INSERT INTO labs (name, created_at) VALUES (?, ?)", "si", "l3",
	          (int64_t)5) > 0);
	CHECK(db_int(db_current(db), 0, "SELECT COUNT(*) FROM labs", "") == 2);
	/* and it cannot write. */
	CHECK(db_exec(db_current(db), &e, "DELETE FROM labs", "") == -1);
	CHECK(db_int(db, 0, "SELECT COUNT(*) FROM labs", "") == 3);
	/* Sections nest; holding lw_lock() sends the calls to the writer. */
	CHECK(db_read_begin(db, &e) == 0);
	db_read_end();
	CHECK(db_current(db) != db);
	lw_lock();
	CHECK(db_current(db) == db);
	lw_unlock();
	db_read_end();
	CHECK(db_current(db) == db);
	/* The next section sees the commit. */
	CHECK(db_read_begin(db, &e) == 0);
	CHECK(db_int(db_current(db), 0, "SELECT COUNT(*) FROM labs", "") == 3);
	db_read_end();
	db_close(db);

	/* Reopen: the same ids, no second migration. */
	db = db_open(path, &e);
	CHECK(db != NULL);
	CHECK(db_schema_version(db) == 13);
	CHECK(db_int(db, -1, "SELECT id FROM labs WHERE name = 'l1'", "") == lab);
	db_close(db);
	snprintf(cmd, sizeof(cmd), "%s/t.db", dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/t.db-wal", dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/t.db-shm", dir);
	unlink(cmd);
	rmdir(dir);
	TEST_DONE();
}

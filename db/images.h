/*
 * db/images - the images table: one row per image in the store (name,
 * template, upload state, format, sizes, SHA-256), and which nodes use an
 * image. It owns only these statements (prepared, through db/db.c); it must
 * not touch the files of the store or decide what an upload may do (that is
 * images/store.c), and includes nothing above db/. Callers hold lw_lock().
 */
#ifndef LW_DB_IMAGES_H
#define LW_DB_IMAGES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"
#include "db/db.h"

/* What the store needs to use or remove an image. */
struct db_image {
	int64_t id;      /* names the file: data_dir/images/<id> */
	char state[16];  /* uploading | ready */
	char format[16]; /* "" until ready */
};

/*
 * db_image_insert - record a new upload ("uploading"); tmpl may be NULL.
 * The new id, or -1 with e (ERR_CONFLICT when the name is taken).
 */
int64_t db_image_insert(struct db *db, const char *name, const char *tmpl, int64_t expected,
    int64_t created_at, struct lw_err *e);
/* db_image_set_size - the bytes received so far; 0 or -1 with e. */
int db_image_set_size(struct db *db, int64_t id, int64_t size, struct lw_err *e);
/* db_image_publish - mark an upload ready with what inspection found; 0, or -1 with e. */
int db_image_publish(struct db *db, int64_t id, const char *fmt, int64_t virtual_size, int64_t size,
    const char *sha256, struct lw_err *e);
/* db_image_delete - remove the record; 0 or -1 with e. */
int db_image_delete(struct db *db, int64_t id, struct lw_err *e);
/* db_image_find - by name into out; 0, or -1 with e (ERR_NOT_FOUND when there is none). */
int db_image_find(struct db *db, const char *name, struct db_image *out, struct lw_err *e);
/*
 * The image as the API shows it: {"id","name","template","state","format",
 * "virtual_size","size","expected","sha256","created_at"} (new references).
 * db_image_json_by_id and db_image_json fail with ERR_NOT_FOUND when there is no row.
 */
json_t *db_image_json_by_id(struct db *db, int64_t id, struct lw_err *e);
json_t *db_image_json(struct db *db, const char *name, struct lw_err *e);
/* db_image_json_all - every image, by name, as an array; NULL with e. */
json_t *db_image_json_all(struct db *db, struct lw_err *e);
/* db_image_used_by - how many nodes run on name (as their disk or CD-ROM); 0 on error. */
int64_t db_image_used_by(struct db *db, const char *name);
/*
 * db_image_first_user - the lab and node of the first node (by lab, node)
 * that uses name; returns 0 (none), 1 (only that one), 2 (it and others),
 * or -1 with e.
 */
int db_image_first_user(struct db *db, const char *name, char *lab, size_t lablen, char *node,
    size_t nodelen, struct lw_err *e);
/*
 * db_image_newest_ready - the newest ready image recorded for template tmpl
 * whose name ends in .iso (iso) or does not (!iso), into name; 0 or -1.
 */
int db_image_newest_ready(struct db *db, const char *tmpl, bool iso, char *name, size_t len);
/*
 * db_image_each_unfinished - fn(id, name, arg) for every image not ready
 * (an upload a previous daemon left); fn may delete it. The count, or -1.
 */
int db_image_each_unfinished(
    struct db *db, void (*fn)(int64_t id, const char *name, void *arg), void *arg);

#endif

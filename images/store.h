/*
 * store - the image store: disk images users upload (IOSv, CSR1000v, cloud
 * images ...), kept under data_dir/images/<id> (paths from ids, never from
 * names), checked with SHA-256 and `qemu-img info`/`check`, and the linked
 * clones nodes run on (a qcow2 overlay per node, O(1) to create). Its rows
 * are db/images.c's: it runs no SQL of its own. It knows no HTTP or lab: an
 * upload is fed bytes, not a connection, and takes lw_lock() only to update
 * its record, never while it hashes, writes or runs qemu-img.
 *
 * An upload streams to disk: begin (validates, records the image as
 * "uploading"), write (any number of chunks, hashed as they arrive), then
 * finish (inspects and publishes it) or abort (removes every trace).
 */
#ifndef LW_STORE_H
#define LW_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"

struct upload;

/* store_upload_begin - takes lw_lock itself; NULL with e (422 name, 409 taken, 413 size). */
struct upload *store_upload_begin(
    const char *name, const char *tmpl, uint64_t expected, struct lw_err *e);
/* store_upload_write - append a chunk (no lock held); 0 or -1 with e. */
int store_upload_write(struct upload *u, const void *data, size_t len, struct lw_err *e);
/* store_upload_finish - inspect and publish; the image object (new ref) or NULL with e. Frees u. */
json_t *store_upload_finish(struct upload *u, struct lw_err *e);
/* store_upload_abort - remove the partial file and its record. Frees u. */
void store_upload_abort(struct upload *u);

/* store_list - {"images":[...]}; caller holds lw_lock() or reads (db_read_begin). */
/* The bytes at an image's start that store_sniff reads. */
#define STORE_SNIFF_LEN 512
/*
 * store_sniff - an uploaded image's format from its first n bytes (head),
 * before any tool opens the file: qemu-img must never probe an untrusted
 * file, since some formats (a VMDK descriptor, a qcow2 with a backing or
 * data file) name other files, which qemu-img would open as root. Formats
 * that can name other files are refused here, or checked in their header.
 * The format ("qcow2", "raw", ...) goes to fmt; 0, or -1 with e (ERR_INVALID).
 */
int store_sniff(const unsigned char *head, size_t n, char *fmt, size_t fmtlen, struct lw_err *e);

json_t *store_list(struct lw_err *e);
/* store_get - one image by name (new ref) or NULL with e (404). */
json_t *store_get(const char *name, struct lw_err *e);
/* store_delete - 409 while a node uses it. Caller holds lw_lock(). */
int store_delete(const char *name, struct lw_err *e);
/* store_ready - a usable image's path and format; 0, or -1 with e (422 unknown/not ready). */
int store_ready(
    const char *name, char *path, size_t len, char *fmt, size_t fmtlen, struct lw_err *e);
/*
 * store_default_image - the newest ready image uploaded for template (into
 * name), or -1: an ISO (name ending .iso) when iso, else any other.
 */
int store_default_image(const char *tmpl, bool iso, char *name, size_t len);
/* store_overlay - create overlay, a qcow2 backed by base (format fmt), as node's user; 0 or -1 with
 * e. */
int store_overlay(
    int64_t node, const char *base, const char *fmt, const char *overlay, struct lw_err *e);
/* store_cleanup - remove uploads a previous daemon left half-done. Caller holds lw_lock(). */
void store_cleanup(void);

#endif

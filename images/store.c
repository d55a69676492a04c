/*
 * store - the image store and linked clones.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/events.h"
#include "core/base/log.h"
#include "core/base/names.h"
#include "core/base/paths.h"
#include "core/base/spawn.h"
#include "hv/jail.h"
#include "db/images.h"
#include "images/store.h"
#include "images/template.h"

#define DB db_current(lw.db)
#define PROGRESS_MS 500
#define SPACE_CHECK (8u << 20) /* an upload looks at the free space again every 8 MiB */

struct upload {
	int64_t id;
	int fd;
	EVP_MD_CTX *md;
	uint64_t expected, got;
	uint64_t checked; /* got when the free space was last checked */
	int64_t reported_ms;
	char name[64];
	char part[PATH_MAX];
};

static void
store_dir(char *buf, size_t len)
{
	snprintf(buf, len, "%s/images", lw.cfg.data_dir);
}

static void
store_path(char *buf, size_t len, int64_t id, const char *suffix)
{
	snprintf(buf, len, "%s/images/%lld%s", lw.cfg.data_dir, (long long)id, suffix);
}

/*
 * run - argv (no shell) with stdout+stderr into out_path; its exit status,
 * or -1 (not started, or killed after timeout_s: a tool must never hang an
 * upload).
 */
/* Uploaded images are read by qemu-img as no node's user, under the tools' limits. */
static const struct jail_req store_reader = {.kind = JAIL_IMAGE};

static int
run(const struct jail_req *who, char *const argv[], const char *out_path, int timeout_s)
{
	int pidfd, r, out;
	pid_t pid;

	if ((out = spawn_log_open(out_path)) == -1)
		return (-1);
	pid = jail_spawn(who, argv, NULL, 0, out, &pidfd);
	spawn_close_keep_errno(out);
	if (pid == -1)
		return (-1);
	if ((r = jail_wait(pid, pidfd, timeout_s * 1000)) == -1 && errno == ETIMEDOUT) {
		log_warnx("%s %s: no answer in %d s, killed", argv[0], argv[1], timeout_s);
		errno = ETIMEDOUT;
	}
	return (r);
}

static uint32_t
be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

int
store_sniff(const unsigned char *head, size_t n, char *fmt, size_t fmtlen, struct lw_err *e)
{
	unsigned char h[STORE_SNIFF_LEN] = {0}; /* zeroes past the file's end */

	memcpy(h, head, n < sizeof(h) ? n : sizeof(h));
	if (memcmp(h, "QFI\xfb", 4) == 0) {
		/*
		 * qcow2: backing_file_offset (8..15) must be 0; v3 incompatible
		 * bit 2 is a data file.
		 */
		for (int i = 8; i < 16; i++)
			if (h[i] != 0)
				return (err_set(e, ERR_INVALID,
				    "the image names a backing file; upload a standalone image "
				    "(qemu-img convert -O qcow2 IN OUT)"));
		if (be32(h + 4) >= 3 && n >= 80 && (h[79] & 0x04))
			return (err_set(e, ERR_INVALID,
			    "the image names an external data file; upload a standalone image"));
		snprintf(fmt, fmtlen, "qcow2");
	} else if (memcmp(h, "KDMV", 4) == 0) {
		/* A sparse extent: one file; its create-type is checked after. */
		snprintf(fmt, fmtlen, "vmdk");
	} else if (memcmp(h, "# Disk DescriptorFile", 21) == 0 || memcmp(h, "COWD", 4) == 0) {
		return (err_set(e, ERR_INVALID,
		    "a VMDK descriptor names other files; upload a single-file VMDK "
		    "(monolithicSparse or streamOptimized) or convert it "
		    "(qemu-img convert -O qcow2 IN OUT)"));
	} else if (n >= 68 && memcmp(h + 64, "\x7f\x10\xda\xbe", 4) == 0) {
		snprintf(fmt, fmtlen, "vdi");
	} else if (memcmp(h, "vhdxfile", 8) == 0) {
		snprintf(fmt, fmtlen, "vhdx");
	} else if (memcmp(h, "conectix", 8) == 0) {
		snprintf(fmt, fmtlen, "vpc");
	} else if (memcmp(h, "QED\0", 4) == 0 || memcmp(h, "LUKS\xba\xbe", 6) == 0 ||
	    memcmp(h, "QEVM", 4) == 0 || memcmp(h, "cloop", 5) == 0) {
		return (err_set(e, ERR_INVALID,
		    "this image format is not supported (qcow2, raw, vmdk, vdi, vhdx, vpc)"));
	} else {
		snprintf(fmt, fmtlen, "raw");
	}
	return (0);
}

/*
 * sniff - the format from the file's first bytes (store_sniff), before any
 * tool opens it. 0, or -1 with e.
 */
static int
sniff(const char *path, char *fmt, size_t fmtlen, struct lw_err *e)
{
	unsigned char h[STORE_SNIFF_LEN];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (err_set(e, ERR_INTERNAL, "%s: %s", path, strerror(errno)));
	n = pread(fd, h, sizeof(h), 0);
	close(fd);
	if (n < 0)
		return (err_set(e, ERR_INTERNAL, "reading the image: %s", strerror(errno)));
	return (store_sniff(h, (size_t)n, fmt, fmtlen, e));
}

/* first_line - the first line of a tool's output file, for an error message. */
static void
first_line(const char *path, char *buf, size_t len)
{
	int fd = paths_open_plain(path, O_RDONLY, 0);
	FILE *f = fd != -1 ? fdopen(fd, "r") : NULL;

	buf[0] = '\0';
	if (fd != -1 && f == NULL)
		close(fd);
	if (f != NULL) {
		if (fgets(buf, (int)len, f) != NULL)
			buf[strcspn(buf, "\n")] = '\0';
		fclose(f);
	}
}

static json_t *
image_render(json_t *row)
{
	json_object_set_new(row, "used_by",
	    json_integer(db_image_used_by(DB, json_string_value(json_object_get(row, "name")))));
	json_object_del(row, "id");
	return (row);
}

static void
image_event(const char *name, const char *state, uint64_t size, uint64_t expected)
{
	events_publish("image", 0,
	    json_pack("{s:s,s:s,s:I,s:I}", "name", name, "state", state, "size", (json_int_t)size,
	        "expected", (json_int_t)expected));
}

/*
 * store_room - does the store have room for need more bytes and still
 * --image-reserve-mb free? 0, or -1 with ERR_NO_SPACE (507). Other uploads
 * and nodes' disks share the file system: an upload asks again as it
 * streams, not only at its start.
 */
static int
store_room(uint64_t need, struct lw_err *e)
{
	char dir[PATH_MAX];
	struct statvfs vfs;
	uint64_t avail, reserve = (uint64_t)lw.cfg.image_reserve_mb << 20;

	store_dir(dir, sizeof(dir));
	if (statvfs(dir, &vfs) == -1)
		return (0); /* no answer: the writes themselves will tell */
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (avail >= need + reserve)
		return (0);
	err_set(e, ERR_NO_SPACE,
	    "not enough free space for the image: %llu MiB free, %llu MiB more needed plus "
	    "%ld MiB kept free (--image-reserve-mb)",
	    (unsigned long long)(avail >> 20), (unsigned long long)((need + (1 << 20) - 1) >> 20),
	    lw.cfg.image_reserve_mb);
	err_num(e, "free_bytes", (long long)avail);
	return (err_num(e, "needed_bytes", (long long)need));
}

/* upload_check - the name, the size, and room for it in the store; 0 or -1 with e. */
static int
upload_check(const char *name, uint64_t expected, struct lw_err *e)
{
	char dir[PATH_MAX];

	if (name == NULL || !names_valid(name))
		return (err_set(e, ERR_INVALID,
		    "image name '%.64s' is not valid (1-63 of A-Z a-z 0-9 _ . -, starting with a "
		    "letter or digit, no '..', not all digits)",
		    name ? name : ""));
	if (expected == 0)
		return (err_set(e, ERR_BAD_REQUEST,
		    "an image upload needs a Content-Length and a non-empty body"));
	if (expected > (uint64_t)lw.cfg.max_image_mb << 20)
		return (err_set(e, ERR_TOO_LARGE, "image larger than %ld MiB (--max-image-mb)",
		    lw.cfg.max_image_mb));
	store_dir(dir, sizeof(dir));
	/* Others may pass, not list: every node's QEMU reads its base image here. */
	if (mkdir(dir, PATHS_DIR_MODE) == -1 && errno != EEXIST)
		return (err_set(e, ERR_INTERNAL, "mkdir %s: %s", dir, strerror(errno)));
	return (store_room(expected, e));
}

struct upload *
store_upload_begin(const char *name, const char *tmpl, uint64_t expected, struct lw_err *e)
{
	struct upload *u;

	if (upload_check(name, expected, e) == -1)
		return (NULL);
	if ((u = calloc(1, sizeof(*u))) == NULL || (u->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1) {
		if (u != NULL)
			EVP_MD_CTX_free(u->md);
		free(u);
		err_set(e, ERR_INTERNAL, "out of memory");
		return (NULL);
	}
	u->fd = -1;
	u->expected = expected;
	snprintf(u->name, sizeof(u->name), "%s", name);
	lw_lock();
	if (tmpl != NULL && tmpl[0] != '\0' && template_find(tmpl) == NULL)
		err_set(e, ERR_INVALID, "unknown template '%.64s'", tmpl);
	else if ((u->id = db_image_insert(DB, name, tmpl != NULL && tmpl[0] ? tmpl : NULL,
	              (int64_t)expected, (int64_t)time(NULL), e)) == -1 &&
	    e->code == ERR_CONFLICT)
		err_set(e, ERR_CONFLICT, "an image named '%s' already exists", name);
	lw_unlock();
	if (e->code != ERR_NONE) {
		u->id = 0;
		store_upload_abort(u);
		return (NULL);
	}
	store_path(u->part, sizeof(u->part), u->id, ".part");
	/* 0644: nodes read base images as their own users, and so does qemu-img's check. */
	if ((u->fd = open(u->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) == -1 ||
	    fchmod(u->fd, 0644) == -1) { /* past the daemon's umask */
		err_set(e, ERR_INTERNAL, "%s: %s", u->part, strerror(errno));
		store_upload_abort(u);
		return (NULL);
	}
	log_info("image %s: upload of %llu bytes started", name, (unsigned long long)expected);
	image_event(u->name, "uploading", 0, expected);
	return (u);
}

int
store_upload_write(struct upload *u, const void *data, size_t len, struct lw_err *e)
{
	const char *p = data;
	int64_t now;

	if (u->got + len > u->expected)
		return (err_set(e, ERR_TOO_LARGE, "the body is longer than its Content-Length"));
	if (u->got - u->checked >= SPACE_CHECK) {
		u->checked = u->got;
		if (store_room(u->expected - u->got, e) == -1)
			return (-1);
	}
	EVP_DigestUpdate(u->md, data, len);
	while (len > 0) {
		ssize_t n = TEMP_FAILURE_RETRY(write(u->fd, p, len));

		if (n == -1 && (errno == ENOSPC || errno == EDQUOT))
			return (
			    err_set(e, ERR_NO_SPACE, "the disk is full: the image does not fit"));
		if (n == -1)
			return (err_set(e, ERR_INTERNAL, "writing the image: %s", strerror(errno)));
		p += n;
		len -= (size_t)n;
		u->got += (uint64_t)n;
	}
	if ((now = clock_mono_ms()) - u->reported_ms >= PROGRESS_MS) {
		struct lw_err de = {0};
		int r;

		u->reported_ms = now;
		lw_lock();
		r = db_image_set_size(DB, u->id, (int64_t)u->got, &de);
		lw_unlock();
		/* Progress is advisory: the upload goes on without it. */
		if (r == -1)
			log_warnx("image %s: progress not recorded: %s", u->name, de.msg);
		image_event(u->name, "uploading", u->got, u->expected);
	}
	return (0);
}

void
store_upload_abort(struct upload *u)
{
	if (u == NULL)
		return;
	if (u->fd != -1)
		close(u->fd);
	if (u->part[0] != '\0')
		unlink(u->part);
	if (u->id > 0) {
		struct lw_err de = {0};
		int r;

		lw_lock();
		r = db_image_delete(DB, u->id, &de);
		lw_unlock();
		if (r == -1)
			log_warnx("image %s: its record stays (a restart removes it): %s", u->name,
			    de.msg);
		image_event(u->name, "removed", u->got, u->expected);
		log_info("image %s: upload abandoned after %llu of %llu bytes", u->name,
		    (unsigned long long)u->got, (unsigned long long)u->expected);
	}
	EVP_MD_CTX_free(u->md);
	free(u);
}

/*
 * vsize_check - a virtual size within --image-max-virtual-gb: a qcow2 of a
 * few KiB may claim 100 TiB, which every overlay and guest write would
 * then be free to fill. 0 or -1 with ERR_INVALID.
 */
static int
vsize_check(int64_t vsize, struct lw_err *e)
{
	int64_t most = (int64_t)lw.cfg.image_virtual_gb << 30;

	if (vsize > 0 && vsize <= most)
		return (0);
	err_set(e, ERR_INVALID,
	    "the image's virtual size is %lld bytes (%lld GiB); at most %ld GiB is allowed "
	    "(--image-max-virtual-gb)",
	    (long long)vsize, (long long)(vsize >> 30), lw.cfg.image_virtual_gb);
	return (err_num(e, "limit", most));
}

/*
 * inspect - what QEMU makes of the file: its format and virtual size, and
 * nothing that would make QEMU open another file (a backing file, a qcow2
 * external data file, a VMDK with extents elsewhere). 0 or -1 with e.
 */
static int
inspect(const char *path, char *fmt, size_t fmtlen, int64_t *vsize, struct lw_err *e)
{
	char out[PATH_MAX + 8], line[256], sniffed[16];
	char *info[] = {"qemu-img", "info", "-f", sniffed, "--output=json", (char *)path, NULL};
	json_t *o, *data;
	const char *f, *ct;
	int rc;

	if (sniff(path, sniffed, sizeof(sniffed), e) == -1)
		return (-1);
	snprintf(out, sizeof(out), "%s.info", path);
	rc = run(&store_reader, info, out, (int)lw.cfg.tool_timeout_s);
	if (rc != 0) {
		first_line(out, line, sizeof(line));
		unlink(out);
		return (err_set(e, rc == -1 ? ERR_UNAVAILABLE : ERR_INVALID,
		    rc == -1 ? "cannot run qemu-img" : "QEMU cannot open this image: %s",
		    line[0] ? line : "unknown format"));
	}
	o = json_load_file(out, 0, NULL);
	unlink(out);
	f = json_string_value(json_object_get(o, "format"));
	data = json_object_get(json_object_get(o, "format-specific"), "data");
	ct = json_string_value(json_object_get(data, "create-type"));
	if (o == NULL || f == NULL)
		rc = err_set(e, ERR_INVALID, "qemu-img info gave no format for this image");
	else if (json_object_get(o, "backing-filename") != NULL)
		rc = err_set(e, ERR_INVALID,
		    "the image names a backing file (%.200s); upload a standalone image "
		    "(qemu-img convert -O qcow2 IN OUT)",
		    json_string_value(json_object_get(o, "backing-filename")));
	else if (json_object_get(data, "data-file") != NULL)
		rc = err_set(e, ERR_INVALID,
		    "the image names an external data file; upload a standalone image");
	else if (strcmp(f, "vmdk") == 0 &&
	    (ct == NULL ||
	        (strcmp(ct, "monolithicSparse") != 0 && strcmp(ct, "streamOptimized") != 0)))
		rc = err_set(e, ERR_INVALID,
		    "a VMDK must be a single file (monolithicSparse or streamOptimized), not %s",
		    ct ? ct : "a descriptor");
	else if (strcmp(f, "qcow2") != 0 && strcmp(f, "raw") != 0 && strcmp(f, "vmdk") != 0 &&
	    strcmp(f, "vdi") != 0 && strcmp(f, "vhdx") != 0 && strcmp(f, "vpc") != 0)
		rc = err_set(e, ERR_INVALID,
		    "image format %s is not supported (qcow2, raw, vmdk, vdi, vhdx, vpc)", f);
	if (rc == 0) {
		snprintf(fmt, fmtlen, "%s", f);
		*vsize = json_integer_value(json_object_get(o, "virtual-size"));
		rc = vsize_check(*vsize, e);
	}
	json_decref(o);
	return (rc);
}

/* check - qemu-img check where the format has one: corruption (a truncated file) is refused. */
static int
check(const char *path, const char *fmt, struct lw_err *e)
{
	char out[PATH_MAX + 8], line[256];
	char *argv[] = {"qemu-img", "check", "-q", "-f", (char *)fmt, (char *)path, NULL};
	int rc;

	if (strcmp(fmt, "raw") == 0 || strcmp(fmt, "vpc") == 0)
		return (0);
	snprintf(out, sizeof(out), "%s.check", path);
	rc = run(&store_reader, argv, out, 1800);
	first_line(out, line, sizeof(line));
	unlink(out);
	/* 0 clean, 3 leaked clusters only (harmless), 63 no check for this format. */
	if (rc == 0 || rc == 3 || rc == 63)
		return (0);
	return (err_set(e, ERR_INVALID, "the %s image is damaged or truncated (qemu-img check: %s)",
	    fmt, line[0] ? line : "errors"));
}

/* upload_seal - the SHA-256 (hex) of what arrived; the file synced and closed. 0 or -1 with e. */
static int
upload_seal(struct upload *u, char *hex, struct lw_err *e)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int r = 0;

	EVP_DigestFinal_ex(u->md, md, &mdlen);
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (fdatasync(u->fd) == -1 || close(u->fd) == -1) {
		r = err_set(e, ERR_INTERNAL, "writing the image: %s", strerror(errno));
		if (fcntl(u->fd, F_GETFD) != -1)
			close(u->fd);
	}
	u->fd = -1;
	return (r);
}

json_t *
store_upload_finish(struct upload *u, struct lw_err *e)
{
	char hex[2 * EVP_MAX_MD_SIZE + 1], fmt[16], path[PATH_MAX];
	int64_t vsize = 0;
	json_t *row = NULL;

	if (u->got != u->expected) {
		err_set(e, ERR_BAD_REQUEST, "the upload ended after %llu of %llu bytes",
		    (unsigned long long)u->got, (unsigned long long)u->expected);
		store_upload_abort(u);
		return (NULL);
	}
	if (upload_seal(u, hex, e) == -1) {
		store_upload_abort(u);
		return (NULL);
	}
	image_event(u->name, "checking", u->got, u->expected);
	store_path(path, sizeof(path), u->id, "");
	if (inspect(u->part, fmt, sizeof(fmt), &vsize, e) == -1 || check(u->part, fmt, e) == -1 ||
	    (rename(u->part, path) == -1 &&
	        err_set(e, ERR_INTERNAL, "rename %s: %s", path, strerror(errno)) == -1)) {
		store_upload_abort(u);
		return (NULL);
	}
	lw_lock();
	if (db_image_publish(DB, u->id, fmt, vsize, (int64_t)u->got, hex, e) == 0)
		row = db_image_json_by_id(DB, u->id, e);
	if (row != NULL)
		row = image_render(row);
	lw_unlock();
	if (row == NULL) {
		unlink(path);
		u->part[0] = '\0';
		store_upload_abort(u);
		return (NULL);
	}
	log_info(
	    "image %s: %s, %lld bytes virtual, sha256 %s", u->name, fmt, (long long)vsize, hex);
	image_event(u->name, "ready", u->got, u->expected);
	EVP_MD_CTX_free(u->md);
	free(u);
	return (row);
}

json_t *
store_list(struct lw_err *e)
{
	json_t *rows = db_image_json_all(DB, e), *row;
	size_t i;

	if (rows == NULL)
		return (NULL);
	json_array_foreach(rows, i, row)
		image_render(row);
	return (json_pack("{s:o}", "images", rows));
}

json_t *
store_get(const char *name, struct lw_err *e)
{
	json_t *row = db_image_json(DB, name, e);

	if (row == NULL && e->code == ERR_NOT_FOUND)
		err_set(e, ERR_NOT_FOUND, "no image '%.64s'", name);
	return (row != NULL ? image_render(row) : NULL);
}

int
store_delete(const char *name, struct lw_err *e)
{
	struct db_image img;
	char path[PATH_MAX], lab[64], node[64];
	int users;

	if (db_image_find(DB, name, &img, e) == -1)
		return (e->code == ERR_NOT_FOUND
		        ? err_set(e, ERR_NOT_FOUND, "no image '%.64s'", name)
		        : -1);
	if (strcmp(img.state, "ready") != 0)
		return (err_set(e, ERR_CONFLICT, "image '%s' is still being uploaded", name));
	if ((users = db_image_first_user(DB, name, lab, sizeof(lab), node, sizeof(node), e)) == -1)
		return (-1);
	if (users > 0)
		return (err_set(e, ERR_CONFLICT, "image '%s' is used by node %s in lab %s%s", name,
		    node, lab, users > 1 ? " and others" : ""));
	if (db_image_delete(DB, img.id, e) == -1)
		return (-1);
	store_path(path, sizeof(path), img.id, "");
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("image %s: unlink %s: %s", name, path, strerror(errno));
	events_publish("image", 0, json_pack("{s:s,s:s}", "name", name, "state", "removed"));
	return (0);
}

int
store_ready(const char *name, char *path, size_t len, char *fmt, size_t fmtlen, struct lw_err *e)
{
	struct db_image img;

	if (db_image_find(DB, name, &img, e) == -1)
		return (err_set(e, ERR_INVALID,
		    "no image named '%.64s' (GET /api/v1/images lists them)", name));
	if (strcmp(img.state, "ready") != 0)
		return (err_set(e, ERR_INVALID, "image '%s' is still being uploaded", name));
	store_path(path, len, img.id, "");
	snprintf(fmt, fmtlen, "%s", img.format);
	return (0);
}

int
store_default_image(const char *tmpl, bool iso, char *name, size_t len)
{
	return (db_image_newest_ready(DB, tmpl, iso, name, len));
}

int
store_overlay(
    int64_t node, const char *base, const char *fmt, const char *overlay, struct lw_err *e)
{
	struct jail_req who = {.kind = JAIL_TOOL, .node = node};
	char abs[PATH_MAX], out[PATH_MAX + 8], line[256];
	char *argv[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-F", (char *)fmt, "-b", abs,
	    (char *)overlay, NULL};
	bool timed_out;
	int rc;

	/* The backing path is stored in the overlay: absolute, so a relative data dir works. */
	if (realpath(base, abs) == NULL)
		return (err_set(e, ERR_UNAVAILABLE, "base image %s: %s", base, strerror(errno)));
	snprintf(out, sizeof(out), "%s.log", overlay);
	unlink(overlay);
	rc = run(&who, argv, out, (int)lw.cfg.tool_timeout_s);
	timed_out = rc == -1 && errno == ETIMEDOUT;
	first_line(out, line, sizeof(line));
	unlink(out);
	if (rc != 0)
		return (err_set(e, rc == -1 ? ERR_UNAVAILABLE : ERR_INTERNAL,
		    "cannot create the node's disk overlay: %s",
		    timed_out      ? "qemu-img did not finish in --tool-timeout"
		        : rc == -1 ? "no qemu-img"
		                   : line));
	return (0);
}

/* cleanup_one - whatever step an upload died in: the partial file, the tools' output, a renamed
 * file. */
static void
cleanup_one(int64_t id, const char *name, void *arg)
{
	static const char *const sfx[] = {".part", ".part.info", ".part.check", ""};
	struct lw_err e = {0};
	char path[PATH_MAX];

	(void)arg;
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		store_path(path, sizeof(path), id, sfx[i]);
		unlink(path);
	}
	if (db_image_delete(DB, id, &e) == -1)
		log_warnx("image %s: the record of an unfinished upload stays: %s", name, e.msg);
	else
		log_info("image %s: removed an upload the previous daemon left unfinished", name);
}

void
store_cleanup(void)
{
	db_image_each_unfinished(DB, cleanup_one, NULL);
}

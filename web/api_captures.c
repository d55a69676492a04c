/*
 * api_captures - the Captures section: start/stop captures on a link, their
 * status, the pcap file (or a live stream of it), and the link's ring of
 * recent frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/net/capture.h"
#include "core/base/config.h"
#include "db/db.h"
#include "labs/lab.h"
#include "labs/validate.h"
#include "web/api.h"

#define PCAP_TYPE "application/vnd.tcpdump.pcap"

/* Resolve {lab}, {link} and, when present, {cap} of the path. Caller holds lw_lock(). */
static int
cap_ref(struct api_req *r, int64_t *lab, int64_t *link, int64_t *cap, struct lw_err *e)
{
	char *end;

	if ((*lab = lab_resolve(r->params[0], e)) == -1 ||
	    (*link = lab_link_resolve(*lab, r->params[1], e)) == -1)
		return (-1);
	if (r->nparams < 3)
		return (0);
	*cap = strtoll(r->params[2], &end, 10);
	if (*end != '\0' || *cap <= 0 ||
	    db_int(lw.db, 0, "SELECT COUNT(*) FROM captures WHERE id = ? AND link_id = ?", "ii",
	        *cap, *link) != 1)
		return (err_set(
		    e, ERR_NOT_FOUND, "capture '%.40s' not found on this link", r->params[2]));
	return (0);
}

static void
cap_path(char *buf, size_t len, int64_t lab, int64_t cap)
{
	snprintf(buf, len, "%s/labs/%lld/captures/%lld.pcap", lw.cfg.data_dir, (long long)lab,
	    (long long)cap);
}

/* The stored row, with live counters while it runs. */
static json_t *
cap_json(int64_t cap, struct lw_err *e)
{
	json_t *row = db_row(lw.db, e,
	    "SELECT id, link_id AS link, filter, snaplen, state, packets, bytes, dropped,"
	    " kernel_dropped, created_at FROM captures WHERE id = ?",
	    "i", cap);
	struct capture_stats st;

	if (row == NULL)
		return (NULL);
	if (capture_get(cap, &st) == 0) {
		json_object_set_new(row, "packets", json_integer((json_int_t)st.packets));
		json_object_set_new(row, "bytes", json_integer((json_int_t)st.bytes));
		json_object_set_new(row, "dropped", json_integer((json_int_t)st.dropped));
		json_object_set_new(
		    row, "kernel_dropped", json_integer((json_int_t)st.kernel_dropped));
	}
	return (row);
}

static int
cap_record(int64_t lab, int64_t link, const char *filter, int snaplen, struct lw_err *e)
{
	char path[PATH_MAX], dir[PATH_MAX];
	int64_t cap;

	snprintf(dir, sizeof(dir), "%s/labs/%lld/captures", lw.cfg.data_dir, (long long)lab);
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		snprintf(path, sizeof(path), "%s/labs/%lld", lw.cfg.data_dir, (long long)lab);
		mkdir(path, 0750);
		if (mkdir(dir, 0750) == -1 && errno != EEXIST)
			return (err_set(e, ERR_INTERNAL, "mkdir %s: %s", dir, strerror(errno)));
	}
	cap = db_insert(lw.db, e,
	    "INSERT INTO captures (lab_id, link_id, filter, snaplen, created_at) VALUES "
	    "(?,?,?,?,?)",
	    "iisIi", lab, link, filter, snaplen, (int64_t)time(NULL));
	if (cap == -1)
		return (-1);
	cap_path(path, sizeof(path), lab, cap);
	if (capture_start(cap, link, filter, snaplen, path, e) == -1) {
		db_exec(lw.db, NULL, "DELETE FROM captures WHERE id = ?", "i", cap);
		return (-1);
	}
	return ((int)cap);
}

int
api_captures_create(struct api_req *r, struct lw_err *e)
{
	int64_t lab, link, cap = 0;
	json_t *f, *s;
	const char *filter;
	int snaplen, id;

	if (validate_object(r->body, validate_capture, "capture", e) == -1 ||
	    cap_ref(r, &lab, &link, &cap, e) == -1)
		return (-1);
	f = json_object_get(r->body, "filter");
	s = json_object_get(r->body, "snaplen");
	filter = f ? json_string_value(f) : "";
	snaplen = s ? (int)json_integer_value(s) : 65535;
	/* A bad filter is the user's to fix whatever the lab's state: say so first. */
	if (filter[0] != '\0' && capture_check_filter(filter, snaplen, e) == -1)
		return (-1);
	if (!capture_link_is_up(link))
		return (err_set(e, ERR_CONFLICT,
		    "link %lld is not up: start the lab (or a node on the link) first",
		    (long long)link));
	if ((id = cap_record(lab, link, filter, snaplen, e)) == -1)
		return (-1);
	snprintf(r->location, sizeof(r->location), "/api/v1/labs/%lld/links/%lld/captures/%d",
	    (long long)lab, (long long)link, id);
	api_publish("capture", "started", id, lab);
	return (api_reply(r, 201, cap_json(id, e), e));
}

int
api_captures_list(struct api_req *r, struct lw_err *e)
{
	int64_t lab, link, cap = 0;
	json_t *ids, *row, *out = json_array();
	size_t i;

	if (cap_ref(r, &lab, &link, &cap, e) == -1 ||
	    (ids = db_rows(lw.db, e, "SELECT id FROM captures WHERE link_id = ? ORDER BY id", "i",
	         link)) == NULL) {
		json_decref(out);
		return (-1);
	}
	json_array_foreach(ids, i, row) {
		json_t *c = cap_json(json_integer_value(json_object_get(row, "id")), NULL);

		if (c != NULL)
			json_array_append_new(out, c);
	}
	json_decref(ids);
	return (api_reply(r, 200, json_pack("{s:o}", "captures", out), e));
}

int
api_capture_get(struct api_req *r, struct lw_err *e)
{
	int64_t lab, link, cap;

	if (cap_ref(r, &lab, &link, &cap, e) == -1)
		return (-1);
	return (api_reply(r, 200, cap_json(cap, e), e));
}

int
api_capture_delete(struct api_req *r, struct lw_err *e)
{
	int64_t lab, link, cap;
	struct capture_stats st;

	if (cap_ref(r, &lab, &link, &cap, e) == -1)
		return (-1);
	if (capture_stop(cap, &st) == 0) {
		db_exec(lw.db, NULL,
		    "UPDATE captures SET state = 'stopped', packets = ?, bytes = ?, dropped = ?,"
		    " kernel_dropped = ? WHERE id = ?",
		    "iiiii", (int64_t)st.packets, (int64_t)st.bytes, (int64_t)st.dropped,
		    (int64_t)st.kernel_dropped, cap);
		api_publish("capture", "stopped", cap, lab);
	}
	return (api_reply(r, 200, cap_json(cap, e), e));
}

/* ---- the pcap, whole or followed ---- */

struct follow {
	struct capture_reader *rd;
	int fd; /* the client's socket, to notice it hang up on a quiet link */
};

static bool
client_gone(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLRDHUP};

	return (fd != -1 && poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)));
}

static ssize_t
follow_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct follow *f = cls;
	ssize_t n;

	(void)pos;
	/* Block here (a thread per connection): wake each second to notice the end. */
	while ((n = capture_reader_read(f->rd, buf, max, 1000)) == 0)
		if (client_gone(f->fd))
			return (MHD_CONTENT_READER_END_WITH_ERROR);
	return (n > 0 ? n : MHD_CONTENT_READER_END_OF_STREAM);
}

static void
follow_free(void *cls)
{
	struct follow *f = cls;

	capture_reader_close(f->rd);
	free(f);
}

static bool
want_follow(struct api_req *r)
{
	const char *f = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "follow");

	return (f != NULL && (strcmp(f, "1") == 0 || strcmp(f, "true") == 0));
}

int
api_capture_pcap(struct api_req *r, struct lw_err *e)
{
	struct capture_reader *rd = NULL;
	char path[PATH_MAX];
	int64_t lab, link, cap;
	struct stat st;
	int fd;

	lw_lock();
	if (cap_ref(r, &lab, &link, &cap, e) == -1) {
		lw_unlock();
		return (-1);
	}
	lw_unlock();
	cap_path(path, sizeof(path), lab, cap);
	if (want_follow(r) && (rd = capture_reader_open(cap, path)) != NULL) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct follow *f = malloc(sizeof(*f));

		if (f == NULL) {
			capture_reader_close(rd);
			return (err_set(e, ERR_INTERNAL, "out of memory"));
		}
		f->rd = rd;
		f->fd = ci != NULL ? ci->connect_fd : -1;
		r->raw = MHD_create_response_from_callback(
		    MHD_SIZE_UNKNOWN, 65536, follow_read, f, follow_free);
		if (r->raw == NULL)
			follow_free(f);
	} else {
		/* Not running any more: the file as it is. */
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return (err_set(e, ERR_NOT_FOUND, "the capture's file is gone"));
		if (fstat(fd, &st) == -1) {
			close(fd);
			return (err_set(e, ERR_INTERNAL, "%s: %s", path, strerror(errno)));
		}
		r->raw = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	}
	if (r->raw == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	MHD_add_response_header(r->raw, "Content-Type", PCAP_TYPE);
	MHD_add_response_header(r->raw, "Cache-Control", "no-store");
	r->status = 200;
	return (0);
}

int
api_link_recent(struct api_req *r, struct lw_err *e)
{
	int64_t lab, link, cap = 0;
	char *buf;
	size_t len;

	if (cap_ref(r, &lab, &link, &cap, e) == -1 || capture_recent(link, &buf, &len, e) == -1)
		return (-1);
	r->raw = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (r->raw == NULL) {
		free(buf);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	MHD_add_response_header(r->raw, "Content-Type", PCAP_TYPE);
	MHD_add_response_header(r->raw, "Cache-Control", "no-store");
	r->status = 200;
	return (0);
}

/*
 * api_captures - the Captures section: start/stop captures on a link, their
 * status, the pcap file (or a live stream of it), and the link's ring of
 * recent frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/net/capture.h"
#include "labs/capture.h"
#include "labs/lab.h"
#include "labs/validate.h"
#include "web/api.h"
#include "web/park.h"

#define PCAP_TYPE "application/vnd.tcpdump.pcap"

/* Resolve {lab}, {link} and, when present, {cap} of the path. Caller holds lw_lock(). */
static int
cap_ref(struct api_req *r, int64_t *lab, int64_t *link, int64_t *cap, struct lw_err *e)
{
	if ((*lab = lab_resolve(r->params[0], e)) == -1 ||
	    (*link = lab_link_resolve(*lab, r->params[1], e)) == -1)
		return (-1);
	if (r->nparams > 2 && (*cap = labcap_resolve(*link, r->params[2], e)) == -1)
		return (-1);
	return (0);
}

int
api_captures_create(struct api_req *r, struct lw_err *e)
{
	int64_t lab, link, cap = 0;

	if (fields_check(r->body, validate_capture, "capture", e) == -1 ||
	    cap_ref(r, &lab, &link, &cap, e) == -1 ||
	    (cap = labcap_start(lab, link, r->body, e)) == -1)
		return (-1);
	snprintf(r->location, sizeof(r->location), "/api/v1/labs/%lld/links/%lld/captures/%lld",
	    (long long)lab, (long long)link, (long long)cap);
	return (api_reply(r, 201, labcap_json(cap, e), e));
}

int
api_captures_list(struct api_req *r, struct lw_err *e)
{
	int64_t lab, link, cap = 0;

	struct api_page pg;

	if (cap_ref(r, &lab, &link, &cap, e) == -1 || api_page_args(r, &pg, e) == -1)
		return (-1);
	return (api_reply(r, 200, api_page(labcap_list_json(link, e), "captures", &pg), e));
}

int
api_capture_get(struct api_req *r, struct lw_err *e)
{
	int64_t lab, link, cap;

	if (cap_ref(r, &lab, &link, &cap, e) == -1)
		return (-1);
	return (api_reply(r, 200, labcap_json(cap, e), e));
}

int
api_capture_delete(struct api_req *r, struct lw_err *e)
{
	int64_t lab, link, cap;

	if (cap_ref(r, &lab, &link, &cap, e) == -1)
		return (-1);
	labcap_stop(lab, cap);
	return (api_reply(r, 200, labcap_json(cap, e), e));
}

/* ---- the pcap, whole or followed ---- */

struct follow {
	struct capture_reader *rd;
	struct park *park;      /* where it waits for frames without a thread */
	struct api_guard guard; /* who follows it may still see the lab */
};

/* A parked follower has something to do: frames, the end, a hang-up or a guard check. */
static bool
follow_ready(void *arg)
{
	struct follow *f = arg;

	return (capture_reader_pending(f->rd) || api_guard_due(&f->guard));
}

static ssize_t
follow_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct follow *f = cls;
	ssize_t n;

	(void)pos;
	if (park_stopping() || park_client_gone(f->park) || !api_guard_ok(&f->guard))
		return (MHD_CONTENT_READER_END_WITH_ERROR);
	if ((n = capture_reader_read(f->rd, buf, max, 0)) == 0) {
		park_hold(f->park); /* resumed when frames come */
		return (0);
	}
	return (n > 0 ? n : MHD_CONTENT_READER_END_OF_STREAM);
}

static void
follow_free(void *cls)
{
	struct follow *f = cls;

	park_free(f->park);
	capture_reader_close(f->rd);
	free(f);
}

static bool
want_follow(struct api_req *r)
{
	const char *f = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "follow");

	return (f != NULL && (strcmp(f, "1") == 0 || strcmp(f, "true") == 0));
}

/* The pcap headers and the status of a response made. */
static int
pcap_reply(struct api_req *r)
{
	MHD_add_response_header(r->raw, "Content-Type", PCAP_TYPE);
	MHD_add_response_header(r->raw, "Cache-Control", "no-store");
	r->status = 200;
	return (0);
}

/* Follow the running capture: the file written so far, then frames as they come. */
static int
pcap_follow(struct api_req *r, int64_t lab, struct capture_reader *rd, struct lw_err *e)
{
	struct follow *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		capture_reader_close(rd);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	f->rd = rd;
	if ((f->park = park_new(r->conn, follow_ready, f)) == NULL) {
		follow_free(f);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	api_guard_init(&f->guard, r, lab);
	r->raw =
	    MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 65536, follow_read, f, follow_free);
	if (r->raw == NULL) {
		follow_free(f);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	return (pcap_reply(r));
}

/* The capture's file as it is (it is not running any more). */
static int
pcap_file(struct api_req *r, const char *path, struct lw_err *e)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (err_set(e, ERR_NOT_FOUND, "the capture's file is gone"));
	if (fstat(fd, &st) == -1) {
		close(fd);
		return (err_set(e, ERR_INTERNAL, "%s: %s", path, strerror(errno)));
	}
	if ((r->raw = MHD_create_response_from_fd((uint64_t)st.st_size, fd)) == NULL) {
		close(fd);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	return (pcap_reply(r));
}

/* Not under lw_lock() (a stream lasts): the lock is taken only to resolve the path. */
int
api_capture_pcap(struct api_req *r, struct lw_err *e)
{
	struct capture_reader *rd;
	char path[PATH_MAX];
	int64_t lab, link, cap;
	int rc;

	lw_lock();
	rc = cap_ref(r, &lab, &link, &cap, e);
	lw_unlock();
	if (rc == -1)
		return (-1);
	labcap_path(path, sizeof(path), lab, cap);
	if (want_follow(r) && (rd = capture_reader_open(cap, path)) != NULL)
		return (pcap_follow(r, lab, rd, e));
	return (pcap_file(r, path, e));
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
	return (pcap_reply(r));
}

/*
 * capture - packet capture on links with libpcap. A link that is up has
 * one pcap handle, the link's tap, on its bridge or one of its ends (where
 * wiring says), open while the recent-frames ring is on or a capture runs.
 * It feeds every capture on the link: each filters with its own BPF
 * program, writes a pcap file and fans out to live readers. A slow reader
 * loses frames (counted); it never slows the capture. One thread does all
 * packet I/O and never takes lw_lock(). It keeps no capture records and
 * knows no lab (labs/capture does): it is given ids, names and paths.
 */
#ifndef LW_CAPTURE_H
#define LW_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/base/err.h"

struct capture_stats {
	int64_t id;
	bool running;
	const char *stop_reason; /* "max_bytes", "max_seconds" (a literal), or NULL */
	int error;               /* errno of the write that ended it (ENOSPC ...), or 0 */
	uint64_t packets, bytes;
	uint64_t dropped;        /* frames live readers could not take */
	uint64_t kernel_dropped; /* pcap_stats ps_drop on the link since the capture began */
};

/*
 * What a capture may take; 0: no limit. On the limit it ends by itself
 * (stop_reason). A write error (ENOSPC ...) ends it too (error): the file
 * is cut back to its last whole record.
 */
struct capture_limits {
	uint64_t max_bytes; /* the pcap file's size, header included */
	int64_t max_ms;     /* from its start */
};

int capture_init(struct lw_err *e);
/*
 * capture_set_notify - fn is called (from the capture thread, no lock
 * held by the caller to rely on) when captures ended by themselves: a
 * limit, a write error. capture_reap then hands them over.
 */
void capture_set_notify(void (*fn)(void));
/*
 * capture_reap - the captures that ended by themselves since the last call,
 * their final stats into *out (malloc'd, caller frees); returns how many.
 */
int capture_reap(struct capture_stats **out);
/*
 * capture_fini - end every capture and stop the thread; the final stats of
 * the captures it ended go to *out (malloc'd, caller frees); returns how many.
 */
int capture_fini(struct capture_stats **out);
/*
 * capture_link_up - link shows on ifname (its bridge, or an endpoint of a
 * p2p link): open its tap there; idempotent, and a tap open on another
 * interface moves, captures and ring kept.
 */
void capture_link_up(int64_t link, const char *ifname);
/*
 * capture_link_down - link goes away: close its tap and end its captures;
 * their final stats go to *out (malloc'd, caller frees); returns how many.
 */
int capture_link_down(int64_t link, struct capture_stats **out);
bool capture_link_is_up(int64_t link);
/* capture_check_filter - compile filter for Ethernet; 0 or -1 with ERR_INVALID and libpcap's words.
 */
int capture_check_filter(const char *filter, int snaplen, struct lw_err *e);
/*
 * capture_start - capture id on link into path within lim (NULL: none);
 * ERR_CONFLICT when the link is not up.
 */
int capture_start(int64_t id, int64_t link, const char *filter, int snaplen, const char *path,
    const struct capture_limits *lim, struct lw_err *e);
/* capture_stop - end capture id; its final stats into st; -1 if it was not running. */
int capture_stop(int64_t id, struct capture_stats *st);
/* capture_error_text - what a capture's write error err says to a user ("disk full" ...). */
const char *capture_error_text(int err);
/* capture_get - live stats of capture id (or, not yet reaped, its final ones); -1 if neither. */
int capture_get(int64_t id, struct capture_stats *st);

struct capture_reader;
/*
 * capture_reader_open - follow capture id: first the file written so far
 * (path), then frames as they come. NULL (ENOENT) if it is not running.
 */
struct capture_reader *capture_reader_open(int64_t id, const char *path);
/* capture_reader_read - up to len bytes; 0 after timeout_ms with nothing new, -1 at the end. */
ssize_t capture_reader_read(struct capture_reader *r, char *buf, size_t len, int timeout_ms);
/* capture_reader_pending - a read would not wait: bytes to read, or the end. */
bool capture_reader_pending(struct capture_reader *r);
void capture_reader_close(struct capture_reader *r);
/* capture_recent - link's ring of recent frames as a pcap file (caller frees); -1 with e. */
int capture_recent(int64_t link, char **buf, size_t *len, struct lw_err *e);

#endif

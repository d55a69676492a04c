/*
 * capture (labcap_*) - a link's capture records: starting one (the filter
 * checked, the link up, a row and a pcap file under the lab's directory),
 * stopping it with its final counters stored, and rendering them with live
 * counters while they run. The packets themselves are core/net/capture's
 * (hence the prefix labcap_, not capture_); this module moves no packet and
 * speaks no HTTP. Callers hold lw_lock().
 */
#ifndef LW_LABS_CAPTURE_H
#define LW_LABS_CAPTURE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"

/* labcap_resolve - capture ref (an id) of link; its id, or -1 with ERR_NOT_FOUND. */
int64_t labcap_resolve(int64_t link, const char *ref, struct lw_err *e);
/* labcap_path - where capture cap of lab writes its pcap file. */
void labcap_path(char *buf, size_t len, int64_t lab, int64_t cap);
/*
 * labcap_start - start a capture on link with body's filter and snaplen
 * (validated by the caller against validate_capture), record and announce
 * it; its id, or -1 with e (ERR_INVALID: a bad filter; ERR_CONFLICT: the
 * link is not up).
 */
int64_t labcap_start(int64_t lab, int64_t link, json_t *body, struct lw_err *e);
/*
 * labcap_stop - end a running capture, store its final counters (a failure
 * to is logged: the capture has ended all the same) and announce it; a
 * capture already ended is left as it is.
 */
void labcap_stop(int64_t lab, int64_t cap);
/* labcap_json - the capture, with live counters while it runs (new reference) or NULL with e. */
json_t *labcap_json(int64_t cap, struct lw_err *e);
/* labcap_list_json - {"captures":[...]} of link, oldest first (new reference) or NULL with e. */
json_t *labcap_list_json(int64_t link, struct lw_err *e);

#endif

/*
 * events - the daemon's event stream (node/link/lab state changes) for
 * Server-Sent Events: a bounded ring of recent events with sequence numbers
 * that readers follow at their own pace. It knows no lab, node or
 * connection: publishers hand it a finished JSON object, and web/ writes
 * what a reader gets. Its own mutex guards the ring, never lw_lock(), so a
 * publisher may hold lw_lock() and a waiting reader blocks no one.
 */
#ifndef LW_EVENTS_H
#define LW_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/*
 * events_publish - append {"type":type, ...obj} (obj is stolen) about lab
 * (0: about no lab, for everyone) and wake readers.
 */
void events_publish(const char *type, int64_t lab, json_t *obj);
/* events_seq - the sequence number the next event will get. */
uint64_t events_seq(void);
/*
 * events_read - the event numbered *seq, without waiting (events_wait
 * waits): write "event: TYPE\ndata: JSON\n\n" into buf and advance *seq.
 * Returns the bytes written, 0 when there is none yet, or -1 when buf is
 * too small; *lab gets the lab the event is about (the reader decides who
 * may see it). A reader that fell behind the ring skips to its oldest event.
 */
int events_read(uint64_t *seq, char *buf, size_t len, int64_t *lab);

/*
 * events_wait - return once an event numbered seq or later exists, after
 * events_wake, or after timeout_ms (whichever is first, spurious returns
 * allowed); the sequence number the next event will get.
 */
uint64_t events_wait(uint64_t seq, int timeout_ms);
/* events_wake - end every events_wait now. */
void events_wake(void);

#endif

/*
 * park - long-lived responses held without a thread each. A streaming
 * response (the event stream, a pcap that follows a capture) whose reader
 * has nothing to send parks its connection: libmicrohttpd suspends it, and
 * one thread resumes it when its ready() says there is something to do
 * (an event, captured frames, a keepalive or a guard re-check due). ready()
 * is called from that thread only while the connection is suspended, so it
 * may read the reader's state without a lock of its own.
 */
#ifndef LW_PARK_H
#define LW_PARK_H

#include <microhttpd.h>
#include <stdbool.h>

struct park;

/* park_new - a parking place for c's streaming response; NULL when out of memory. */
struct park *park_new(struct MHD_Connection *c, bool (*ready)(void *arg), void *arg);
/*
 * park_hold - from the content reader with nothing to send: suspend the
 * connection unless ready(arg) holds already. The reader then returns 0.
 */
void park_hold(struct park *p);
/* park_client_gone - the client hung up (its reader ends the stream). */
bool park_client_gone(struct park *p);
/* park_free - from the response's free callback: the connection is gone. */
void park_free(struct park *p);
/* park_stopping - true once park_stop began: readers end their streams. */
bool park_stopping(void);
/* park_start - the resuming thread; 0 or -1. */
int park_start(void);
/* park_stop - resume every parked stream to end it, wait (bounded) until they are gone. */
void park_stop(void);
/* park_count - how many streams are held now (parked or sending). */
int park_count(void);

#endif

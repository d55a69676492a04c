/*
 * server - the embedded HTTP server (libmicrohttpd, a thread per
 * connection so that streams may block): bodies bounded, JSON parsed,
 * errors rendered as {"error":{"code","message"}}. Routes are api.c's and
 * the UI's files ui.c's; the one path it knows itself is the image upload,
 * streamed to the store, never held in memory. It knows no lab.
 */
#ifndef LW_SERVER_H
#define LW_SERVER_H

#include "core/base/err.h"

/* server_start - listen on host:port; 0 or -1 with e. */
int server_start(const char *host, int port, struct lw_err *e);
/* server_stop - end event streams and readiness waits, then stop listening. */
void server_stop(void);

#endif

/*
 * server - the embedded HTTP server (libmicrohttpd): epoll threads, one
 * per core, serve the sockets and never wait; handlers run on a pool of
 * workers while their connection is suspended; long-lived streams are
 * parked (web/park) without a thread. Connections past --max-connections
 * get a 503, past --max-connections-per-address a 429, each with
 * Retry-After, then are closed. Bodies are bounded, JSON parsed,
 * errors rendered as {"error":{"code","message"}}. Routes are api.c's and
 * the UI's files ui.c's; the one path it knows itself is the image upload,
 * streamed to the store, never held in memory. It answers only to this
 * host's names (the Host check), and serves HTTPS under --tls with the
 * certificate web/tls gives. It knows no lab.
 */
#ifndef LW_SERVER_H
#define LW_SERVER_H

#include "core/base/err.h"

/*
 * server_tls_given - read a given --tls-cert and --tls-key now (while still
 * root: they may be root's alone), for server_start to serve; 0 or -1 with e.
 */
int server_tls_given(struct lw_err *e);
/* server_start - listen on host:port (TLS when config_tls_on); 0 or -1 with e. */
int server_start(const char *host, int port, struct lw_err *e);
/* server_scheme - "https" or "http", as server_start set up. */
const char *server_scheme(void);
/* server_connections - the HTTP connections open now. */
int server_connections(void);
/* server_stop - end event streams and readiness waits, then stop listening. */
void server_stop(void);

#endif

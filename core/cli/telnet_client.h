/*
 * telnet_client - the CLI's telnet client session on libtelnet, for node
 * serial consoles: the daemon serves each one on a TCP port of its own
 * (core/console, the telnet server; QEMU's own "-chardev socket,telnet=on"
 * server only in the bench). It is a client only, and knows nothing of
 * labs or the REST API: it is given a host and a port.
 *
 * It negotiates like a normal character-at-a-time client: it lets the
 * server echo and suppress go-ahead (DO ECHO, DO SGA), suppresses go-ahead
 * itself when asked (WILL SGA), and refuses every other option. Data is
 * sent as given, with only IAC doubled: the caller ends a line with a bare
 * "\r", which is what a serial console expects from an Enter key.
 */
#ifndef LW_TELNET_CLIENT_H
#define LW_TELNET_CLIENT_H

#include <stddef.h>
#include <sys/types.h>

struct telnet_client;

/*
 * telnet_client_connect - open a TCP connection to host:port, giving up
 * after timeout_ms, and start a telnet session on it. Returns the session,
 * or NULL with errno set (ETIMEDOUT, ECONNREFUSED, ENXIO when host does not
 * resolve, ENOMEM, ...).
 */
struct telnet_client *telnet_client_connect(const char *host, int port, int timeout_ms);

/* telnet_client_fd - the socket, to poll for POLLIN before telnet_client_read. */
int telnet_client_fd(const struct telnet_client *tc);

/*
 * telnet_client_read - read once from the socket (blocks if nothing is
 * there: poll first), answer any negotiation in it, and copy the data bytes
 * into buf. Returns the number of data bytes (at most len, and never more
 * are held back), 0 when the server closed the connection, or -1 with
 * errno: EAGAIN when the socket carried only protocol bytes, EPROTO when
 * the server broke the protocol, else the socket error.
 */
ssize_t telnet_client_read(struct telnet_client *tc, char *buf, size_t len);

/* telnet_client_send - send len data bytes (IAC escaped); returns 0 or -1 with errno. */
int telnet_client_send(struct telnet_client *tc, const char *buf, size_t len);

/*
 * telnet_client_login - answer a server's login: wait for "login: ", send
 * user, wait for "Password: ", send secret, each ended by "\r"; all within
 * timeout_ms. What the server sent up to the password prompt is dropped,
 * and so is the CR LF that ends the password's line, so a caller reads only
 * what comes after the login. It does not wait for the verdict: a refused
 * login shows up in the data ("Login incorrect"). 0, or -1 with errno
 * (ETIMEDOUT when no prompt came, ECONNRESET when the server hung up).
 */
int telnet_client_login(
    struct telnet_client *tc, const char *user, const char *secret, int timeout_ms);

/* telnet_client_close - close the connection and free the session; NULL is a no-op. */
void telnet_client_close(struct telnet_client *tc);

#endif

/*
 * console - daemon-owned serial consoles. Each running node's serial port
 * is a UNIX socket QEMU serves; the daemon attaches to it and fans the
 * output out to telnet clients (one TCP port per node, libtelnet),
 * WebSocket clients and send/expect waiters, keeps a scrollback ring that a
 * new client receives first, and writes a bounded, rotated console log.
 * One thread runs all console I/O; it never takes lw_lock().
 */
#ifndef LW_CONSOLE_H
#define LW_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"

/* console_init - start the console thread; 0 or -1 with e. */
int console_init(struct lw_err *e);
/* console_fini - close every console and client, stop the thread. */
void console_fini(void);
/*
 * console_node_add - start serving node's telnet port (on --console-host);
 * clients may attach while the node is stopped and stay across stop/start.
 * Returns 0, or -1 with e when the port cannot be bound (the console then
 * works without its telnet port).
 */
int console_node_add(int64_t node, int port, struct lw_err *e);
/* console_node_remove - stop serving node's console and drop its clients. */
void console_node_remove(int64_t node);
/*
 * console_node_attach - QEMU's serial socket fd for node (ownership passes
 * here); output is appended to log_path. fresh: a new boot (the scrollback
 * is kept, a marker line says so).
 */
void console_node_attach(int64_t node, int fd, const char *log_path, bool fresh);
/* console_node_detach - QEMU went away: close its socket; clients stay. */
void console_node_detach(int64_t node);
/*
 * console_add_ws - serve a WebSocket on fd (already upgraded; extra holds
 * bytes read past the HTTP request). on_close(arg) is called once, from the
 * console thread, when the client goes; it must close fd. 0 or -1 (ENOENT).
 */
int console_add_ws(
    int64_t node, int fd, const char *extra, size_t extra_len, void (*on_close)(void *), void *arg);
/*
 * console_exec - type send (and Enter) on node's console and wait up to
 * timeout_ms for the POSIX extended regex expect to match what the console
 * printed since. *out (caller frees) gets the output up to the end of the
 * match, "\r" removed. 0 on a match; -1 with e: ERR_TIMEOUT (and *out holds
 * what was seen), ERR_CONFLICT (not running), ERR_INVALID (bad regex).
 */
int console_exec(int64_t node, const char *send, const char *expect, int timeout_ms, char **out,
    struct lw_err *e);
/* console_clients - how many clients are attached to node's console. */
int console_clients(int64_t node);

#endif

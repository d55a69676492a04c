/*
 * console - daemon-owned serial consoles. Each running node's serial port
 * is a UNIX socket QEMU serves; the daemon attaches to it and fans the
 * output out to telnet clients (one TCP port per running node, libtelnet),
 * framed clients such as WebSockets and send/expect waiters, keeps a
 * scrollback ring that a new client receives first, and writes a bounded,
 * rotated console log. One thread runs all console I/O; it never takes
 * lw_lock(). The module must not know HTTP, WebSocket framing or the store:
 * it is handed fds, paths and codecs by the floors above.
 */
#ifndef LW_CONSOLE_H
#define LW_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"

/*
 * Who a client is, in the terms of the floor that let it in: opaque ids the
 * console keeps with the client and hands back to console_recheck's
 * callback. All zero: nobody in particular (never rechecked).
 */
struct console_who {
	int64_t user;
	int64_t token;
};

/* console_init - start the console thread; 0 or -1 with e. */
int console_init(struct lw_err *e);
/* console_fini - close every console and client, stop the thread. */
void console_fini(void);
/*
 * console_node_add - know node's console and its telnet port (on
 * --console-host). The port listens only while the node's serial socket is
 * attached (console_node_attach to console_node_detach, or QEMU closing
 * it): a stopped node holds no fd and its port refuses connections. A port
 * that cannot be bound is logged and the console works without it.
 * WebSocket clients may attach while the node is stopped; clients stay
 * across stop/start. Returns 0, or -1 with e when out of memory.
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
/* console_node_detach - QEMU went away: close its socket and the telnet port; clients stay. */
void console_node_detach(int64_t node);
/*
 * A client that is not telnet speaks through a codec its caller supplies
 * (web/ fills one with its WebSocket framing), so this floor knows no
 * protocol above the byte stream. parse turns received bytes into one
 * message at a time; frame wraps a chunk of console output; close ends the
 * client. All three run on the console thread with the console's lock held:
 * they must not block or call back into console_*. After close, neither
 * parse nor frame is called again.
 */
enum console_msg_kind {
	CONSOLE_MSG_NONE,  /* every byte was used and no message is complete */
	CONSOLE_MSG_INPUT, /* data is keystrokes for the guest */
	CONSOLE_MSG_REPLY, /* data is bytes to send back as they are (a pong) */
	CONSOLE_MSG_CLOSE, /* data (may be empty) goes back, then the client is dropped */
};

struct console_msg {
	enum console_msg_kind kind;
	const char *data; /* valid until the next parse */
	size_t len;
};

struct console_codec {
	/* parse - read up to len bytes of in (*used gets how many) into *m. */
	void (*parse)(void *arg, const char *in, size_t len, size_t *used, struct console_msg *m);
	/*
	 * frame - len bytes of output as the client's bytes: a malloc'd buffer
	 * of *framed_len bytes (the console frees it), or NULL to drop the client.
	 */
	char *(*frame)(void *arg, const char *data, size_t len, size_t *framed_len);
	/* close - called once when the client goes: close its fd, release arg. */
	void (*close)(void *arg);
	/*
	 * max_message - the most input bytes parse may hold back across calls
	 * (a message being reassembled); 0 when every INPUT message is made of
	 * the bytes just given. The client is read only while that much and
	 * one read fit in the console's input queue.
	 */
	size_t max_message;
};

/*
 * console_add_ws - serve a framed client (a WebSocket, already upgraded) on
 * fd through codec; extra holds bytes read past the HTTP request, fed to
 * codec->parse first. read_only: the client watches, its keystrokes are
 * dropped. On 0, fd and arg belong to the console until it calls
 * codec->close(arg); on -1 (errno ENOENT when node has no console) the
 * caller keeps both.
 */
int console_add_ws(int64_t node, int fd, const char *extra, size_t extra_len,
    const struct console_codec *codec, void *arg, bool read_only, const struct console_who *who);
#define EXEC_WAITERS_MAX 4 /* console_exec calls waiting on one node's console at once */
/*
 * console_exec - type send (and Enter) on node's console, in one piece
 * through its input queue (waiting for room within the timeout), and wait
 * up to timeout_ms for the regex expect (core/base/rx: PCRE2, bounded;
 * "^"/"$" at lines) to match what the console printed since. *out (caller
 * frees) gets the output up to the end of the match, "\r" removed. 0 on a
 * match; -1 with e: ERR_TIMEOUT (and *out holds what was seen),
 * ERR_CONFLICT (not running), ERR_INVALID (a bad regex, or one that hit a
 * regex limit on the output), ERR_TOO_MANY (EXEC_WAITERS_MAX calls wait on
 * the node already).
 */
int console_exec(int64_t node, const char *send, const char *expect, int timeout_ms, char **out,
    struct lw_err *e);
/*
 * Who may use a telnet console. With an authenticator set, a new telnet
 * client is shown a login prompt and joins the console (scrollback, output,
 * input) only once the authenticator lets it: CONSOLE_WATCH joins it
 * read-only. Without one (the default) anyone who connects gets the console.
 * WebSocket clients are checked by their caller (console_add_ws's read_only).
 */
/* verdict of an authenticator */
enum console_access { CONSOLE_DENY = 0, CONSOLE_WATCH = 1, CONSOLE_FULL = 2 };
/*
 * console_auth_fn - may take ~100 ms (a password KDF): never called on the
 * console thread. user is what was typed at "login:", secret at
 * "Password:", peer the client's address as text; *who (zeroed) gets who
 * the client is when it is let in.
 */
typedef enum console_access (*console_auth_fn)(
    int64_t node, const char *user, const char *secret, const char *peer, struct console_who *who);
/*
 * console_set_auth - authenticate telnet clients with fn from now on (NULL:
 * no login, anyone who connects gets the console). It is called from the
 * console's worker threads, up to two at a time, so it must be thread-safe;
 * it must not call console_*. A client already at the prompt when fn
 * becomes NULL is let in on its next answer.
 */
void console_set_auth(console_auth_fn fn);
/* console_recheck_fn - what the client who may do on node's console now. */
typedef enum console_access (*console_recheck_fn)(int64_t node, const struct console_who *who);
/*
 * console_recheck - ask fn again about every attached client with a who
 * (after a share, a role or a session changed): a client now denied is told
 * and dropped, one that may only watch no longer types, one that may type
 * again does. fn runs on the caller's thread without any console lock (it
 * may take lw_lock()); a client that comes or goes meanwhile is left alone.
 */
void console_recheck(console_recheck_fn fn);
/* console_clients - how many clients are attached to node's console. */
int console_clients(int64_t node);

#endif

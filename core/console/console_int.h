/*
 * console_int - what the files of core/console/ share, and nothing outside
 * that folder may include: the console and client records, and the hooks
 * between the fan-out core (console.c: the lock, the epoll set, the ring,
 * the log), the telnet server (telnetd.c), its login (login.c, with the
 * line reader loginline.c) and send/expect (expect.c).
 * Apart from console_lock, every function here is called with the console
 * lock held, from the console thread or (send/expect) a request's thread;
 * none may block on a socket or take lw_lock().
 */
#ifndef LW_CONSOLE_INT_H
#define LW_CONSOLE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "core/base/err.h"
#include "core/console/console.h"

#define CONSOLE_CLIENT_OUT_MAX (1 << 20) /* a client further behind than this loses output */
#define CONSOLE_READ_CHUNK 16384
/*
 * Keystrokes queued for the guest, per console. The guest's UART takes them
 * slowly; a client is not read while less than one read's worth (plus the
 * largest message its codec may still be holding) is free: back-pressure,
 * never a dropped byte.
 */
#define CONSOLE_INPUT_MAX (1 << 20)

enum watch_kind { W_WAKE, W_LISTEN, W_QEMU, W_CLIENT };
enum client_kind { C_TELNET, C_CODEC };

/* What an epoll event points at. */
struct watch {
	enum watch_kind kind;
	void *p;
};

struct con;
struct telnet_t;      /* libtelnet's, used only by telnetd.c */
union telnet_event_t; /* libtelnet's */
struct waiter;        /* expect.c's */
struct login;         /* login.c's */

struct client {
	enum client_kind kind;
	int fd;
	struct con *con;
	struct telnet_t *tn;               /* C_TELNET */
	const struct console_codec *codec; /* C_CODEC, with arg */
	void *arg;
	char *out; /* bytes the socket did not take yet */
	size_t outlen;
	bool cr;                /* the last input byte was '\r' (telnet Enter is CR LF or CR NUL) */
	bool read_only;         /* its input is dropped; output still flows */
	bool paused;            /* not read: its console's input queue is too full */
	struct console_who who; /* who let it in says who it is (console_recheck) */
	uint64_t id;            /* unique while the daemon runs */
	bool dead;
	struct login *login; /* C_TELNET not yet logged in (on con->pending), else NULL */
	struct watch w;
	struct client *next;
};

struct con {
	int64_t node;
	int port;
	int listen_fd; /* telnetd's */
	int qemu_fd;
	int log_fd;
	char log_path[512];
	off_t log_size;
	char *ring; /* scrollback: the last cfg.console_scrollback bytes */
	size_t ring_size, ring_head, ring_len;
	struct client *clients;
	struct client *pending; /* telnet clients at the login prompt: not joined, see no output */
	struct waiter *waiters; /* expect.c's list */
	/* keystrokes the guest has not taken yet: in[in_off .. in_off + in_len) */
	char *in;
	size_t in_off, in_len, in_cap;
	bool in_armed;       /* EPOLLOUT is watched on qemu_fd: the socket was full */
	bool in_paused;      /* some client may be paused on a full queue */
	pthread_cond_t room; /* broadcast when the queue shrinks or the guest goes */
	bool dead;
	struct watch w_listen, w_qemu;
	struct con *next;
};

/* console.c */
void console_lock(void);
void console_unlock(void);
/* console_wait - wait on cv with the console lock until deadline; pthread_cond_timedwait's result.
 */
int console_wait(pthread_cond_t *cv, const struct timespec *deadline);
/* console_find - the live console of node, or NULL. */
struct con *console_find(int64_t node);
/* console_first - the first console of the list (dead ones too), for a walk along ->next. */
struct con *console_first(void);
int console_watch_add(int fd, struct watch *w, uint32_t events);
void console_watch_del(int fd);
struct client *console_client_new(struct con *c, enum client_kind kind, int fd);
/* console_client_join - link cl to its console and send it the scrollback. */
void console_client_join(struct client *cl);
/* console_client_write - raw bytes to cl, queued whole when the socket is full. */
void console_client_write(struct client *cl, const char *data, size_t len);
/* console_client_resume - read cl again if it was held (paused). */
void console_client_resume(struct client *cl);
/* console_client_close - mark cl dead and close its socket; freed at the end of the batch. */
void console_client_close(struct client *cl);
/*
 * console_input - a client's keystrokes to the guest, queued whole (cl
 * tracks CR LF). Clients are read only when they fit; if they ever do not,
 * the client is told and dropped rather than losing part of its input.
 * Dropped while the node is not running.
 */
void console_input(struct con *c, struct client *cl, const char *data, size_t len);
/*
 * console_send - queue line and Enter for the guest as one piece (send/expect),
 * waiting (lock released) until the queue has room, at most until stop_ms
 * (clock_mono_ms). 0, or -1 with e: ERR_TIMEOUT (the queue stayed full),
 * ERR_CONFLICT (the node stopped).
 */
int console_send(struct con *c, const char *line, int64_t stop_ms, struct lw_err *e);

/* telnetd.c */
/* A libtelnet event handler (telnet_event_handler_t). */
typedef void (*telnetd_handler)(struct telnet_t *tn, union telnet_event_t *ev, void *arg);
/*
 * telnetd_session - a client's telnet state with the server's options
 * offered (the negotiation queued to eh as TELNET_EV_SEND); what the client
 * sends goes to eh with arg. NULL when out of memory.
 */
struct telnet_t *telnetd_session(telnetd_handler eh, void *arg);
/* telnetd_start - listen on c's telnet port; 0, or -1 with e (c->listen_fd stays -1). */
int telnetd_start(struct con *c, struct lw_err *e);
/* telnetd_stop - stop listening; the clients stay until their console goes. */
void telnetd_stop(struct con *c);
/* telnetd_accept - take a new telnet client on c's port. */
void telnetd_accept(struct con *c);
/* telnetd_recv - bytes a telnet client sent. */
void telnetd_recv(struct client *cl, const char *data, size_t len);
/* telnetd_send - console output to a telnet client, escaped. */
void telnetd_send(struct client *cl, const char *data, size_t len);
/* telnetd_free - release cl's telnet state. */
void telnetd_free(struct client *cl);

/* login.c */
/* login_init - start the authenticator's workers; results wake wakefd. 0, or -1 with e. */
int login_init(int wakefd, struct lw_err *e);
/* login_fini - stop the workers (after the console thread); checks in flight are dropped. */
void login_fini(void);
/* login_required - whether an authenticator is set: new telnet clients must log in. */
bool login_required(void);
/*
 * login_start - put a new telnet client (already in epoll) on its console's
 * pending list, at the login prompt (closed if that cannot be done).
 */
void login_start(struct client *cl);
/* login_input - bytes a client at the login prompt typed. */
void login_input(struct client *cl, const char *data, size_t len);
/* login_results - apply the verdicts the workers handed back (on a wake). */
void login_results(void);
/* login_expire - close clients past the login deadline; ms to the next one, or -1. */
int login_expire(void);
/*
 * login_checking - cl's login is being checked: it is not read meanwhile
 * (what it types waits in its socket, none is dropped) until the verdict.
 */
bool login_checking(const struct client *cl);
/* login_free - release cl's login state (the client is being freed). */
void login_free(struct client *cl);

/* loginline.c: one line typed at the login prompt (no I/O; fuzzed). */
#define LOGINLINE_CAP 256    /* the longest line any prompt takes */
#define LOGINLINE_ECHO_MAX 3 /* the most bytes one typed byte echoes ("\b \b") */

enum loginline_result {
	LOGINLINE_MORE,     /* the line goes on */
	LOGINLINE_DONE,     /* Enter: buf holds the line, NUL-terminated */
	LOGINLINE_TOO_LONG, /* Enter after more than max bytes: refuse the line */
};

struct loginline {
	char buf[LOGINLINE_CAP + 1];
	size_t len, max;
	bool echo; /* echo typed bytes (not at "Password:"); Enter always echoes CR LF */
	bool over; /* more than max was typed */
	bool cr;   /* the last byte was an Enter's CR: an LF or NUL next belongs to it */
};

/* loginline_start - begin a line of at most max bytes (LOGINLINE_CAP at most). */
void loginline_start(struct loginline *l, size_t max, bool echo);
/* loginline_clear - wipe the line (it may hold a secret). */
void loginline_clear(struct loginline *l);
/* loginline_put - take one typed byte; echo gets *elen bytes to send back. */
enum loginline_result loginline_put(
    struct loginline *l, char c, char echo[LOGINLINE_ECHO_MAX], size_t *elen);

/* expect.c */
/* expect_put - console output to every send/expect waiter of c. */
void expect_put(struct con *c, const char *data, size_t len);
/* expect_wake - c is going: wake its waiters so they return. */
void expect_wake(struct con *c);

#endif

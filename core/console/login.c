/*
 * login - who may use a node's telnet console. With an authenticator set
 * (console_set_auth, from the floor above), a new telnet client is kept on
 * its console's pending list, seeing no output and typing nowhere, until
 * it answers "login:" and "Password:" and the authenticator lets it watch
 * or type. The authenticator may take ~100 ms (a password KDF), so it runs
 * on LOGIN_WORKERS threads of this file's own, never on the console
 * thread: a check is a job on a queue; its verdict goes back on another
 * queue and the console thread is woken (its eventfd) to apply it. A job
 * names its client by console and id, never by pointer, so a client that
 * hung up while its check ran is simply not found.
 *
 * The workers take only la.mu, never the console lock; the console thread
 * takes la.mu under the console lock (that order only).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/console/console.h"
#include "core/console/console_int.h"

#define LOGIN_WORKERS 2
#define LOGIN_QUEUE_MAX 32 /* checks waiting for a worker; more are turned away */
#define LOGIN_USER_MAX 64
#define LOGIN_SECRET_MAX 256
#define LOGIN_TRIES 3
#define LOGIN_TIMEOUT_MS 60000

#define LOGIN_BANNER                                                                               \
	"\r\nlabwire console: log in with your labwire user and password, or user 'token' and "    \
	"the node's console token\r\n"

enum login_state { LOGIN_USER, LOGIN_PASS, LOGIN_CHECK };

/* Clients at one console's login prompt at once; more are turned away. */
#define LOGIN_PENDING_MAX 16

/*
 * Typeahead kept while a check runs (a script's first command, or a paste,
 * sent with the password): what came in the read that ended the password.
 * The client is not read again until the verdict (login_checking), so one
 * read is the most there can be.
 */
#define LOGIN_AHEAD_MAX CONSOLE_READ_CHUNK

struct login {
	enum login_state state;
	struct loginline line;
	char user[LOGIN_USER_MAX + 1];
	char peer[INET6_ADDRSTRLEN];
	uint64_t id;
	int failures;
	int64_t deadline;
	/* What it typed while its check ran: the guest gets it if it gets in. */
	char ahead[LOGIN_AHEAD_MAX];
	size_t nahead;
};

struct login_job {
	console_auth_fn fn;
	int64_t node;
	uint64_t id;
	enum console_access verdict;
	struct console_who who;
	char user[LOGIN_USER_MAX + 1];
	char secret[LOGIN_SECRET_MAX + 1];
	char peer[INET6_ADDRSTRLEN];
	struct login_job *next;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	console_auth_fn fn;
	struct login_job *todo, **todo_tail, *done;
	int queued;
	bool stop;
	pthread_t workers[LOGIN_WORKERS];
	int nworkers;
	int wakefd;
	/* The console lock's: */
	uint64_t next_id;
	int nlogin; /* clients with a struct login, dead or alive */
} la = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER, .wakefd = -1};

/* ---- the workers ---- */

static void
job_free(struct login_job *j)
{
	explicit_bzero(j, sizeof(*j));
	free(j);
}

static void
job_done(struct login_job *j)
{
	uint64_t one = 1;

	pthread_mutex_lock(&la.mu);
	j->next = la.done;
	la.done = j;
	pthread_mutex_unlock(&la.mu);
	if (write(la.wakefd, &one, sizeof(one)) == -1)
		log_warn("console: login wake");
}

static void *
login_worker(void *arg)
{
	struct login_job *j;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&la.mu);
		while (!la.stop && la.todo == NULL)
			pthread_cond_wait(&la.cv, &la.mu);
		if (la.stop) {
			pthread_mutex_unlock(&la.mu);
			return (NULL);
		}
		j = la.todo;
		if ((la.todo = j->next) == NULL)
			la.todo_tail = &la.todo;
		la.queued--;
		pthread_mutex_unlock(&la.mu);
		/* No authenticator any more: the console is open, as for a new client. */
		memset(&j->who, 0, sizeof(j->who));
		j->verdict = j->fn != NULL ? j->fn(j->node, j->user, j->secret, j->peer, &j->who)
		                           : CONSOLE_FULL;
		explicit_bzero(j->secret, sizeof(j->secret));
		job_done(j);
	}
}

int
login_init(int wakefd, struct lw_err *e)
{
	la.wakefd = wakefd;
	la.stop = false;
	la.todo = la.done = NULL;
	la.todo_tail = &la.todo;
	la.queued = 0;
	for (la.nworkers = 0; la.nworkers < LOGIN_WORKERS; la.nworkers++)
		if (pthread_create(&la.workers[la.nworkers], NULL, login_worker, NULL) != 0) {
			login_fini();
			return (
			    err_set(e, ERR_INTERNAL, "console login thread: %s", strerror(errno)));
		}
	return (0);
}

static void
job_list_free(struct login_job *j)
{
	struct login_job *next;

	for (; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
}

void
login_fini(void)
{
	pthread_mutex_lock(&la.mu);
	la.stop = true;
	pthread_cond_broadcast(&la.cv);
	pthread_mutex_unlock(&la.mu);
	for (int i = 0; i < la.nworkers; i++)
		pthread_join(la.workers[i], NULL);
	la.nworkers = 0;
	job_list_free(la.todo);
	job_list_free(la.done);
	la.todo = la.done = NULL;
	la.todo_tail = &la.todo;
	la.queued = 0;
}

void
console_set_auth(console_auth_fn fn)
{
	pthread_mutex_lock(&la.mu);
	la.fn = fn;
	pthread_mutex_unlock(&la.mu);
}

bool
login_required(void)
{
	bool on;

	pthread_mutex_lock(&la.mu);
	on = la.fn != NULL;
	pthread_mutex_unlock(&la.mu);
	return (on);
}

/* login_queue - hand user and the typed secret to a worker; 0, or -1 when the queue is full. */
static int
login_queue(struct client *cl)
{
	struct login *l = cl->login;
	struct login_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return (-1);
	j->node = cl->con->node;
	j->id = l->id;
	memcpy(j->user, l->user, sizeof(j->user));
	memcpy(j->secret, l->line.buf, l->line.len + 1);
	memcpy(j->peer, l->peer, sizeof(j->peer));
	pthread_mutex_lock(&la.mu);
	if (la.queued >= LOGIN_QUEUE_MAX) {
		pthread_mutex_unlock(&la.mu);
		job_free(j);
		return (-1);
	}
	j->fn = la.fn;
	*la.todo_tail = j;
	la.todo_tail = &j->next;
	la.queued++;
	pthread_cond_signal(&la.cv);
	pthread_mutex_unlock(&la.mu);
	return (0);
}

/* ---- the dialogue, on the console thread ---- */

static void
login_say(struct client *cl, const char *s)
{
	telnetd_send(cl, s, strlen(s));
}

static void
login_prompt(struct client *cl)
{
	cl->login->state = LOGIN_USER;
	loginline_start(&cl->login->line, LOGIN_USER_MAX, true);
	login_say(cl, "login: ");
}

/* A refused attempt: a wrong answer, or a line too long to be one. */
static void
login_fail(struct client *cl)
{
	login_say(cl, "Login incorrect\r\n");
	if (++cl->login->failures < LOGIN_TRIES) {
		login_prompt(cl);
		return;
	}
	login_say(cl, "Too many failures\r\n");
	log_info("console %lld: %s failed to log in %d times; disconnected",
	    (long long)cl->con->node, cl->login->peer, LOGIN_TRIES);
	console_client_close(cl);
}

static void
login_user(struct client *cl)
{
	struct login *l = cl->login;

	if (l->line.len == 0) { /* Enter alone: ask again, as login(1) does */
		login_say(cl, "login: ");
		return;
	}
	memcpy(l->user, l->line.buf, l->line.len + 1);
	l->state = LOGIN_PASS;
	loginline_start(&l->line, LOGIN_SECRET_MAX, false);
	login_say(cl, "Password: ");
}

static void
login_secret(struct client *cl)
{
	struct login *l = cl->login;
	int rc = login_queue(cl);

	loginline_clear(&l->line);
	if (rc == -1) {
		log_info("console %lld: too many logins in progress; turning %s away",
		    (long long)cl->con->node, l->peer);
		login_say(cl, "Too many logins in progress; try again later\r\n");
		console_client_close(cl);
		return;
	}
	l->state = LOGIN_CHECK; /* what it types until the verdict is dropped */
}

static void
login_line(struct client *cl, enum loginline_result r)
{
	if (r == LOGINLINE_TOO_LONG) {
		loginline_clear(&cl->login->line);
		login_fail(cl);
	} else if (cl->login->state == LOGIN_USER) {
		login_user(cl);
	} else {
		login_secret(cl);
	}
}

/*
 * Keep what arrives during the check (up to LOGIN_AHEAD_MAX, all of one
 * read): the LF or NUL that ends the password's Enter is not part of it.
 */
static void
login_typeahead(struct login *l, const char *data, size_t len)
{
	if (len > 0 && l->line.cr) {
		l->line.cr = false;
		if (data[0] == '\n' || data[0] == '\0') {
			data++;
			len--;
		}
	}
	if (len > sizeof(l->ahead) - l->nahead)
		len = sizeof(l->ahead) - l->nahead;
	memcpy(l->ahead + l->nahead, data, len);
	l->nahead += len;
}

void
login_input(struct client *cl, const char *data, size_t len)
{
	char echo[LOGINLINE_ECHO_MAX];
	size_t elen;
	enum loginline_result r;

	size_t i;

	if (cl->login->state == LOGIN_CHECK) {
		login_typeahead(cl->login, data, len);
		return;
	}
	for (i = 0; i < len && !cl->dead && cl->login->state != LOGIN_CHECK; i++) {
		r = loginline_put(&cl->login->line, data[i], echo, &elen);
		if (elen > 0)
			telnetd_send(cl, echo, elen);
		if (r != LOGINLINE_MORE)
			login_line(cl, r);
	}
	if (!cl->dead && cl->login != NULL && cl->login->state == LOGIN_CHECK && i < len)
		login_typeahead(cl->login, data + i, len - i);
}

/* login_peer - the client's address as text ("?" when the socket will not say). */
static void
login_peer(int fd, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const void *a = NULL;

	snprintf(out, len, "?");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == -1)
		return;
	if (ss.ss_family == AF_INET)
		a = &((struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	if (a == NULL || inet_ntop(ss.ss_family, a, out, (socklen_t)len) == NULL)
		snprintf(out, len, "?");
}

void
login_start(struct client *cl)
{
	struct con *c = cl->con;
	struct login *l;
	int npending = 0;

	for (struct client *p = c->pending; p != NULL; p = p->next)
		npending += !p->dead;
	cl->next = c->pending; /* from here the end of a batch frees it */
	c->pending = cl;
	if (npending >= LOGIN_PENDING_MAX) {
		login_say(cl, "Too many logins in progress on this console; try again later\r\n");
		console_client_close(cl);
		return;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		console_client_close(cl); /* never in without the login */
		return;
	}
	l->id = ++la.next_id;
	l->deadline = clock_mono_ms() + LOGIN_TIMEOUT_MS;
	login_peer(cl->fd, l->peer, sizeof(l->peer));
	cl->login = l;
	la.nlogin++;
	login_say(cl, LOGIN_BANNER);
	login_prompt(cl);
}

void
login_free(struct client *cl)
{
	if (cl->login == NULL)
		return;
	explicit_bzero(cl->login, sizeof(*cl->login));
	free(cl->login);
	cl->login = NULL;
	la.nlogin--;
}

/* ---- verdicts ---- */

/* login_join - cl is in: off the pending list, onto the console (scrollback first). */
static void
login_join(struct client *cl, bool read_only)
{
	struct con *c = cl->con;
	char ahead[LOGIN_AHEAD_MAX];
	size_t nahead = cl->login->nahead;

	for (struct client **pp = &c->pending; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cl) {
			*pp = cl->next;
			break;
		}
	memcpy(ahead, cl->login->ahead, nahead);
	cl->cr = cl->login->line.cr;
	login_free(cl);
	cl->read_only = read_only;
	if (read_only)
		login_say(cl, "(read-only: you can watch this console, not type)\r\n");
	console_client_join(cl);
	if (nahead > 0 && !read_only && !cl->dead)
		console_input(c, cl, ahead, nahead);
	explicit_bzero(ahead, nahead);
}

/* login_waiting - the live client job j was for, still waiting for it; or NULL. */
static struct client *
login_waiting(const struct login_job *j)
{
	struct con *c = console_find(j->node);

	if (c == NULL)
		return (NULL);
	for (struct client *cl = c->pending; cl != NULL; cl = cl->next)
		if (!cl->dead && cl->login != NULL && cl->login->id == j->id)
			return (cl->login->state == LOGIN_CHECK ? cl : NULL);
	return (NULL);
}

static void
login_verdict(const struct login_job *j)
{
	struct client *cl = login_waiting(j);

	if (cl == NULL)
		return; /* it hung up, timed out, or its console went */
	cl->who = j->who;
	if (j->verdict == CONSOLE_FULL)
		login_join(cl, false);
	else if (j->verdict == CONSOLE_WATCH)
		login_join(cl, true);
	else
		login_fail(cl);
	if (!cl->dead)
		console_client_resume(cl); /* its socket is read again */
}

bool
login_checking(const struct client *cl)
{
	return (cl->login != NULL && cl->login->state == LOGIN_CHECK);
}

void
login_results(void)
{
	struct login_job *j, *next;

	pthread_mutex_lock(&la.mu);
	j = la.done;
	la.done = NULL;
	pthread_mutex_unlock(&la.mu);
	for (; j != NULL; j = next) {
		next = j->next;
		login_verdict(j);
		job_free(j);
	}
}

/* login_expire_con - close c's clients past their deadline; *next gets the soonest other. */
static void
login_expire_con(struct con *c, int64_t now, int64_t *next)
{
	for (struct client *cl = c->pending; cl != NULL; cl = cl->next) {
		if (cl->dead || cl->login == NULL)
			continue;
		if (cl->login->deadline <= now) {
			login_say(cl, "\r\nLogin timed out\r\n");
			console_client_close(cl);
		} else if (*next == -1 || cl->login->deadline < *next) {
			*next = cl->login->deadline;
		}
	}
}

int
login_expire(void)
{
	int64_t now, next = -1;

	if (la.nlogin == 0)
		return (-1);
	now = clock_mono_ms();
	for (struct con *c = console_first(); c != NULL; c = c->next)
		login_expire_con(c, now, &next);
	return (next == -1 ? -1 : (int)(next - now));
}

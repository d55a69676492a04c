/*
 * ready - when a node counts as ready: its console printed the template's
 * readiness pattern (scanned from its console log, never under a regex
 * the template did not give), and a console-typed startup config, if any,
 * was typed. A boot's length is recorded to measure the TCG slowdown.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/paths.h"
#include "core/base/clock.h"
#include "core/base/log.h"
#include "core/run/run.h"
#include "core/run/state.h"
#include "images/template.h"
#include "core/run/typing.h"
#include "tcg/boot.h"

/* The patterns compiled so far: a few, one per template that gives one. */
struct ready_pattern {
	char *text;
	regex_t re;
	struct ready_pattern *next;
};

static struct ready_pattern *ready_patterns;

const regex_t *
ready_re(const char *pattern)
{
	struct ready_pattern *p;

	for (p = ready_patterns; p != NULL; p = p->next)
		if (strcmp(p->text, pattern) == 0)
			return (&p->re);
	if ((p = calloc(1, sizeof(*p))) == NULL || (p->text = strdup(pattern)) == NULL) {
		free(p);
		return (NULL);
	}
	if (regcomp(&p->re, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
		free(p->text);
		free(p);
		return (NULL);
	}
	p->next = ready_patterns;
	ready_patterns = p;
	return (&p->re);
}

void
ready_re_free_all(void)
{
	struct ready_pattern *p;

	while ((p = ready_patterns) != NULL) {
		ready_patterns = p->next;
		regfree(&p->re);
		free(p->text);
		free(p);
	}
}

void
ready_mark(struct rt_node *n, const char *note)
{
	n->ready = true;
	n->typing = false;
	n->boot_deadline = 0;
	log_info("node %lld: ready%s%s", (long long)n->id, note ? ", " : "", note ? note : "");
	state_node_ready(n->id);
}

struct ready_typing {
	struct typing *bt;
	int64_t id;
};

/* The typing threads still running: runtime_fini waits for them. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int n;
} typists = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

void
ready_typing_wait(void)
{
	struct timespec until;

	clock_deadline(&until, 5000);
	pthread_mutex_lock(&typists.mu);
	while (typists.n > 0 && pthread_cond_timedwait(&typists.cv, &typists.mu, &until) == 0)
		;
	if (typists.n > 0)
		log_warnx("runtime: %d startup config(s) still being typed at shutdown", typists.n);
	pthread_mutex_unlock(&typists.mu);
}

/* ready_typing_thread - types the startup config off the loop's thread; the loop hears when done.
 */
static void *
ready_typing_thread(void *arg)
{
	struct ready_typing *ta = arg;
	char msg[256];
	int r = typing_run(ta->bt, msg, sizeof(msg));

	log_info("node %lld: startup config on the console: %s", (long long)ta->id, msg);
	rt_enqueue(r == 0 ? RT_NODE_TYPED : RT_NODE_TYPE_FAILED, ta->id);
	free(ta);
	pthread_mutex_lock(&typists.mu);
	if (--typists.n == 0)
		pthread_cond_broadcast(&typists.cv);
	pthread_mutex_unlock(&typists.mu);
	return (NULL);
}

/* ready_type - start typing cfg on n's console; true when the typing is under way. */
static bool
ready_type(struct rt_node *n, const struct template *t, const char *cfg)
{
	struct ready_typing *ta = malloc(sizeof(*ta));
	pthread_t th;

	if (ta != NULL && (ta->bt = typing_new(n->id, t, cfg)) != NULL) {
		ta->id = n->id;
		pthread_mutex_lock(&typists.mu);
		if (pthread_create(&th, NULL, ready_typing_thread, ta) == 0) {
			typists.n++;
			pthread_mutex_unlock(&typists.mu);
			pthread_detach(th);
			return (true);
		}
		pthread_mutex_unlock(&typists.mu);
		typing_free(ta->bt);
	}
	free(ta);
	log_warnx("node %lld: cannot type its startup config", (long long)n->id);
	return (false);
}

/*
 * ready_seen - the console showed the readiness pattern: record the boot
 * time (it measures the TCG slowdown), and type the startup config first
 * when the template delivers it that way; the node is ready after that.
 */
static void
ready_seen(struct rt_node *n)
{
	const struct template *t = template_find(n->tmpl);
	char *cfg = NULL;

	n->ready = false;
	if (n->fresh && n->accel[0] != '\0' && t != NULL)
		boot_record(n->tmpl, n->accel, (double)(clock_mono_ms() - n->started_ms) / 1000.0);
	if (t != NULL && strcmp(t->config_method, "console") == 0 &&
	    (cfg = state_node_startup_config(n->id)) != NULL && ready_type(n, t, cfg))
		n->typing = true;
	else
		ready_mark(n, NULL);
	free(cfg);
}

/* Scan what the console printed since the last look for the readiness pattern. */
void
ready_poll(struct rt_node *n)
{
	char buf[4096 + sizeof(n->carry)];
	size_t cl = strlen(n->carry);
	ssize_t r;
	int fd;

	if ((fd = paths_open_plain(n->log_path, O_RDONLY, 0)) == -1)
		return;
	if (lseek(fd, 0, SEEK_END) < n->log_off)
		n->log_off = 0; /* rotated */
	memcpy(buf, n->carry, cl);
	while ((r = pread(fd, buf + cl, sizeof(buf) - cl - 1, n->log_off)) > 0) {
		size_t len = cl + (size_t)r;

		n->log_off += r;
		for (size_t i = 0; i < len; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		buf[len] = '\0';
		if (regexec(n->ready_re, buf, 0, NULL, 0) == 0) {
			n->ready = true;
			break;
		}
		cl = len < sizeof(n->carry) - 1 ? len : sizeof(n->carry) - 1;
		memmove(buf, buf + len - cl, cl);
	}
	memcpy(n->carry, buf, cl);
	n->carry[cl] = '\0';
	close(fd);
	if (n->ready)
		ready_seen(n);
}

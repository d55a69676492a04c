/*
 * events - the event ring.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/clock.h"
#include "core/base/events.h"

#define EVENTS_RING 256

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t next; /* sequence of the next event */
	char *ring[EVENTS_RING];
	int64_t lab[EVENTS_RING]; /* the lab each event is about, 0 for none */
} ev = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, {NULL}, {0}};

void
events_publish(const char *type, int64_t lab, json_t *obj)
{
	char *data, *line;

	json_object_set_new(obj, "type", json_string(type));
	json_object_set_new(obj, "time", json_integer((json_int_t)time(NULL)));
	data = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	if (data == NULL)
		return;
	if (asprintf(&line, "event: %s\ndata: %s\n\n", type, data) == -1) {
		free(data);
		return;
	}
	free(data);
	pthread_mutex_lock(&ev.mu);
	free(ev.ring[ev.next % EVENTS_RING]);
	ev.ring[ev.next % EVENTS_RING] = line;
	ev.lab[ev.next % EVENTS_RING] = lab;
	ev.next++;
	pthread_cond_broadcast(&ev.cv);
	pthread_mutex_unlock(&ev.mu);
}

uint64_t
events_seq(void)
{
	uint64_t s;

	pthread_mutex_lock(&ev.mu);
	s = ev.next;
	pthread_mutex_unlock(&ev.mu);
	return (s);
}

int
events_read(uint64_t *seq, char *buf, size_t len, int64_t *lab)
{
	pthread_mutex_lock(&ev.mu);
	if (*seq < ev.next) {
		const char *line;
		size_t l;

		if (ev.next - *seq > EVENTS_RING)
			*seq = ev.next - EVENTS_RING;
		line = ev.ring[*seq % EVENTS_RING];
		l = strlen(line);
		if (l >= len) {
			pthread_mutex_unlock(&ev.mu);
			return (-1);
		}
		memcpy(buf, line, l + 1);
		*lab = ev.lab[*seq % EVENTS_RING];
		(*seq)++;
		pthread_mutex_unlock(&ev.mu);
		return ((int)l);
	}
	pthread_mutex_unlock(&ev.mu);
	return (0);
}

uint64_t
events_wait(uint64_t seq, int timeout_ms)
{
	struct timespec until;
	uint64_t next;

	clock_deadline(&until, timeout_ms);
	pthread_mutex_lock(&ev.mu);
	if (seq >= ev.next)
		pthread_cond_timedwait(&ev.cv, &ev.mu, &until);
	next = ev.next;
	pthread_mutex_unlock(&ev.mu);
	return (next);
}

void
events_wake(void)
{
	pthread_mutex_lock(&ev.mu);
	pthread_cond_broadcast(&ev.cv);
	pthread_mutex_unlock(&ev.mu);
}

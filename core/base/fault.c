/*
 * fault - the crash points of the test build (see fault.h); never linked
 * into the daemon `make install` installs.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/fault.h"
#include "core/base/log.h"

#define FAULT_NAME_MAX 64

static atomic_int fault_hits;

void
fault_point(const char *name)
{
	const char *want = getenv("LW_FAULT"), *colon;
	size_t len;
	long nth = 1;

	if (want == NULL || want[0] == '\0')
		return;
	colon = strchr(want, ':');
	len = colon != NULL ? (size_t)(colon - want) : strlen(want);
	if (len > FAULT_NAME_MAX || strlen(name) != len || strncmp(want, name, len) != 0)
		return;
	if (colon != NULL && ((nth = strtol(colon + 1, NULL, 10)) < 1 || nth > 100000))
		return;
	if (atomic_fetch_add(&fault_hits, 1) + 1 != nth)
		return;
	log_warnx("fault: %s reached (time %ld): the daemon kills itself", name, nth);
	kill(getpid(), SIGKILL);
	_exit(137); /* not reached */
}

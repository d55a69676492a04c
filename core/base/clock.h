/*
 * clock - the two clocks the daemon uses: monotonic milliseconds for its
 * own deadlines, and absolute CLOCK_REALTIME deadlines for condition waits
 * (pthread_cond_timedwait measures against that clock). It only reads the
 * time: it keeps no timer and never sleeps; callers wait on their own fds
 * or condition variables.
 */
#ifndef LW_CLOCK_H
#define LW_CLOCK_H

#include <stdint.h>
#include <time.h>

/* clock_mono_ms - CLOCK_MONOTONIC in milliseconds. */
int64_t clock_mono_ms(void);
/* clock_deadline - *ts = now + ms on CLOCK_REALTIME, for pthread_cond_timedwait. */
void clock_deadline(struct timespec *ts, int ms);

#endif

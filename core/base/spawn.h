/*
 * spawn - the one process spawner: every child labwire starts (QEMU,
 * qemu-img, genisoimage, mtools) goes through here with an argv array,
 * never a shell. The child gets a new session, stdin /dev/null, stdout and
 * stderr to a log (or /dev/null), the caller's fds as 3.., and nothing
 * else of the daemon's. It knows nothing of what it starts.
 *
 * EINTR: system calls that can be interrupted are retried with glibc's
 * TEMP_FAILURE_RETRY(expr) everywhere in labwire; there is no second macro.
 */
#ifndef LW_SPAWN_H
#define LW_SPAWN_H

#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

#define SPAWN_MAX_FDS 32 /* fds a child may be handed (a node's TAPs) */

/*
 * spawn_start - start argv[0] (searched in PATH when it has no '/') with
 * fds[i] as fd 3+i and stdout/stderr appended to log_path (or /dev/null);
 * returns the pid and a pidfd in *pidfd, or -1 with errno (the exec's own
 * errno when the binary could not be executed).
 */
pid_t spawn_start(char *const argv[], const int *fds, int nfds, const char *log_path, int *pidfd);
/* spawn_start_fd - spawn_start with stdout/stderr to out_fd (-1: /dev/null). */
pid_t spawn_start_fd(char *const argv[], const int *fds, int nfds, int out_fd, int *pidfd);
/*
 * spawn_wait - wait for a child started by spawn_start, killing it after
 * timeout_ms (-1: no limit); closes pidfd and reaps it. Returns its exit
 * status, or -1 with errno: ETIMEDOUT (killed at the timeout), 0 (ended by
 * a signal), or what poll or waitpid failed with.
 */
int spawn_wait(pid_t pid, int pidfd, int timeout_ms);
/* spawn_kill_reap - SIGKILL and reap a child being given up on; keeps errno. */
void spawn_kill_reap(pid_t pid);
/* spawn_path - resolve a binary name in PATH into buf; returns 0 or -1 (ENOENT, EACCES). */
int spawn_path(const char *name, char *buf, size_t len);
/*
 * spawn_read_all - read fd until EOF or timeout_ms into buf (NUL-terminated,
 * the excess discarded); 0, or -1 with errno (ETIMEDOUT).
 */
int spawn_read_all(int fd, char *buf, size_t len, int timeout_ms);
/* spawn_close_keep_errno - close(fd) without disturbing errno (for unwind paths). */
void spawn_close_keep_errno(int fd);

#endif

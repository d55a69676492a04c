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

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

#define SPAWN_MAX_FDS 32    /* fds a child may be handed (a node's TAPs) */
#define SPAWN_MAX_CGROUPS 4 /* cgroup.procs files a child may join (one per hierarchy) */

/*
 * spawn_jail - what a child becomes between fork and exec, in this order:
 * a member of each cgroup (its cgroup.procs, opened by the caller), under
 * the resource limits, with the umask, then uid/gid with no supplementary
 * group but group (unless keep_root), and always with no-new-privs.
 */
struct spawn_jail {
	uid_t uid;
	gid_t gid;
	bool keep_root; /* stay uid 0 (the namespace host's supervisor, which maps its own ids) */
	gid_t group;    /* the one supplementary group it keeps (/dev/kvm's), or 0 for none */
	bool pinned;    /* the binary must be root's, writable by no one else, reached by no link:
	                   the very file checked is the one executed (execveat) */
	int cgroup_fds[SPAWN_MAX_CGROUPS];
	int ncgroups;
	unsigned long mem_bytes; /* RLIMIT_AS; 0: none */
	unsigned long cpu_s;     /* RLIMIT_CPU; 0: none */
	mode_t umask;
};

/*
 * spawn_start - start argv[0] (searched in PATH when it has no '/') with
 * fds[i] as fd 3+i and stdout/stderr appended to log_path (or /dev/null);
 * returns the pid and a pidfd in *pidfd, or -1 with errno (the exec's own
 * errno when the binary could not be executed).
 */
pid_t spawn_start(char *const argv[], const int *fds, int nfds, const char *log_path, int *pidfd);
/* spawn_start_fd - spawn_start with stdout/stderr to out_fd (-1: /dev/null). */
pid_t spawn_start_fd(char *const argv[], const int *fds, int nfds, int out_fd, int *pidfd);
/* spawn_log_open - open (append, create 0640) a child's log; the fd, or -1 with errno. */
int spawn_log_open(const char *path);
/*
 * spawn_log_trim - keep a child's log (opened by spawn_log_open, written by
 * a child that outlives the daemon, so never piped through it) bounded:
 * past max bytes its newest max bytes are copied to path.1 and it is cut
 * to 0. The child appends (O_APPEND), so its next write lands at the new
 * start, leaving no hole; what it writes between the copy and the cut is
 * lost. 1 rotated, 0 nothing to do, -1 with errno.
 */
int spawn_log_trim(const char *path, off_t max);
/* spawn_start_jail - spawn_start_fd, the child jailed by j (NULL: as this process). */
pid_t spawn_start_jail(char *const argv[], const int *fds, int nfds, int out_fd,
    const struct spawn_jail *j, int *pidfd);
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
/* spawn_pidfd_pid - the pid a pidfd refers to (from /proc/self/fdinfo); -1 if none or gone. */
pid_t spawn_pidfd_pid(int pidfd);
/*
 * spawn_proc_start - when pid started, in clock ticks after boot (field 22
 * of /proc/PID/stat): with the pid, it names one process for good, since a
 * reused pid starts later. 0, or -1 with errno.
 */
int spawn_proc_start(pid_t pid, unsigned long long *ticks);
/*
 * spawn_proc_argv - pid's argv from /proc/PID/cmdline into buf, the
 * strings NUL-separated and the whole NUL-terminated (a longer one is cut
 * at len - 1); its length, or -1 with errno.
 */
ssize_t spawn_proc_argv(pid_t pid, char *buf, size_t len);
/* spawn_pidfd_alive - whether the process behind pidfd has not exited yet. */
bool spawn_pidfd_alive(int pidfd);
/* spawn_close_keep_errno - close(fd) without disturbing errno (for unwind paths). */
void spawn_close_keep_errno(int fd);

#endif

/*
 * spawn - the one way labwire starts a child process: an argv array (never
 * a shell), a binary resolved in PATH beforehand, a new session, the
 * caller's fds at 3.., every other fd closed, output to a log, and a pidfd
 * to supervise it with.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/base/paths.h"
#include "core/base/spawn.h"

/*
 * The child runs between fork and exec in a copy of a possibly
 * multi-threaded daemon, so it only makes async-signal-safe calls: the
 * binary is resolved and every file opened in the parent beforehand.
 */

struct spawn_child {
	const char *path; /* resolved binary */
	char *const *argv;
	const int *fds; /* become 3..3+nfds-1 */
	int nfds;
	int null_fd;                   /* stdin */
	int out_fd;                    /* stdout and stderr */
	int err_fd;                    /* write end of the exec-status pipe */
	const struct spawn_jail *jail; /* or NULL */
	int exe_fd;                    /* jail->pinned: the checked binary, executed by fd */
	sigset_t mask;                 /* the parent's mask, restored after fork */
};

/* A jailed child's whole environment: nothing of the daemon's (its HOME is root's). */
static const char *const spawn_jail_env[] = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/nonexistent",
    "LC_ALL=C.UTF-8", NULL};

static int spawn_pin(const char *path);
static void spawn_child_fail(int err_fd, int err) __attribute__((noreturn));
static void spawn_child(struct spawn_child *c) __attribute__((noreturn));

/* spawn_child_fail - tell the parent why, and die without running atexit handlers. */
static void
spawn_child_fail(int err_fd, int err)
{
	ssize_t r;

	r = TEMP_FAILURE_RETRY(write(err_fd, &err, sizeof(err)));
	(void)r;
	_exit(127);
}

static void
spawn_child_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	/* Handlers the daemon installed, and SIG_IGN (which exec keeps), go. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL); /* fails harmlessly for SIGKILL/SIGSTOP */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * spawn_child_fds - lay out fds 0..3+nfds-1. Every fd we need is first
 * copied above the target range, since a TAP fd may sit exactly where
 * another one must go; then the copies are dup2'd into place (dup2 clears
 * close-on-exec) and everything from 3+nfds up is marked close-on-exec,
 * which also closes the status pipe on a successful exec.
 */
static int
spawn_child_fds(struct spawn_child *c)
{
	int base = 3 + c->nfds;
	int moved[SPAWN_MAX_FDS];
	int null_fd, out_fd;

	if ((null_fd = fcntl(c->null_fd, F_DUPFD_CLOEXEC, base)) == -1 ||
	    (out_fd = fcntl(c->out_fd, F_DUPFD_CLOEXEC, base)) == -1 ||
	    (c->err_fd = fcntl(c->err_fd, F_DUPFD_CLOEXEC, base)) == -1 ||
	    (c->exe_fd != -1 && (c->exe_fd = fcntl(c->exe_fd, F_DUPFD_CLOEXEC, base)) == -1))
		return (-1);
	for (int i = 0; i < c->nfds; i++)
		if ((moved[i] = fcntl(c->fds[i], F_DUPFD_CLOEXEC, base)) == -1)
			return (-1);
	if (dup2(null_fd, 0) == -1 || dup2(out_fd, 1) == -1 || dup2(out_fd, 2) == -1)
		return (-1);
	for (int i = 0; i < c->nfds; i++)
		if (dup2(moved[i], 3 + i) == -1)
			return (-1);
	if (close_range(base, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
		return (-1);
	return (0);
}

/* spawn_child_cgroups - join each cgroup ("0" is the writer) while the fds are where the caller had
 * them. */
static int
spawn_child_cgroups(const struct spawn_jail *j)
{
	for (int i = 0; i < j->ncgroups; i++)
		if (TEMP_FAILURE_RETRY(write(j->cgroup_fds[i], "0", 1)) != 1)
			return (-1);
	return (0);
}

static int
spawn_child_limit(int resource, unsigned long v)
{
	struct rlimit rl = {.rlim_cur = v, .rlim_max = v};

	return (v == 0 ? 0 : setrlimit(resource, &rl));
}

/* spawn_child_drop - limits, umask, then the identity: groups first, while we may still change
 * them. */
static int
spawn_child_drop(const struct spawn_jail *j)
{
	if (spawn_child_limit(RLIMIT_AS, j->mem_bytes) == -1 ||
	    spawn_child_limit(RLIMIT_CPU, j->cpu_s) == -1)
		return (-1);
	umask(j->umask);
	if (!j->keep_root) {
		if (setgroups(j->group != 0 ? 1 : 0, &j->group) == -1 ||
		    setresgid(j->gid, j->gid, j->gid) == -1 ||
		    setresuid(j->uid, j->uid, j->uid) == -1)
			return (-1);
		if (j->uid == 0 || getuid() == 0 || geteuid() == 0) {
			errno = EPERM;
			return (-1);
		}
	}
	return (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
}

static void
spawn_child(struct spawn_child *c)
{
	if (setsid() == -1)
		spawn_child_fail(c->err_fd, errno);
	spawn_child_signals();
	if (c->jail != NULL && spawn_child_cgroups(c->jail) == -1)
		spawn_child_fail(c->err_fd, errno);
	if (spawn_child_fds(c) == -1)
		spawn_child_fail(c->err_fd, errno);
	if (c->jail != NULL && spawn_child_drop(c->jail) == -1)
		spawn_child_fail(c->err_fd, errno);
	if (c->exe_fd != -1)
		syscall(SYS_execveat, c->exe_fd, "", c->argv, spawn_jail_env, AT_EMPTY_PATH);
	else if (c->jail != NULL)
		execve(c->path, c->argv, (char **)spawn_jail_env);
	else
		execv(c->path, c->argv);
	spawn_child_fail(c->err_fd, errno);
}

/*
 * spawn_wait_exec - read the child's exec status: EOF means exec succeeded
 * (the pipe closed on exec); an int is the errno of what failed.
 */
static int
spawn_wait_exec(int rd, pid_t pid)
{
	int err;
	ssize_t r;

	r = TEMP_FAILURE_RETRY(read(rd, &err, sizeof(err)));
	if (r == 0)
		return (0);
	if (r != (ssize_t)sizeof(err))
		err = r == -1 ? errno : EIO;
	TEMP_FAILURE_RETRY(waitpid(pid, NULL, 0));
	errno = err;
	return (-1);
}

pid_t
spawn_pidfd_pid(int pidfd)
{
	char path[64], line[128];
	long pid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	if ((f = fopen(path, "re")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Pid: %ld", &pid) == 1)
			break;
	fclose(f);
	if (pid <= 0)
		errno = ESRCH;
	return (pid > 0 ? (pid_t)pid : -1);
}

int
spawn_proc_start(pid_t pid, unsigned long long *ticks)
{
	char path[64], buf[1024], *p;
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	r = TEMP_FAILURE_RETRY(read(fd, buf, sizeof(buf) - 1));
	spawn_close_keep_errno(fd);
	if (r <= 0)
		return (-1);
	buf[r] = '\0';
	/* The name (field 2) may hold anything, ')' and spaces too: count from its last ')'. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1,
	        " %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
	        ticks) != 1) {
		errno = EINVAL;
		return (-1);
	}
	return (0);
}

ssize_t
spawn_proc_argv(pid_t pid, char *buf, size_t len)
{
	char path[64];
	size_t off = 0;
	ssize_t r = 0;
	int fd;

	if (len == 0) {
		errno = EINVAL;
		return (-1);
	}
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	while (off < len - 1 && (r = TEMP_FAILURE_RETRY(read(fd, buf + off, len - 1 - off))) > 0)
		off += (size_t)r;
	spawn_close_keep_errno(fd);
	if (r == -1)
		return (-1);
	buf[off] = '\0';
	return ((ssize_t)off);
}

bool
spawn_pidfd_alive(int pidfd)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	/* A pidfd polls readable once its process has exited. */
	return (pidfd >= 0 && TEMP_FAILURE_RETRY(poll(&p, 1, 0)) == 0);
}

void
spawn_close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

void
spawn_kill_reap(pid_t pid)
{
	int saved = errno;

	kill(pid, SIGKILL);
	TEMP_FAILURE_RETRY(waitpid(pid, NULL, 0));
	errno = saved;
}

/*
 * spawn_fork - fork with every signal blocked, so no daemon handler runs in
 * the child before spawn_child_signals resets them; returns like fork.
 */
static pid_t
spawn_fork(struct spawn_child *c)
{
	sigset_t all;
	pid_t pid;
	int saved;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &c->mask);
	pid = fork();
	if (pid == 0)
		spawn_child(c);
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &c->mask, NULL);
	errno = saved;
	return (pid);
}

pid_t
spawn_start_fd(char *const argv[], const int *fds, int nfds, int out_fd, int *pidfd)
{
	return (spawn_start_jail(argv, fds, nfds, out_fd, NULL, pidfd));
}

pid_t
spawn_start_jail(char *const argv[], const int *fds, int nfds, int out_fd,
    const struct spawn_jail *j, int *pidfd)
{
	struct spawn_child c = {
	    .argv = argv, .fds = fds, .nfds = nfds, .out_fd = out_fd, .jail = j, .exe_fd = -1};
	char path[PATH_MAX];
	int pipefd[2], pfd;
	pid_t pid;

	if (argv == NULL || argv[0] == NULL || nfds < 0 || nfds > SPAWN_MAX_FDS ||
	    (nfds > 0 && fds == NULL) ||
	    (j != NULL && (j->ncgroups < 0 || j->ncgroups > SPAWN_MAX_CGROUPS))) {
		errno = EINVAL;
		return (-1);
	}
	if (spawn_path(argv[0], path, sizeof(path)) == -1)
		return (-1);
	c.path = path;
	if (j != NULL && j->pinned && (c.exe_fd = spawn_pin(path)) == -1)
		return (-1);
	if ((c.null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		if (c.exe_fd != -1)
			spawn_close_keep_errno(c.exe_fd);
		return (-1);
	}
	if (c.out_fd == -1)
		c.out_fd = c.null_fd;
	if (pipe2(pipefd, O_CLOEXEC) == -1)
		goto fail_null;
	c.err_fd = pipefd[1];
	if ((pid = spawn_fork(&c)) == -1)
		goto fail_pipe;
	close(pipefd[1]);
	pipefd[1] = -1;
	/* Before the status read: the child is unreaped, so pid cannot be reused yet. */
	if ((pfd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1) {
		spawn_kill_reap(pid);
		goto fail_pipe;
	}
	if (spawn_wait_exec(pipefd[0], pid) == -1)
		goto fail_pidfd;
	close(pipefd[0]);
	close(c.null_fd);
	if (c.exe_fd != -1)
		close(c.exe_fd);
	*pidfd = pfd;
	return (pid);

fail_pidfd:
	spawn_close_keep_errno(pfd);
fail_pipe:
	spawn_close_keep_errno(pipefd[0]);
	if (pipefd[1] != -1)
		spawn_close_keep_errno(pipefd[1]);
fail_null:
	spawn_close_keep_errno(c.null_fd);
	if (c.exe_fd != -1)
		spawn_close_keep_errno(c.exe_fd);
	return (-1);
}

int
spawn_log_open(const char *path)
{
	/* Logs go in a node's directory: a plain file, never a link the node left there. */
	return (paths_open_plain(path, O_WRONLY | O_APPEND | O_CREAT, 0640));
}

/* Copy fd's bytes [from, to) to the end of out; 0 or -1 with errno. */
static int
spawn_copy(int fd, int out, off_t from, off_t to)
{
	char buf[65536];

	while (from < to) {
		size_t want = (size_t)(to - from) < sizeof(buf) ? (size_t)(to - from) : sizeof(buf);
		ssize_t n = TEMP_FAILURE_RETRY(pread(fd, buf, want, from)), w = 0;

		if (n <= 0)
			return (n == 0 ? 0 : -1);
		while (w < n) {
			ssize_t k = TEMP_FAILURE_RETRY(write(out, buf + w, (size_t)(n - w)));

			if (k == -1)
				return (-1);
			w += k;
		}
		from += n;
	}
	return (0);
}

int
spawn_log_trim(const char *path, off_t max)
{
	char old[PATH_MAX];
	struct stat st;
	int fd, ofd, r = -1;

	/* The common case, every tick for every node: one lstat. */
	if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size <= max)
		return (0);
	if (snprintf(old, sizeof(old), "%s.1", path) >= (int)sizeof(old)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = paths_open_plain(path, O_RDWR, 0)) == -1)
		return (-1);
	/* Truncated after the checks (paths_open_plain refuses O_TRUNC). */
	if (fstat(fd, &st) == -1 || (ofd = paths_open_plain(old, O_WRONLY | O_CREAT, 0640)) == -1)
		goto out;
	if (ftruncate(ofd, 0) == -1) {
		spawn_close_keep_errno(ofd);
		goto out;
	}
	/* The newest max bytes: the oldest go, and .1 stays within max too. */
	if (spawn_copy(fd, ofd, st.st_size > max ? st.st_size - max : 0, st.st_size) == 0 &&
	    ftruncate(fd, 0) == 0)
		r = 1;
	spawn_close_keep_errno(ofd);
out:
	spawn_close_keep_errno(fd);
	return (r);
}

pid_t
spawn_start(char *const argv[], const int *fds, int nfds, const char *log_path, int *pidfd)
{
	int log_fd = -1;
	pid_t pid;

	if (log_path != NULL && (log_fd = spawn_log_open(log_path)) == -1)
		return (-1);
	pid = spawn_start_fd(argv, fds, nfds, log_fd, pidfd);
	if (log_fd != -1)
		spawn_close_keep_errno(log_fd);
	return (pid);
}

/* spawn_root_only - fd (or the path's entry) is root's and nobody else may write it. */
static bool
spawn_root_only(const struct stat *st)
{
	return (st->st_uid == 0 && (st->st_mode & 022) == 0);
}

/*
 * spawn_pin - open path for execveat: its real path (links resolved, such
 * as Debian's mcopy -> mtools) must be a regular file of root's that
 * neither its group nor others may write, in directories of root's that no
 * one else may write either, so nobody but root could swap anything
 * between this check and the exec; and the fd executed is the file
 * checked. The fd (O_PATH), or -1 with errno EPERM.
 */
static int
spawn_pin(const char *path)
{
	char real[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	int fd;

	if (realpath(path, real) == NULL)
		return (-1);
	snprintf(dir, sizeof(dir), "%s", real);
	for (char *slash = strrchr(dir, '/'); slash != NULL; slash = strrchr(dir, '/')) {
		*slash = '\0';
		if (stat(dir[0] ? dir : "/", &st) == -1 || !spawn_root_only(&st)) {
			errno = EPERM;
			return (-1);
		}
	}
	if ((fd = open(real, O_PATH | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || !spawn_root_only(&st)) {
		close(fd);
		errno = EPERM;
		return (-1);
	}
	return (fd);
}

/* spawn_executable - a regular file this process may execute; 0, or -1 with errno. */
static int
spawn_executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return (-1);
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return (-1);
	}
	return (eaccess(path, X_OK));
}

static int
spawn_copy_path(const char *path, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s", path) >= len) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

/*
 * Empty PATH entries (the current directory, historically) are skipped:
 * the daemon's working directory is no place to find a binary.
 */
int
spawn_path(const char *name, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;
	char cand[PATH_MAX];
	int err = ENOENT;

	if (strchr(name, '/') != NULL) {
		if (spawn_executable(name) == -1)
			return (-1);
		return (spawn_copy_path(name, buf, len));
	}
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p != '\0'; p = *end == ':' ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (end == p)
			continue;
		if (snprintf(cand, sizeof(cand), "%.*s/%s", (int)(end - p), p, name) >=
		    (int)sizeof(cand))
			continue;
		if (spawn_executable(cand) == 0)
			return (spawn_copy_path(cand, buf, len));
		if (errno == EACCES)
			err = EACCES;
	}
	errno = err;
	return (-1);
}

int
spawn_read_all(int fd, char *buf, size_t len, int timeout_ms)
{
	struct timespec start, now;
	char scratch[512];
	size_t n = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		long spent;
		ssize_t r;

		clock_gettime(CLOCK_MONOTONIC, &now);
		spent =
		    (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (spent >= timeout_ms) {
			errno = ETIMEDOUT;
			return (-1);
		}
		if (poll(&pfd, 1, (int)(timeout_ms - spent)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		if (n + 1 < len)
			r = read(fd, buf + n, len - 1 - n);
		else
			r = read(fd, scratch, sizeof(scratch));
		if (r == 0)
			break;
		if (r == -1 && errno != EINTR && errno != EAGAIN)
			return (-1);
		if (r > 0 && n + 1 < len)
			n += (size_t)r;
	}
	buf[n] = '\0';
	return (0);
}

int
spawn_wait(pid_t pid, int pidfd, int timeout_ms)
{
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
	int status, r = 1, err;

	if (timeout_ms >= 0 && (r = TEMP_FAILURE_RETRY(poll(&pfd, 1, timeout_ms))) == 0)
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	err = r == -1 ? errno : 0;
	close(pidfd);
	if (TEMP_FAILURE_RETRY(waitpid(pid, &status, 0)) == -1)
		return (-1);
	/* errno says which -1 this is: ETIMEDOUT, poll's own, or 0 (a signal ended it). */
	errno = r == 0 ? ETIMEDOUT : err;
	if (r <= 0)
		return (-1);
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

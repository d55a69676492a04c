/*
 * paths - the daemon's file names from ids, and directory chores.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/base/paths.h"

static int
paths_fit(int r, size_t len)
{
	return (r < 0 || (size_t)r >= len ? -1 : 0);
}

int
paths_lab(char *buf, size_t len, int64_t lab, int64_t node, const char *file)
{
	if (node != 0)
		return (paths_fit(snprintf(buf, len, "%s/labs/%lld/nodes/%lld%s", lw.cfg.data_dir,
		                      (long long)lab, (long long)node, file ? file : ""),
		    len));
	return (paths_fit(
	    snprintf(buf, len, "%s/labs/%lld%s", lw.cfg.data_dir, (long long)lab, file ? file : ""),
	    len));
}

int
paths_sock(char *buf, size_t len, int64_t node, const char *kind)
{
	if (kind == NULL)
		return (paths_fit(
		    snprintf(buf, len, "%s/run/n%lld", lw.cfg.data_dir, (long long)node), len));
	return (paths_fit(
	    snprintf(buf, len, "%s/run/n%lld/%s", lw.cfg.data_dir, (long long)node, kind), len));
}

int
paths_mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	if (paths_fit(snprintf(tmp, sizeof(tmp), "%s", path), sizeof(tmp)) == -1) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, PATHS_DIR_MODE) == -1 && errno != EEXIST)
			return (-1);
		*p = '/';
	}
	return (mkdir(tmp, PATHS_DIR_MODE) == -1 && errno != EEXIST ? -1 : 0);
}

int
paths_passable(const char *path, char *bad, size_t len)
{
	char tmp[PATH_MAX];
	struct stat st;
	char *p;

	if (paths_fit(snprintf(tmp, sizeof(tmp), "%s", path), sizeof(tmp)) == -1 || tmp[0] != '/') {
		errno = EINVAL;
		return (-1);
	}
	for (p = tmp + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (stat(tmp, &st) == -1)
			return (-1);
		if (S_ISDIR(st.st_mode) && (st.st_mode & S_IXOTH) == 0) {
			snprintf(bad, len, "%s", tmp);
			return (0);
		}
		if (c == '\0')
			return (1);
		*p = '/';
	}
}

#define PATHS_DEPTH_MAX 32

int
paths_open_plain(const char *path, int flags, mode_t mode)
{
	struct stat st;
	int fd, fl;

	if (flags & O_TRUNC) { /* it would truncate before the checks */
		errno = EINVAL;
		return (-1);
	}
	fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, mode);
	if (fd == -1)
		return (-1);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		close(fd);
		errno = EINVAL;
		return (-1);
	}
	if (!(flags & O_NONBLOCK) && (fl = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return (fd);
}

/* paths_dir_of - a directory stream of its own on dfd (which stays the caller's), or NULL. */
static DIR *
paths_dir_of(int dfd)
{
	int fd = dup(dfd);
	DIR *d;

	if (fd == -1)
		return (NULL);
	if ((d = fdopendir(fd)) == NULL)
		close(fd);
	return (d);
}

static bool
paths_dot(const char *name)
{
	return (strcmp(name, ".") == 0 || strcmp(name, "..") == 0);
}

/*
 * paths_rm_in - remove everything in the open directory dfd. By fd and
 * name only, never following a link: whoever may write a directory below
 * (a node's user, in its own) cannot turn the removal anywhere else by
 * swapping a directory for a symbolic link mid-way.
 */
static void
paths_rm_in(int dfd, int depth)
{
	struct dirent *de;
	DIR *d;

	if ((d = paths_dir_of(dfd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int sub;

		if (paths_dot(de->d_name))
			continue;
		if (unlinkat(dfd, de->d_name, 0) == 0 || errno != EISDIR)
			continue;
		sub = openat(dfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub == -1)
			continue;
		if (depth < PATHS_DEPTH_MAX)
			paths_rm_in(sub, depth + 1);
		close(sub);
		unlinkat(dfd, de->d_name, AT_REMOVEDIR);
	}
	closedir(d);
}

void
paths_rmtree(const char *path)
{
	char parent[PATH_MAX], *leaf;
	int pfd, fd;

	if (paths_fit(snprintf(parent, sizeof(parent), "%s", path), sizeof(parent)) == -1 ||
	    (leaf = strrchr(parent, '/')) == NULL || leaf[1] == '\0')
		return;
	*leaf++ = '\0';
	if ((pfd = open(parent[0] ? parent : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if (unlinkat(pfd, leaf, 0) == -1 && errno == EISDIR &&
	    (fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) != -1) {
		paths_rm_in(fd, 0);
		close(fd);
		unlinkat(pfd, leaf, AT_REMOVEDIR);
	}
	close(pfd);
}

/*
 * paths_chown_in - what root owns in the open directory dfd becomes
 * uid:gid (a group of root's becomes gid; another group stays): each entry
 * checked and changed by fd or with AT_SYMLINK_NOFOLLOW, never through a
 * link, regular files only with a single name (never a hard link to a file
 * elsewhere), devices never. Every directory is entered by fd without
 * following a link, so whatever a node's user renames in its own
 * directories meanwhile, the walk stays inside the tree.
 */
static void
paths_chown_in(int dfd, uid_t uid, gid_t gid, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;

	if ((d = paths_dir_of(dfd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int sub;

		if (paths_dot(de->d_name) ||
		    fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISLNK(st.st_mode) ||
		    (st.st_uid != 0 && !S_ISDIR(st.st_mode)))
			continue;
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
			if (st.st_nlink == 1) /* a socket or FIFO root left */
				fchownat(dfd, de->d_name, uid, st.st_gid == 0 ? gid : (gid_t)-1,
				    AT_SYMLINK_NOFOLLOW);
			continue;
		}
		sub = openat(dfd, de->d_name,
		    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
		        (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (sub == -1)
			continue;
		if (fstat(sub, &st) == 0 && st.st_uid == 0 &&
		    (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && st.st_nlink == 1)))
			fchown(sub, uid, st.st_gid == 0 ? gid : (gid_t)-1);
		if (S_ISDIR(st.st_mode) && depth < PATHS_DEPTH_MAX)
			paths_chown_in(sub, uid, gid, depth + 1);
		close(sub);
	}
	closedir(d);
}

int
paths_chown_root(const char *dir, uid_t uid, gid_t gid)
{
	struct stat st;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return (-1);
	if (fstat(fd, &st) == 0 && st.st_uid == 0)
		fchown(fd, uid, st.st_gid == 0 ? gid : (gid_t)-1);
	paths_chown_in(fd, uid, gid, 0);
	close(fd);
	return (0);
}

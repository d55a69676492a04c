/*
 * paths - the daemon's file names from ids, and directory chores.
 */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

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

static int
paths_rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return (0);
}

void
paths_rmtree(const char *path)
{
	nftw(path, paths_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

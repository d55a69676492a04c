/*
 * spawn_log_trim: a child's log held to a size while the child keeps its
 * O_APPEND fd (as QEMU does with qemu.log): the newest bytes move to .1,
 * the log starts again at 0 and the child's next write lands there (no
 * hole); a log under the limit is left alone; a link planted in its place
 * is refused and its target untouched.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/spawn.h"
#include "test.h"

static off_t
size_of(const char *path)
{
	struct stat st;

	return (stat(path, &st) == 0 ? st.st_size : -1);
}

static int
read_all(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd == -1)
		return (-1);
	n = read(fd, buf, len);
	close(fd);
	return ((int)n);
}

int
main(void)
{
	char dir[] = "/tmp/lw-logtrim.XXXXXX", log[128], old[128], link[128], target[128];
	char data[3000], buf[4096];
	int child;

	if (mkdtemp(dir) == NULL)
		return (2);
	snprintf(log, sizeof(log), "%s/qemu.log", dir);
	snprintf(old, sizeof(old), "%s/qemu.log.1", dir);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);

	/* The child's fd, append-only, kept open throughout. */
	child = spawn_log_open(log);
	CHECK(child != -1);
	CHECK(write(child, data, sizeof(data)) == (ssize_t)sizeof(data));
	CHECK(spawn_log_trim(log, 4096) == 0);
	CHECK(size_of(log) == 3000 && size_of(old) == -1);

	CHECK(spawn_log_trim(log, 1000) == 1);
	CHECK(size_of(log) == 0);
	CHECK(size_of(old) == 1000);
	CHECK(read_all(old, buf, sizeof(buf)) == 1000 && memcmp(buf, data + 2000, 1000) == 0);

	/* The child writes on: at the start of the log, not at its old offset. */
	CHECK(write(child, "next line\n", 10) == 10);
	CHECK(size_of(log) == 10);
	CHECK(read_all(log, buf, sizeof(buf)) == 10 && memcmp(buf, "next line\n", 10) == 0);

	/* A second rotation replaces .1. */
	for (int i = 0; i < 3; i++)
		CHECK(write(child, data, sizeof(data)) == (ssize_t)sizeof(data));
	CHECK(spawn_log_trim(log, 2000) == 1);
	CHECK(size_of(old) == 2000 && size_of(log) == 0);
	CHECK(
	    read_all(old, buf, sizeof(buf)) == 2000 && memcmp(buf + 1000, data + 2000, 1000) == 0);
	close(child);

	/* A link where the log was: not followed, its target keeps its bytes. */
	snprintf(link, sizeof(link), "%s/nshost.log", dir);
	snprintf(target, sizeof(target), "%s/precious", dir);
	child = open(target, O_WRONLY | O_CREAT, 0600);
	CHECK(write(child, data, sizeof(data)) == (ssize_t)sizeof(data));
	close(child);
	CHECK(symlink(target, link) == 0);
	CHECK(spawn_log_trim(link, 1000) == 0);
	CHECK(size_of(target) == 3000);

	unlink(link);
	unlink(target);
	unlink(log);
	unlink(old);
	rmdir(dir);
	printf("%d passed, %d failed\n", t_pass, t_fail);
	return (t_fail != 0);
}

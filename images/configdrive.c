/*
 * configdrive - build the config ISO for a node.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hv/qemu.h"
#include "images/configdrive.h"

static int
write_file(const char *path, const char *data)
{
	size_t len = strlen(data), off = 0;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) == -1)
		return (-1);
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			close(fd);
			return (-1);
		}
		off += (size_t)n;
	}
	return (close(fd));
}

int
configdrive_build(const char *dir, const char *hostname, const char *startup_config,
    const char *iso_path, struct lw_err *e)
{
	char cdir[1024], path[1100], hn[128];
	char *argv[] = {"genisoimage", "-quiet", "-R", "-J", "-V", "LWCONFIG", "-o",
	    (char *)iso_path, cdir, NULL};
	int status, pidfd;
	pid_t pid;

	snprintf(cdir, sizeof(cdir), "%s/config", dir);
	if (mkdir(cdir, 0750) == -1 && errno != EEXIST)
		return (err_set(e, ERR_INTERNAL, "mkdir %s: %s", cdir, strerror(errno)));
	snprintf(hn, sizeof(hn), "%s\n", hostname);
	snprintf(path, sizeof(path), "%s/hostname", cdir);
	if (write_file(path, hn) == -1)
		return (err_set(e, ERR_INTERNAL, "write %s: %s", path, strerror(errno)));
	snprintf(path, sizeof(path), "%s/startup-config", cdir);
	if (write_file(path, startup_config ? startup_config : "") == -1)
		return (err_set(e, ERR_INTERNAL, "write %s: %s", path, strerror(errno)));
	unlink(iso_path);
	if ((pid = qemu_spawn(argv, NULL, 0, NULL, &pidfd)) == -1)
		return (err_set(e, ERR_UNAVAILABLE,
		    "cannot run genisoimage to build the config drive: %s", strerror(errno)));
	close(pidfd);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return (err_set(e, ERR_INTERNAL, "genisoimage failed building %s", iso_path));
	return (0);
}

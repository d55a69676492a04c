/*
 * ids - the unprivileged identities of labwire's processes.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/base/ids.h"
#include "core/base/log.h"
#include "core/base/spawn.h"

#define IDS_USERADD_TIMEOUT_MS 30000

static struct {
	uid_t uid;
	gid_t gid;
	uint32_t node_base;
} ids;

/* ids_useradd - make the system user: no home, no shell, its own group. */
static int
ids_useradd(const char *user, struct lw_err *e)
{
	char *argv[] = {"useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
	    "/nonexistent", "--shell", "/usr/sbin/nologin", "--comment", "labwire daemon",
	    (char *)user, NULL};
	int pidfd, r;
	pid_t pid;

	if ((pid = spawn_start(argv, NULL, 0, NULL, &pidfd)) == -1)
		return (err_set(e, ERR_UNAVAILABLE, "useradd: %s", strerror(errno)));
	if ((r = spawn_wait(pid, pidfd, IDS_USERADD_TIMEOUT_MS)) != 0)
		return (err_set(e, ERR_UNAVAILABLE, "useradd %s failed (status %d)", user, r));
	log_info("made the system user %s", user);
	return (0);
}

static int
ids_user_valid(const char *user)
{
	size_t n = strlen(user);

	if (n == 0 || n > 32 || user[0] == '-')
		return (0);
	return (strspn(user, "abcdefghijklmnopqrstuvwxyz0123456789_-") == n);
}

int
ids_init(const char *user, long node_base, struct lw_err *e)
{
	struct passwd *pw;

	if (!ids_user_valid(user))
		return (err_set(e, ERR_INVALID, "--run-as: '%s' is not a user name", user));
	if ((pw = getpwnam(user)) == NULL && geteuid() == 0) {
		if (ids_useradd(user, e) == -1)
			return (-1);
		pw = getpwnam(user);
	}
	if (pw == NULL)
		return (err_set(e, ERR_UNAVAILABLE, "--run-as: no user %s", user));
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		return (err_set(e, ERR_INVALID, "--run-as: %s is root", user));
	if ((uid_t)node_base <= pw->pw_uid && pw->pw_uid < (uid_t)node_base + IDS_NODE_MAX)
		return (err_set(e, ERR_INVALID, "--node-ids: the range holds %s's uid", user));
	ids.uid = pw->pw_uid;
	ids.gid = pw->pw_gid;
	ids.node_base = (uint32_t)node_base;
	return (0);
}

void
ids_daemon(uid_t *uid, gid_t *gid)
{
	*uid = ids.uid;
	*gid = ids.gid;
}

int
ids_node(int64_t node, uid_t *uid, gid_t *gid)
{
	if (node <= 0 || node >= IDS_NODE_MAX) {
		errno = EINVAL;
		return (-1);
	}
	*uid = ids.node_base + (uid_t)node;
	*gid = ids.node_base + (gid_t)node;
	return (0);
}

void
ids_tools(uid_t *uid, gid_t *gid)
{
	*uid = ids.node_base;
	*gid = ids.node_base;
}

bool
ids_is_node(uid_t uid)
{
	return (uid >= ids.node_base && uid < ids.node_base + IDS_NODE_MAX);
}

/*
 * paths - where the daemon's files live under --data-dir, built from ids
 * only (never from a user's names): a lab's or node's directory, a node's
 * run/ sockets; and the two directory chores every floor needs (make a
 * path, remove a tree). It decides no policy about what goes where beyond
 * these names, and never follows a user-given path.
 */
#ifndef LW_PATHS_H
#define LW_PATHS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * paths_lab - DATA/labs/<lab>, or DATA/labs/<lab>/nodes/<node> when node is
 * not 0, then file ("/console.log") when not NULL; 0, or -1 when it does not fit.
 */
int paths_lab(char *buf, size_t len, int64_t lab, int64_t node, const char *file);
/*
 * PATHS_DIR_MODE - directories on the way to a node's own: others may pass
 * through (a node's processes run as its own uid) but not list them; what
 * is private is in the node's directory (hv/jail) or in files of mode 0600.
 */
#define PATHS_DIR_MODE 0711
/*
 * paths_sock - DATA/run/n<node>/<kind>: a node's QMP ("qmp") or console
 * ("con") socket, or with kind NULL the directory holding them; 0 or -1.
 */
int paths_sock(char *buf, size_t len, int64_t node, const char *kind);
/* paths_mkdir_p - make path and its missing parents (PATHS_DIR_MODE); 0, or -1 with errno. */
int paths_mkdir_p(const char *path);
/*
 * paths_passable - whether a user with no rights of its own may reach path
 * (every directory on the way has o+x, as a node's user needs); 1 yes, 0
 * no with the first directory in the way copied into bad, -1 on error.
 */
int paths_passable(const char *path, char *bad, size_t len);
/*
 * paths_rmtree - remove path and everything below it, by fd, never
 * following a link on the way (a node's user may write below); best effort.
 */
void paths_rmtree(const char *path);

/*
 * paths_open_plain - open(path, flags, mode) of a plain file only: not
 * through a symbolic link, not a FIFO or device (which could block or
 * act), not a file with other names. For files in a node's directory,
 * where the node's user may plant any of those. The fd, or -1 with errno.
 */
int paths_open_plain(const char *path, int flags, mode_t mode);
/*
 * paths_chown_root - in the privileged start: what root owns in dir (and
 * dir itself) becomes uid:gid, never through a link nor into a directory
 * root does not own (see paths.c); 0, or -1 if dir cannot be opened.
 */
int paths_chown_root(const char *dir, uid_t uid, gid_t gid);
#endif

/*
 * ids - who labwire's processes run as. The network-facing side of the
 * daemon runs as the --run-as system user (made with useradd when absent).
 * Each node's processes (QEMU, its qemu-img and config-drive tools, a
 * namespace host's shell) run as a uid and gid of their own, --node-ids +
 * the node's id, which no account owns; tools that read uploaded images run
 * as --node-ids itself. A node's files sit in a directory whose group is
 * the node's, so neither another node nor anything else can read them.
 * It decides who, never what: it spawns nothing but useradd.
 */
#ifndef LW_IDS_H
#define LW_IDS_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/base/err.h"

#define IDS_NODE_MAX ((int64_t)1 << 24) /* node ids a uid can be derived from */

/*
 * ids_init - resolve --run-as (creating the system user when it is absent
 * and we are root) and check --node-ids; 0, or -1 with e set.
 */
int ids_init(const char *user, long node_base, struct lw_err *e);
/* ids_daemon - the uid and gid the unprivileged daemon runs as. */
void ids_daemon(uid_t *uid, gid_t *gid);
/* ids_node - node's own uid and gid; 0, or -1 (EINVAL) for an id out of range. */
int ids_node(int64_t node, uid_t *uid, gid_t *gid);
/* ids_tools - the uid and gid that inspects uploaded images (no node's). */
void ids_tools(uid_t *uid, gid_t *gid);
/* ids_is_node - whether uid is one of the nodes' (or the tools'). */
bool ids_is_node(uid_t uid);
#endif

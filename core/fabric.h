/*
 * fabric - the link fabric: TAP devices opened by the daemon and Linux
 * bridges, configured through netlink (libmnl), never through `ip`.
 * All privileged network operations go through this narrow API.
 * Functions return 0 (or an fd) on success and -1 with errno set.
 */
#ifndef LW_FABRIC_H
#define LW_FABRIC_H

/* fabric_init - open the netlink socket; call once before anything else. */
int fabric_init(void);
void fabric_fini(void);
/*
 * fabric_tap_open - create (non-persistent) and open TAP name with IFF_NO_PI,
 * set its MTU, bring it up; O_CLOEXEC. The TAP disappears when the last fd
 * on it is closed (QEMU's, once the daemon closed its own). Returns the fd.
 */
int fabric_tap_open(const char *name, int mtu);
/* fabric_bridge_add - create bridge name (STP off, forward delay 0, no IPv6 addresses), up; EEXIST
 * is success. */
int fabric_bridge_add(const char *name, int mtu);
/* fabric_set_master - enslave ifname to bridge and bring ifname up. */
int fabric_set_master(const char *ifname, const char *bridge);
/* fabric_link_del - delete interface name; an absent one is success. */
int fabric_link_del(const char *name);
/* fabric_link_exists - 1 if it exists, 0 if not, -1 on error. */
int fabric_link_exists(const char *name);
/*
 * fabric_list_ours - call fn(ifname, arg) for each interface whose name starts
 * with the daemon's prefix (names_ours); returns 0 or -1.
 */
int fabric_list_ours(void (*fn)(const char *ifname, void *arg), void *arg);

#endif

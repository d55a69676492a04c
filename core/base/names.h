/*
 * names - validation of user-chosen names (labs, nodes, images, templates,
 * and the interface names a NOS uses inside a guest), and kernel interface
 * names derived from ids (never from user names) with the "lw" prefix. It
 * only checks and builds strings: it looks up no id, touches no interface
 * (core/net/fabric does) and builds no path. User names never reach the
 * kernel, and a name without the prefix is never the daemon's to change.
 */
#ifndef LW_NAMES_H
#define LW_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LW_IFPREFIX "lw"
#define LW_NAME_MAX 63

/* names_valid - ^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$, no "..", not all digits (those are ids). */
bool names_valid(const char *s);
/* names_iface_valid - a user-typed interface name (Gi0/1): 1-63 of A-Z a-z 0-9 / _ . -, no "..". */
bool names_iface_valid(const char *s);
/* names_tap - "lwt<node>n<nic>" into out[16]; returns 0, or -1 if it would not fit IFNAMSIZ. */
int names_tap(char out[16], int64_t node_id, int nic);
/* names_bridge - "lwb<link>" into out[16]; 0 or -1. */
int names_bridge(char out[16], int64_t link_id);
/*
 * names_engine - "lwe<link>a"/"lwe<link>b" (side 0/1) into out[16]: the
 * impairment engine's TAP facing endpoint side of the link; 0 or -1.
 */
int names_engine(char out[16], int64_t link_id, int side);
/* names_mac - a stable locally administered MAC "0a:xx:xx:xx:xx:nn" from node id and NIC index. */
void names_mac(char out[18], int64_t node_id, int nic);
/* names_ours - true if ifname carries the daemon's prefix and is a name of ours' shape. */
bool names_ours(const char *ifname);
/*
 * names_host_split - an HTTP Host header ("name", "name:port", "[v6]",
 * "[v6]:port") into its name (brackets removed, len bytes at most) and
 * port (dflt when it names none). 0, or -1 for anything else: an empty
 * name, a bad or out-of-range port, an unclosed bracket, a name too long.
 */
int names_host_split(const char *host, char *name, size_t len, int *port, int dflt);

#endif

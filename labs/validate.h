/*
 * validate - what the API's request bodies may hold: one field table per
 * body (checked with core/base/fields.h's fields_check), and the checks of
 * what only a lab has (endpoints, interface names). It reads and writes no
 * store and holds no rule about state.
 */
#ifndef LW_VALIDATE_H
#define LW_VALIDATE_H

#include <jansson.h>

#include "core/base/err.h"
#include "core/base/fields.h"

#define VALIDATE_CONFIG_MAX                                                                        \
	(256 * 1024)             /* bytes of a node's startup_config (and origin.config)           \
	                          */
#define VALIDATE_LINK_EPS_MAX 64 /* endpoints of one link or LAN segment */

/* The bodies of the API, one table each (terminated by a NULL name). */
extern const struct field validate_lab_create[];
extern const struct field validate_lab_patch[];
extern const struct field validate_node_create[];
extern const struct field validate_node_patch[];
extern const struct field validate_link_create[];
extern const struct field validate_link_patch[];
extern const struct field validate_impairment[];
/* The fields one direction of an impairment may override (a_to_b, b_to_a). */
extern const struct field validate_impairment_dir[];
extern const struct field validate_console_exec[];
extern const struct field validate_capture[];
extern const struct field validate_login[];
extern const struct field validate_token_create[];
extern const struct field validate_quota[];
extern const struct field validate_user_create[];
extern const struct field validate_user_patch[];
extern const struct field validate_group[];
extern const struct field validate_group_patch[];
extern const struct field validate_assignment[];

/*
 * validate_iface - an interface name: 1-63 of A-Z a-z 0-9 / _ . -, no "..".
 */
int validate_iface(const char *s);
/*
 * validate_endpoint - split an endpoint ("r1:eth0" or {"node","interface"})
 * into node and interface strings (borrowed from ep); 0 or -1 with e.
 */
int validate_endpoint(json_t *ep, const char **node, char *iface, size_t ifacelen, char *nodebuf,
    size_t nodelen, struct lw_err *e);

/*
 * validate_impairment_check - a link's "impairment" (NULL: none) for a link
 * of nends endpoints: its fields, and what the engine can do (reordering
 * needs a delay, jitter within the delay, bursts that can reach the loss, a
 * point-to-point link only); 0 or -1 with e.
 */
int validate_impairment_check(json_t *imp, int nends, struct lw_err *e);

#endif

/*
 * importlan - the LAN segments of an imported file whose switches and hubs
 * are nodes of their own (GNS3 ethernet_switch/ethernet_hub, CML
 * unmanaged_switch). A parser registers each such device, joins two devices
 * a link connects, and adds each other end of a device's links as a member;
 * implan_emit then gives the model one segment per group of joined
 * devices: 3 or more members a LAN, 2 a point-to-point link, fewer nothing
 * (reported as dropped). It knows no file format.
 */
#ifndef LW_IMPORTLAN_H
#define LW_IMPORTLAN_H

#include <jansson.h>

#include "core/base/err.h"
#include "labs/importir.h"

struct implan;

/* implan_new - no devices yet; NULL: out of memory. */
struct implan *implan_new(void);
void implan_free(struct implan *l);
/* implan_dev - register a device ("ethernet_switch SW1" names it in the report); its number or -1.
 */
int implan_dev(struct implan *l, const char *what);
/* implan_join - devices a and b are one segment (a link between two switches). */
void implan_join(struct implan *l, int a, int b);
/* implan_root - the first registered device of dev's segment (dev's devices joined so far). */
int implan_root(struct implan *l, int dev);
/* implan_member - ep (stolen) is a member of device dev's segment; 0 or -1 (out of memory). */
int implan_member(struct implan *l, int dev, json_t *ep);
/*
 * implan_emit - add each segment to im (in the order its first device was
 * registered): a link {"endpoints", "what"}, or a drop when it has fewer
 * than 2 members. 0, or -1 with e (imp_link_add's limits).
 */
int implan_emit(struct implan *l, struct imp *im, const char *path, struct lw_err *e);

#endif

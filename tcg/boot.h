/*
 * boot - how long a node should take to boot, and what to do once it has:
 * the TCG slowdown factor measured from boots on this host (instead of a
 * watchdog that kills slow nodes), the expected boot time and boot timeout
 * of a node, and startup configs typed on a console after readiness.
 */
#ifndef LW_BOOT_H
#define LW_BOOT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/base/strv.h"
#include "images/template.h"

#define BOOT_DEFAULT_SLOWDOWN 8.0 /* TCG vs KVM, until a boot here has been measured */

struct boot_estimate {
	double expected_s; /* boot to ready */
	double timeout_s;  /* after which staged boot moves on (the node is not killed) */
	char basis[200];   /* how the estimate was made, for the user */
};

/* boot_estimate - for template t under accel ("kvm"|"tcg"). Caller holds lw_lock(). */
void boot_estimate(const struct template *t, const char *accel, struct boot_estimate *out);
/* boot_expect_json - add boot_expected_s, boot_timeout_s and boot_basis to a node object. */
void boot_expect_json(json_t *node, const struct template *t);
/* boot_record - a measured boot (spawn to ready). Caller holds lw_lock(). */
void boot_record(const char *tmpl, const char *accel, double seconds);
/* boot_slowdown_json - {"factor", "samples", "basis"} for /system. Caller holds lw_lock(). */
json_t *boot_slowdown_json(void);
/*
 * A startup config typed on the console: the template's pre lines, the
 * config's lines, the post lines, each sent once the prompt is back.
 * boot_typing_new copies what it needs (caller holds lw_lock()); run blocks,
 * takes no lock, and frees bt. 0, or -1 with msg.
 */
struct boot_typing;
struct boot_typing *boot_typing_new(int64_t node, const struct template *t, const char *config);
int boot_typing_run(struct boot_typing *bt, char *msg, size_t msglen);
void boot_typing_free(struct boot_typing *bt);

#endif

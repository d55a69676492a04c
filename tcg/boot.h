/*
 * boot - how long a node should take to boot: the TCG slowdown factor
 * measured from boots on this host (instead of a watchdog that kills slow
 * nodes), and the expected boot time and boot timeout of a node. It works
 * on plain values (a template's name and its typical KVM boot time) and must
 * not include images/ or anything above tcg/: the KVM boot time of each
 * measured template comes from the function given to boot_set_kvm_time.
 */
#ifndef LW_BOOT_H
#define LW_BOOT_H

#include <jansson.h>

#define BOOT_DEFAULT_SLOWDOWN 8.0 /* TCG vs KVM, until a boot here has been measured */

struct boot_estimate {
	double expected_s; /* boot to ready */
	double timeout_s;  /* after which staged boot moves on (the node is not killed) */
	char basis[200];   /* how the estimate was made, for the user */
};

/*
 * boot_set_kvm_time - fn(template name) is that template's typical KVM boot
 * time in seconds, or 0 when unknown; the template catalog registers it.
 */
void boot_set_kvm_time(double (*fn)(const char *tmpl));
/*
 * boot_estimate - for template tmpl (typically kvm_s seconds under KVM)
 * under accel ("kvm"|"tcg"). Caller holds lw_lock().
 */
void boot_estimate(const char *tmpl, double kvm_s, const char *accel, struct boot_estimate *out);
/* boot_record - a measured boot (spawn to ready). Caller holds lw_lock(). */
void boot_record(const char *tmpl, const char *accel, double seconds);
/* boot_slowdown_json - {"factor", "samples", "basis"} for /system. Caller holds lw_lock(). */
json_t *boot_slowdown_json(void);

#endif

/*
 * template - the node template catalog: one JSON file per node type under
 * the template directory (shipped, read-only), plus user templates stored in
 * the database and managed over the API. A template says how a node type is
 * run: hardware, NIC model, interface naming, disk bus, firmware, console,
 * readiness, and how its startup config reaches it. It only says: it starts
 * nothing (core/run does), and its SQL is db/templates.c's.
 *
 * Templates are replaced, never freed, while the daemon runs: a pointer from
 * template_find stays valid until template_free_all; it and
 * template_list_json may be called from any thread, the other calls need
 * lw_lock().
 */
#ifndef LW_TEMPLATE_H
#define LW_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/base/err.h"

#define TEMPLATE_LEAD_MAX 4
#define TEMPLATE_ALIAS_MAX 4

struct template
{
	char name[64];
	char kind[8]; /* "qemu": a VM; "netns": a lightweight host (a network namespace) */
	char arch[16];
	int cpus;
	int cpu_cap_pct; /* a node's CPU cap, percent of one CPU (0: none) */
	int ram_mb;
	int nics;
	int max_nics;
	char nic_model[32];
	char interface_pattern[48]; /* "GigabitEthernet0/{n}" or "GigabitEthernet{s}/{p}" */
	int interface_first;        /* the {n} (or {s}) of the first numbered interface */
	int ports_per_slot;         /* "GigabitEthernet{s}/{p}": ports a slot (IOSvL2: 4) */
	int nlead;                  /* NICs named before the numbered ones (management) */
	char lead[TEMPLATE_LEAD_MAX][48];
	int naliases; /* short forms accepted on input: "Gi0/{n}" */
	char aliases[TEMPLATE_ALIAS_MAX][48];
	char kernel[256]; /* relative to the image dir */
	char initrd[256];
	char append[256];        /* "{tty}" is replaced by the arch's console tty */
	char disk[256];          /* a base disk under the image dir; else the node names an image */
	char disk_bus[8];        /* virtio | ide | sata */
	char machine[8];         /* "" (the arch's) | pc | q35 */
	char firmware[8];        /* bios | uefi */
	char config_method[16];  /* iso | fat | console | none | script (netns) */
	char config_label[32];   /* ISO/FAT volume label */
	char config_bus[8];      /* virtio | cdrom | ide: how the config drive is attached */
	char config_archive[65]; /* the files packed in this .tgz on the drive (vJunos'
	                            vmm-config.tgz) */
	char smbios[256];        /* "type=1,product=VM-VMX,family=lab" (-smbios), or "" */
	char config_export[128]; /* console command printing the running config */
	char prompt[128];        /* ERE: the CLI prompt at the end of output */
	char ready_pattern[256]; /* ERE on the console output */
	bool needs_kvm;
	bool boot_cdrom; /* boots from a CD-ROM image (vEOS' Aboot) before its disk */
	bool user;       /* from the API, not the shipped catalog */
	int shutdown_timeout_s;
	int boot_time_kvm_s;
	json_t *json; /* the template as loaded, for the API */
};

/* template_load_dir - load every *.json in dir (shipped); the number loaded or -1 with e. */
int template_load_dir(const char *dir, struct lw_err *e);
/* template_load_db - add the user templates stored in the database; count or -1. */
int template_load_db(struct lw_err *e);
/* template_find - by name; NULL if unknown. */
const struct template *template_find(const char *name);
/* template_list_json - {"templates":[...]} (new reference). */
json_t *template_list_json(void);
/* template_names - the template names, comma-separated, for error messages. */
void template_names(char *buf, size_t len);
/* template_ifname - NIC idx's name (lead names, then the pattern); 0 or -1. */
int template_ifname(const struct template *t, int idx, char *out, size_t len);
/*
 * template_ifindex - the NIC index a user-typed interface name means: a lead
 * name, or the pattern or one of its aliases, case-insensitively
 * ("gi0/1", "GigabitEthernet0/1"); -1 if none.
 */
int template_ifindex(const struct template *t, const char *name);
/* template_parse - a template from a JSON object (exported for tests); 0 or -1 with e. */
int template_parse(json_t *o, struct template *t, struct lw_err *e);
/* template_config_files - the config drive's files: {"name":"content template"} (borrowed). */
json_t *template_config_files(const struct template *t);
/* template_console_lines - config_console_pre or _post (borrowed array, maybe empty). */
json_t *template_console_lines(const struct template *t, bool post);
/*
 * template_user_put - create (create=true, 409 if it exists) or replace a
 * user template from body; stores it in the database. 0 or -1 with e.
 */
int template_user_put(json_t *body, const char *name, bool create, struct lw_err *e);
/* template_user_delete - remove a user template (409 when nodes use it). 0 or -1. */
int template_user_delete(const char *name, struct lw_err *e);
/*
 * template_boot_json - add boot_expected_s, boot_timeout_s and boot_basis
 * (tcg/boot.c's estimate for the accelerator the node runs or would run
 * with) to a node object. Caller holds lw_lock().
 */
void template_boot_json(json_t *node, const struct template *t);
struct qemu_spec;
/*
 * template_spec - what the template decides in a node's QEMU spec: machine,
 * firmware, disk bus, config drive bus, the NIC model of nics[0..nnics).
 * The runtime and the golden argv tests both build specs through it.
 */
void template_spec(const struct template *t, struct qemu_spec *q);
void template_free_all(void);

#endif

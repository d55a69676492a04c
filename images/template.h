/*
 * template - the node template catalog: one JSON file per node type under
 * the template directory, loaded at start-up.
 */
#ifndef LW_TEMPLATE_H
#define LW_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"

struct template
{
	char name[64];
	char kind[8]; /* "qemu": a VM; "netns": a lightweight host (a network namespace) */
	char arch[16];
	int cpus;
	int ram_mb;
	int nics;
	int max_nics;
	char nic_model[32];
	char interface_pattern[32]; /* "eth{n}" */
	char kernel[256];           /* relative to the image dir */
	char initrd[256];
	char append[256];        /* "{tty}" is replaced by the arch's console tty */
	char disk[256];          /* a base disk image, when not booting a kernel */
	char config_method[16];  /* "iso" or "none" */
	char ready_pattern[256]; /* POSIX extended regex on the console output */
	int shutdown_timeout_s;
	int boot_time_kvm_s;
	json_t *json; /* the file as loaded, for the API */
};

/* template_load_dir - load every *.json in dir; returns the number loaded or -1 with e. */
int template_load_dir(const char *dir, struct lw_err *e);
/* template_find - by name; NULL if unknown. */
const struct template *template_find(const char *name);
/* template_list_json - {"templates":[...]} (new reference). */
json_t *template_list_json(void);
/* template_names - the template names, comma-separated, for error messages. */
void template_names(char *buf, size_t len);
/* template_ifname - interface idx's name per the pattern ("eth{n}" -> "eth2"); 0 or -1. */
int template_ifname(const struct template *t, int idx, char *out, size_t len);
/* template_parse - a template from a JSON object (exported for tests); 0 or -1 with e. */
int template_parse(json_t *o, struct template *t, struct lw_err *e);
void template_free_all(void);

#endif

/*
 * template - the node template catalog.
 */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>
#include <sys/utsname.h>
#include <time.h>

#include "core/base/config.h"
#include "core/base/log.h"
#include "core/base/fields.h"
#include "core/base/names.h"
#include "core/base/rx.h"
#include "db/db.h"
#include "db/templates.h"
#include "hv/kvm.h"
#include "hv/qemu.h"
#include "images/template.h"
#include "tcg/boot.h"
#include "tcg/tcg.h"

#define DB db_current(lw.db)
#define TEMPLATE_MAX 256

/* The catalog; replaced entries move to retired (freed at the end: a start may hold one). */
static struct template *templates[TEMPLATE_MAX];
/*
 * Changes to the catalog (under lw_lock()) take it for writing; lookups from
 * threads reading without lw_lock() take it for reading. A template that is
 * replaced or deleted is retired, never freed, so a pointer found stays valid.
 */
static pthread_rwlock_t tpl_rw = PTHREAD_RWLOCK_INITIALIZER;
static int ntemplates;
static struct template **retired;
static int nretired;

/*
 * The fields a template may have (the shipped JSON files and user
 * templates over the API alike): unknown fields, wrong types and values out
 * of range are refused with a message that names the field.
 */
static const struct field tpl_fields[] = {
    {"name", F_NAME, 1, 0, 0, NULL, NULL, NULL},
    {"description", F_STRING, 0, 0, 256, NULL, NULL, NULL},
    {"vendor", F_STRING, 0, 0, 64, NULL, NULL, NULL},
    {"notes", F_STRING, 0, 0, 1024, NULL, NULL, NULL},
    {"image_hint", F_STRING, 0, 0, 256, NULL, NULL, NULL},
    {"kind", F_ENUM, 0, 0, 0, "qemu|netns", NULL, NULL},
    {"arch", F_STRING, 1, 1, 15, NULL, NULL, NULL},
    {"cpus", F_INT, 0, 1, 64, NULL, NULL, NULL},
    {"cpu_cap_pct", F_INT, 0, 0, 6400, NULL, NULL, NULL},
    {"ram_mb", F_INT, 0, 16, 1048576, NULL, NULL, NULL},
    {"nic_model", F_ENUM, 0, 0, 0, "virtio-net-pci|e1000|e1000e|vmxnet3|rtl8139", NULL, NULL},
    {"nics", F_INT, 0, 0, 32, NULL, NULL, NULL},
    {"max_nics", F_INT, 0, 0, 32, NULL, NULL, NULL},
    {"interface_pattern", F_STRING, 1, 3, 47, NULL, NULL, NULL},
    {"interface_first", F_INT, 0, 0, 1000, NULL, NULL, NULL},
    {"interface_ports_per_slot", F_INT, 0, 1, 64, NULL, NULL, NULL},
    {"interface_aliases", F_ARRAY, 0, 0, 4, NULL, NULL, NULL},
    {"interface_lead", F_ARRAY, 0, 0, 4, NULL, NULL, NULL},
    {"kernel", F_STRING, 0, 0, 255, NULL, NULL, NULL},
    {"initrd", F_STRING, 0, 0, 255, NULL, NULL, NULL},
    {"append", F_STRING, 0, 0, 255, NULL, NULL, NULL},
    {"disk", F_STRING, 0, 0, 255, NULL, NULL, NULL},
    {"disk_bus", F_ENUM, 0, 0, 0, "virtio|ide|sata", NULL, NULL},
    {"machine", F_ENUM, 0, 0, 0, "pc|q35|virt", NULL, NULL},
    {"firmware", F_ENUM, 0, 0, 0, "bios|uefi", NULL, NULL},
    {"console", F_ENUM, 0, 0, 0, "telnet", NULL, NULL},
    {"ready_pattern", F_STRING, 0, 0, 255, NULL, NULL, NULL},
    {"prompt", F_STRING, 0, 0, 127, NULL, NULL, NULL},
    {"config_method", F_ENUM, 0, 0, 0, "iso|fat|console|none|script", NULL, NULL},
    {"config_label", F_STRING, 0, 1, 31, NULL, NULL, NULL},
    {"config_bus", F_ENUM, 0, 0, 0, "virtio|cdrom|ide", NULL, NULL},
    {"config_files", F_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    {"config_console_pre", F_ARRAY, 0, 0, 32, NULL, NULL, NULL},
    {"config_console_post", F_ARRAY, 0, 0, 32, NULL, NULL, NULL},
    {"config_export", F_STRING, 0, 0, 127, NULL, NULL,
        NULL}, /* lines; the last prints the config */
    {"needs_kvm", F_BOOL, 0, 0, 0, NULL, NULL, NULL},
    {"boot_cdrom", F_BOOL, 0, 0, 0, NULL, NULL, NULL},
    {"smbios", F_OBJECT, 0, 0, 0, NULL, NULL, NULL},
    {"config_archive", F_STRING, 0, 1, 64, NULL, NULL, NULL},
    {"boot_time_kvm_s", F_INT, 0, 0, 3600, NULL, NULL, NULL},
    {"shutdown_timeout_s", F_INT, 0, 0, 600, NULL, NULL, NULL},
    FIELDS_END,
};

static void
tpl_str(json_t *o, const char *key, char *dst, size_t len, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));

	snprintf(dst, len, "%s", v != NULL ? v : dflt);
}

static int
tpl_int(json_t *o, const char *key, int dflt)
{
	json_t *v = json_object_get(o, key);

	return (v != NULL ? (int)json_integer_value(v) : dflt);
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t l = strlen(s), sl = strlen(suffix);

	return (l > sl && strcmp(s + l - sl, suffix) == 0);
}

/* A guest file under the image dir: relative, no "..", plain characters. */
static bool
tpl_relpath_ok(const char *p)
{
	if (p[0] == '\0')
		return (true);
	if (p[0] == '/' || strstr(p, "..") != NULL)
		return (false);
	for (; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		        (*p >= '0' && *p <= '9') || strchr("/_.-+", *p) != NULL))
			return (false);
	return (true);
}

/*
 * Interface name patterns: one {n} ("GigabitEthernet0/{n}"), or a slot and
 * a port ("GigabitEthernet{s}/{p}", interface_ports_per_slot ports a slot,
 * as IOSvL2 numbers Gi0/0-0/3, Gi1/0-1/3 ...). pattern_kind: 'n', 's' (slot
 * and port), or 0 when neither form.
 */
static int
pattern_kind(const char *pat)
{
	const char *n = strstr(pat, "{n}"), *sl = strstr(pat, "{s}"), *po = strstr(pat, "{p}");

	if (n != NULL && sl == NULL && po == NULL && strstr(n + 3, "{n}") == NULL)
		return ('n');
	if (n == NULL && sl != NULL && po != NULL && sl < po && strstr(sl + 3, "{s}") == NULL &&
	    strstr(po + 3, "{p}") == NULL)
		return ('s');
	return (0);
}

/* pattern_expand - the pattern with its placeholders filled in; 0 or -1 (too long). */
static int
pattern_expand(const char *pat, long n, long slot, long port, char *out, size_t len)
{
	size_t o = 0;

	for (const char *q = pat; *q && o < len; q++) {
		if (q[0] == '{' && strchr("nsp", q[1]) != NULL && q[1] != '\0' && q[2] == '}') {
			long v = q[1] == 'n' ? n : (q[1] == 's' ? slot : port);
			int r = snprintf(out + o, len - o, "%ld", v);

			if (r < 0)
				return (-1);
			o += (size_t)r;
			q += 2;
		} else {
			out[o++] = *q;
		}
	}
	if (o >= len)
		return (-1);
	out[o] = '\0';
	return (0);
}

/* An interface name pattern of either form that makes valid names, like the template's own. */
static int
tpl_pattern(const char *tname, const char *what, const char *pat, int kind, struct lw_err *e)
{
	char probe[80];

	if (pattern_kind(pat) == 0 || (kind != 0 && pattern_kind(pat) != kind))
		return (err_set(e, ERR_INVALID,
		    "template %s: %s '%.48s' needs {n} once, or {s} then {p} once each%s", tname,
		    what, pat, kind != 0 ? ", like interface_pattern" : ""));
	if (pattern_expand(pat, 7, 7, 7, probe, sizeof(probe)) == -1 || !names_iface_valid(probe))
		return (err_set(e, ERR_INVALID,
		    "template %s: %s '%.48s' does not make valid interface names", tname, what,
		    pat));
	return (0);
}

static int
tpl_names(json_t *o, const char *key, char (*dst)[48], int *n, bool pattern, int kind,
    const char *tname, struct lw_err *e)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;

	*n = 0;
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);

		if (s == NULL || strlen(s) >= 48)
			return (err_set(e, ERR_INVALID,
			    "template %s: %s[%zu] must be a string under 48 bytes", tname, key, i));
		if (pattern ? tpl_pattern(tname, key, s, kind, e) == -1 : !names_iface_valid(s))
			return (pattern
			        ? -1
			        : err_set(e, ERR_INVALID,
			              "template %s: %s[%zu] '%s' is not a valid interface name",
			              tname, key, i, s));
		snprintf(dst[(*n)++], 48, "%s", s);
	}
	return (0);
}

/* A pattern the console is matched with: bounded like every user's regex (core/base/rx). */
static int
tpl_regex(const char *tname, const char *key, const char *re, struct lw_err *e)
{
	struct lw_err re_e = {0};
	struct rx *r;

	if (re[0] == '\0')
		return (0);
	if ((r = rx_new(re, RX_LINES, &re_e)) == NULL)
		return (err_set(e, ERR_INVALID, "template %s: %s: %s", tname, key, re_e.msg));
	rx_free(r);
	return (0);
}

/* The config drive's files: relative names a NOS looks for, string contents. */
static int
tpl_config(struct template *t, json_t *o, struct lw_err *e)
{
	json_t *files = json_object_get(o, "config_files"), *v;
	const char *key;
	size_t i;

	if (json_object_size(files) > 8)
		return (err_set(e, ERR_INVALID, "template %s: at most 8 config_files", t->name));
	json_object_foreach(files, key, v) {
		if (!json_is_string(v) || json_string_length(v) > 4096)
			return (err_set(e, ERR_INVALID,
			    "template %s: config_files.%.64s must be a string", t->name, key));
		if (key[0] == '\0' || !tpl_relpath_ok(key) || strlen(key) > 64 ||
		    strchr(key, '/') != strrchr(key, '/'))
			return (err_set(e, ERR_INVALID,
			    "template %s: config file name '%.64s' "
			    "(relative, at most one directory)",
			    t->name, key));
	}
	for (int post = 0; post < 2; post++)
		json_array_foreach(
		    json_object_get(o, post ? "config_console_post" : "config_console_pre"), i, v)
			if (!json_is_string(v) || json_string_length(v) > 256 ||
			    strpbrk(json_string_value(v), "\r\n") != NULL)
				return (err_set(e, ERR_INVALID,
				    "template %s: console config lines are strings of one line",
				    t->name));
	if (strcmp(t->config_method, "iso") == 0 || strcmp(t->config_method, "fat") == 0) {
		if (json_object_size(files) == 0)
			return (err_set(e, ERR_INVALID,
			    "template %s: config_method %s needs config_files", t->name,
			    t->config_method));
		for (const char *p = t->config_label; *p; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			        (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
				return (err_set(e, ERR_INVALID,
				    "template %s: config_label: A-Z a-z 0-9 _ -", t->name));
		if (strcmp(t->config_method, "fat") == 0 && strlen(t->config_label) > 11)
			return (err_set(e, ERR_INVALID,
			    "template %s: a FAT label has at most 11 characters", t->name));
	}
	if (t->config_archive[0] != '\0' &&
	    (!tpl_relpath_ok(t->config_archive) || strchr(t->config_archive, '/') != NULL ||
	        !(ends_with(t->config_archive, ".tgz") || ends_with(t->config_archive, ".tar.gz"))))
		return (err_set(e, ERR_INVALID,
		    "template %s: config_archive is a file name ending in .tgz or .tar.gz",
		    t->name));
	if (strcmp(t->config_method, "console") == 0 && t->prompt[0] == '\0')
		return (err_set(
		    e, ERR_INVALID, "template %s: config_method console needs a prompt", t->name));
	return (0);
}

/* SMBIOS type 1 strings some NOS check (vJunos: product VM-VMX, family lab). */
static int
tpl_smbios(struct template *t, json_t *o, struct lw_err *e)
{
	static const char *const keys[] = {
	    "manufacturer", "product", "version", "serial", "sku", "family", NULL};
	json_t *sm = json_object_get(o, "smbios"), *v;
	const char *key;
	size_t off;

	if (sm == NULL || json_object_size(sm) == 0)
		return (0);
	off = (size_t)snprintf(t->smbios, sizeof(t->smbios), "type=1");
	json_object_foreach(sm, key, v) {
		const char *val = json_string_value(v);
		int known = 0;

		for (int i = 0; keys[i] != NULL; i++)
			known |= strcmp(keys[i], key) == 0;
		if (!known || val == NULL || val[0] == '\0' || strlen(val) > 32 ||
		    strspn(val,
		        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ._-") !=
		        strlen(val))
			return (err_set(e, ERR_INVALID,
			    "template %s: smbios.%.32s: one of manufacturer, product, version, "
			    "serial, sku, family; 1-32 of A-Z a-z 0-9 space . _ -",
			    t->name, key));
		off +=
		    (size_t)snprintf(t->smbios + off, sizeof(t->smbios) - off, ",%s=%s", key, val);
	}
	return (0);
}

static int
tpl_netns(struct template *t, struct lw_err *e)
{
	struct utsname u;

	/* A namespace host runs the host's own programs: its arch is the host's. */
	/* "host"; the host's own name (what GET shows) is accepted back. */
	if (uname(&u) == -1 || (strcmp(t->arch, "host") != 0 && strcmp(t->arch, lw.host_arch) != 0))
		return (err_set(
		    e, ERR_INVALID, "template %s: a netns template's arch is \"host\"", t->name));
	snprintf(t->arch, sizeof(t->arch), "%s",
	    strcmp(u.machine, "arm64") == 0 ? "aarch64" : u.machine);
	if (t->kernel[0] != '\0' || t->disk[0] != '\0' || t->nlead > 0)
		return (err_set(
		    e, ERR_INVALID, "template %s: a netns template boots nothing", t->name));
	if (strcmp(t->config_method, "none") == 0)
		strcpy(t->config_method, "script");
	if (strcmp(t->config_method, "script") != 0)
		return (err_set(
		    e, ERR_INVALID, "template %s: a netns template's config is a script", t->name));
	return (0);
}

static int
tpl_qemu(struct template *t, struct lw_err *e)
{
	const struct arch_info *a = tcg_arch_lookup(t->arch);

	if (a == NULL)
		return (
		    err_set(e, ERR_INVALID, "template %s: unsupported arch '%s' (supported: %s)",
		        t->name, t->arch, tcg_arch_names()));
	if (t->kernel[0] != '\0' && t->disk[0] != '\0')
		return (err_set(e, ERR_INVALID, "template %s: kernel or disk, not both", t->name));
	if (t->initrd[0] != '\0' && t->kernel[0] == '\0')
		return (err_set(e, ERR_INVALID, "template %s: an initrd needs a kernel", t->name));
	if (!tpl_relpath_ok(t->kernel) || !tpl_relpath_ok(t->initrd) || !tpl_relpath_ok(t->disk))
		return (err_set(e, ERR_INVALID,
		    "template %s: kernel, initrd and disk are paths under the image directory "
		    "(relative, no '..')",
		    t->name));
	if (t->machine[0] != '\0' &&
	    (strcmp(t->machine, "virt") == 0) != (strcmp(t->arch, "aarch64") == 0))
		return (err_set(e, ERR_INVALID, "template %s: machine %s does not fit %s", t->name,
		    t->machine, t->arch));
	if (strcmp(t->config_method, "script") == 0)
		return (err_set(e, ERR_INVALID,
		    "template %s: config_method script is for netns hosts", t->name));
	if (t->boot_cdrom && (strcmp(t->arch, "x86_64") != 0 || t->kernel[0] != '\0'))
		return (err_set(e, ERR_INVALID,
		    "template %s: a boot CD-ROM is for x86_64 machines that boot from firmware, "
		    "not a kernel",
		    t->name));
	if (t->boot_time_kvm_s < 1)
		return (
		    err_set(e, ERR_INVALID, "template %s: boot_time_kvm_s is at least 1", t->name));
	/* The aarch64 virt machine has no IDE: disks and config drives are virtio there. */
	if (strcmp(t->arch, "aarch64") == 0 &&
	    (strcmp(t->disk_bus, "virtio") != 0 || strcmp(t->config_bus, "virtio") != 0))
		return (err_set(e, ERR_INVALID,
		    "template %s: aarch64 disks and config drives are virtio", t->name));
	return (0);
}

/* tpl_read - t's fields from o (already checked against tpl_fields), with their defaults. */
static void
tpl_read(json_t *o, struct template *t)
{
	tpl_str(o, "name", t->name, sizeof(t->name), "");
	tpl_str(o, "kind", t->kind, sizeof(t->kind), "qemu");
	tpl_str(o, "arch", t->arch, sizeof(t->arch), "");
	tpl_str(o, "nic_model", t->nic_model, sizeof(t->nic_model), "");
	tpl_str(o, "interface_pattern", t->interface_pattern, sizeof(t->interface_pattern), "");
	tpl_str(o, "kernel", t->kernel, sizeof(t->kernel), "");
	tpl_str(o, "initrd", t->initrd, sizeof(t->initrd), "");
	tpl_str(o, "append", t->append, sizeof(t->append), "");
	tpl_str(o, "disk", t->disk, sizeof(t->disk), "");
	tpl_str(o, "disk_bus", t->disk_bus, sizeof(t->disk_bus), "virtio");
	tpl_str(o, "machine", t->machine, sizeof(t->machine), "");
	tpl_str(o, "firmware", t->firmware, sizeof(t->firmware), "bios");
	tpl_str(o, "config_method", t->config_method, sizeof(t->config_method), "none");
	tpl_str(o, "config_label", t->config_label, sizeof(t->config_label), "LWCONFIG");
	tpl_str(o, "config_bus", t->config_bus, sizeof(t->config_bus), "virtio");
	tpl_str(o, "config_archive", t->config_archive, sizeof(t->config_archive), "");
	tpl_str(o, "config_export", t->config_export, sizeof(t->config_export), "");
	tpl_str(o, "prompt", t->prompt, sizeof(t->prompt), "");
	tpl_str(o, "ready_pattern", t->ready_pattern, sizeof(t->ready_pattern), "");
	t->cpus = tpl_int(o, "cpus", 1);
	t->cpu_cap_pct = tpl_int(o, "cpu_cap_pct", 0);
	t->ram_mb = tpl_int(o, "ram_mb", 256);
	t->nics = tpl_int(o, "nics", 1);
	t->max_nics = tpl_int(o, "max_nics", 8);
	t->interface_first = tpl_int(o, "interface_first", 0);
	t->shutdown_timeout_s = tpl_int(o, "shutdown_timeout_s", 30);
	t->boot_time_kvm_s = tpl_int(o, "boot_time_kvm_s", 60);
	t->needs_kvm = json_is_true(json_object_get(o, "needs_kvm"));
	t->boot_cdrom = json_is_true(json_object_get(o, "boot_cdrom"));
	t->ports_per_slot = tpl_int(o, "interface_ports_per_slot", 0);
}

/*
 * Every interface the template has (0..max_nics-1) gets a valid name that
 * names it back: a link to "Gi0/3" must reach the NIC called Gi0/3, not a
 * lead interface of the same name nor nothing ("eth{n}0" makes "eth10",
 * read back as {n} = 10). 0, or -1 with e.
 */
static int
tpl_ifnames(const struct template *t, struct lw_err *e)
{
	char name[64];

	for (int i = 0; i < t->max_nics; i++) {
		if (template_ifname(t, i, name, sizeof(name)) == -1 || !names_iface_valid(name))
			return (err_set(e, ERR_INVALID,
			    "template %s: interface %d has no valid name (at most 63 of "
			    "A-Z a-z 0-9 / _ . -)",
			    t->name, i));
		if (template_ifindex(t, name) != i)
			return (err_set(e, ERR_INVALID,
			    "template %s: interface %d is named '%s', which names interface %d: "
			    "each interface needs a name of its own (interface_pattern, "
			    "interface_lead, interface_first)",
			    t->name, i, name, template_ifindex(t, name)));
	}
	return (0);
}

int
template_parse(json_t *o, struct template *t, struct lw_err *e)
{
	memset(t, 0, sizeof(*t));
	if (fields_check(o, tpl_fields, "template", e) == -1)
		return (-1);
	tpl_read(o, t);
	if (tpl_pattern(t->name, "interface_pattern", t->interface_pattern, 0, e) == -1 ||
	    tpl_names(o, "interface_lead", t->lead, &t->nlead, false, 0, t->name, e) == -1 ||
	    tpl_names(o, "interface_aliases", t->aliases, &t->naliases, true,
	        pattern_kind(t->interface_pattern), t->name, e) == -1 ||
	    tpl_regex(t->name, "ready_pattern", t->ready_pattern, e) == -1 ||
	    tpl_regex(t->name, "prompt", t->prompt, e) == -1)
		return (-1);
	if ((pattern_kind(t->interface_pattern) == 's') != (t->ports_per_slot > 0) ||
	    (t->ports_per_slot > 0 && strcmp(t->kind, "netns") == 0))
		return (err_set(e, ERR_INVALID,
		    "template %s: a {s}/{p} interface_pattern goes with interface_ports_per_slot "
		    "(VMs only)",
		    t->name));
	if (t->nics > t->max_nics || t->nlead > t->max_nics)
		return (err_set(e, ERR_INVALID,
		    "template %s: nics and interface_lead within max_nics", t->name));
	if (tpl_ifnames(t, e) == -1)
		return (-1);
	if ((strcmp(t->kind, "netns") == 0 ? tpl_netns(t, e) : tpl_qemu(t, e)) == -1)
		return (-1);
	if (tpl_config(t, o, e) == -1 || tpl_smbios(t, o, e) == -1)
		return (-1);
	t->json = json_deep_copy(o);
	json_object_set_new(t->json, "arch", json_string(t->arch));
	return (0);
}

static struct template **
tpl_slot(const char *name)
{
	for (int i = 0; i < ntemplates; i++)
		if (strcmp(templates[i]->name, name) == 0)
			return (&templates[i]);
	return (NULL);
}

static int
tpl_retire(struct template *t)
{
	struct template **r = realloc(retired, sizeof(*retired) * (size_t)(nretired + 1));

	if (r == NULL)
		return (-1);
	retired = r;
	retired[nretired++] = t;
	return (0);
}

/* tpl_add - parse o into the catalog (replace=false: the name must be new). */
static int
tpl_add(json_t *o, bool user, bool replace, struct lw_err *e)
{
	struct template *t = calloc(1, sizeof(*t)), **slot;

	if (t == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	if (template_parse(o, t, e) == -1) {
		free(t);
		return (-1);
	}
	t->user = user;
	json_object_set_new(t->json, "source", json_string(user ? "user" : "shipped"));
	if ((slot = tpl_slot(t->name)) != NULL && (!replace || !(*slot)->user)) {
		err_set(e, ERR_CONFLICT, "template '%s' already exists%s", t->name,
		    (*slot)->user ? "" : " (a shipped template)");
	} else if (slot == NULL && ntemplates == TEMPLATE_MAX) {
		err_set(e, ERR_UNAVAILABLE, "too many templates (at most %d)", TEMPLATE_MAX);
	} else if (slot != NULL && tpl_retire(*slot) == -1) {
		err_set(e, ERR_INTERNAL, "out of memory");
	} else {
		pthread_rwlock_wrlock(&tpl_rw);
		if (slot == NULL)
			templates[ntemplates++] = t;
		else
			*slot = t;
		pthread_rwlock_unlock(&tpl_rw);
		return (0);
	}
	json_decref(t->json);
	free(t);
	return (-1);
}

static int
template_load_file(const char *dir, const char *file, struct lw_err *e)
{
	char path[1024];
	json_error_t je;
	json_t *o;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((o = json_load_file(path, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return (err_set(e, ERR_INVALID, "%s:%d: %s", path, je.line, je.text));
	r = tpl_add(o, false, false, e);
	json_decref(o);
	if (r == -1) {
		struct lw_err e2 = *e;

		return (err_set(e, e2.code, "%s: %s", path, e2.msg));
	}
	return (0);
}

/* tpl_kvm_time - what tcg/boot.c asks of the catalog: a template's KVM boot time, 0 if unknown. */
static double
tpl_kvm_time(const char *name)
{
	const struct template *t = template_find(name);

	return (t != NULL ? t->boot_time_kvm_s : 0);
}

int
template_load_dir(const char *dir, struct lw_err *e)
{
	struct dirent **ents;
	int n, r = 0;

	/* The boot estimates measure the TCG slowdown against the catalog's KVM boot times. */
	boot_set_kvm_time(tpl_kvm_time);
	if ((n = scandir(dir, &ents, NULL, alphasort)) < 0)
		return (err_set(e, ERR_UNAVAILABLE, "template directory %s: cannot read", dir));
	for (int i = 0; i < n; i++) {
		size_t l = strlen(ents[i]->d_name);

		if (r == 0 && l > 5 && strcmp(ents[i]->d_name + l - 5, ".json") == 0)
			r = template_load_file(dir, ents[i]->d_name, e);
		free(ents[i]);
	}
	free(ents);
	return (r == -1 ? -1 : ntemplates);
}

/* tpl_load_stored - add a template stored in the database; arg counts those added. */
static void
tpl_load_stored(const char *name, const char *body, void *arg)
{
	json_t *o = json_loads(body != NULL ? body : "", 0, NULL);
	struct lw_err e = {0};

	/* A stored template a newer catalog or parser refuses is skipped, not fatal. */
	if (o == NULL || tpl_add(o, true, false, &e) == -1)
		log_warn("user template %s skipped: %s", name, o ? e.msg : "bad JSON");
	else
		(*(int *)arg)++;
	json_decref(o);
}

int
template_load_db(struct lw_err *e)
{
	int n = 0;

	if (db_template_each(DB, tpl_load_stored, &n, e) == -1)
		return (-1);
	return (n);
}

const struct template *
template_find(const char *name)
{
	struct template **slot, *t;

	if (name == NULL)
		return (NULL);
	pthread_rwlock_rdlock(&tpl_rw);
	slot = tpl_slot(name);
	t = slot != NULL ? *slot : NULL;
	pthread_rwlock_unlock(&tpl_rw);
	return (t);
}

json_t *
template_list_json(void)
{
	json_t *a = json_array();

	pthread_rwlock_rdlock(&tpl_rw);
	for (int i = 0; i < ntemplates; i++)
		json_array_append(a, templates[i]->json);
	pthread_rwlock_unlock(&tpl_rw);
	return (json_pack("{s:o}", "templates", a));
}

void
template_names(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < ntemplates && off < len; i++)
		off += (size_t)snprintf(
		    buf + off, len - off, "%s%s", i ? ", " : "", templates[i]->name);
}

int
template_ifname(const struct template *t, int idx, char *out, size_t len)
{
	long k = idx - t->nlead, pps = t->ports_per_slot > 0 ? t->ports_per_slot : 1;
	int r;

	if (idx < t->nlead) {
		r = snprintf(out, len, "%s", t->lead[idx]);
		return (r < 0 || (size_t)r >= len ? -1 : 0);
	}
	return (pattern_expand(t->interface_pattern, t->interface_first + k,
	    t->interface_first + k / pps, k % pps, out, len));
}

/*
 * pattern_match - name against a pattern, case-insensitively: the index
 * among the numbered interfaces it names, or -1.
 */
static long
pattern_match(const struct template *t, const char *pat, const char *name)
{
	long v[3] = {-1, -1, -1}; /* n, s, p */
	const char *m = name;

	for (const char *q = pat; *q; q++) {
		if (q[0] == '{' && q[1] != '\0' && strchr("nsp", q[1]) != NULL && q[2] == '}') {
			char *end;
			long x;

			if (*m < '0' || *m > '9')
				return (-1);
			x = strtol(m, &end, 10);
			if (end - m > 6 || (end - m > 1 && *m == '0'))
				return (-1);
			v[q[1] == 'n' ? 0 : q[1] == 's' ? 1 : 2] = x;
			m = end;
			q += 2;
		} else if (tolower((unsigned char)*q) != tolower((unsigned char)*m++)) {
			return (-1);
		}
	}
	if (*m != '\0')
		return (-1);
	if (v[0] >= 0)
		return (v[0] >= t->interface_first ? v[0] - t->interface_first : -1);
	if (v[1] < t->interface_first || v[2] < 0 || v[2] >= t->ports_per_slot)
		return (-1);
	return ((v[1] - t->interface_first) * t->ports_per_slot + v[2]);
}

int
template_ifindex(const struct template *t, const char *name)
{
	long k;

	for (int i = 0; i < t->nlead; i++)
		if (strcasecmp(t->lead[i], name) == 0)
			return (i);
	k = pattern_match(t, t->interface_pattern, name);
	for (int i = 0; i < t->naliases && k < 0; i++)
		k = pattern_match(t, t->aliases[i], name);
	if (k < 0 || k + t->nlead >= t->max_nics)
		return (-1);
	return ((int)k + t->nlead);
}

json_t *
template_config_files(const struct template *t)
{
	return (json_object_get(t->json, "config_files"));
}

json_t *
template_console_lines(const struct template *t, bool post)
{
	return (json_object_get(t->json, post ? "config_console_post" : "config_console_pre"));
}

/*
 * tpl_store - o (its JSON text) into the database and the catalog, both or
 * neither. Parsed first: nothing is stored or replaced unless it is valid.
 */
static int
tpl_store(json_t *o, const char *text, bool create, struct lw_err *e)
{
	const char *name = json_string_value(json_object_get(o, "name"));
	struct template probe;
	int r;

	r = template_parse(o, &probe, e);
	json_decref(probe.json);
	if (r == -1)
		return (-1);
	if (create && template_find(name))
		return (err_set(e, ERR_CONFLICT, "template '%s' already exists", name));
	if (db_begin(DB, e) == -1)
		return (-1);
	if (db_template_put(DB, name, text, (int64_t)time(NULL), e) == -1 ||
	    tpl_add(o, true, !create, e) == -1) {
		db_rollback(DB);
		return (-1);
	}
	return (db_commit(DB, e));
}

int
template_user_put(json_t *body, const char *name, bool create, struct lw_err *e)
{
	const struct template *t;
	json_t *o;
	char *text;
	int r;

	if (!json_is_object(body))
		return (err_set(e, ERR_BAD_REQUEST, "template: the body must be a JSON object"));
	if (name != NULL) {
		const char *bn = json_string_value(json_object_get(body, "name"));

		if ((t = template_find(name)) == NULL)
			return (err_set(e, ERR_NOT_FOUND, "no template '%.64s'", name));
		if (!t->user)
			return (err_set(e, ERR_CONFLICT,
			    "template '%s' is shipped and read-only; "
			    "POST a copy under another name",
			    name));
		if (bn != NULL && strcmp(bn, name) != 0)
			return (
			    err_set(e, ERR_INVALID, "template.name: a template cannot be renamed"));
	}
	if ((o = json_deep_copy(body)) == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	if (name != NULL)
		json_object_set_new(o, "name", json_string(name));
	json_object_del(o, "source");
	if ((text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS)) == NULL) {
		json_decref(o);
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	}
	r = tpl_store(o, text, create, e);
	free(text);
	json_decref(o);
	return (r < 0 ? -1 : 0);
}

int
template_user_delete(const char *name, struct lw_err *e)
{
	struct template **slot = tpl_slot(name);
	int64_t used;

	if (slot == NULL)
		return (err_set(e, ERR_NOT_FOUND, "no template '%.64s'", name));
	if (!(*slot)->user)
		return (err_set(
		    e, ERR_CONFLICT, "template '%s' is shipped and cannot be deleted", name));
	used = db_template_used_by(DB, name);
	if (used > 0)
		return (err_set(e, ERR_CONFLICT, "template '%s' is used by %lld node(s)", name,
		    (long long)used));
	if (db_template_delete(DB, name, e) == -1 || tpl_retire(*slot) == -1)
		return (-1);
	pthread_rwlock_wrlock(&tpl_rw);
	*slot = templates[--ntemplates];
	pthread_rwlock_unlock(&tpl_rw);
	return (0);
}

void
template_boot_json(json_t *node, const struct template *t)
{
	const char *accel = json_string_value(json_object_get(node, "accel_in_use"));
	struct boot_estimate b;

	/* Not started: the accelerator "auto" would pick. */
	if (accel == NULL)
		accel = lw.kvm->available &&
		        strcmp(json_string_value(json_object_get(node, "accel")), "tcg") != 0 &&
		        strcmp(t->arch, lw.host_arch) == 0
		    ? "kvm"
		    : "tcg";
	boot_estimate(t->name, t->boot_time_kvm_s, accel, &b);
	json_object_set_new(node, "boot_expected_s", json_real(round(b.expected_s * 10) / 10));
	json_object_set_new(node, "boot_timeout_s", json_real(round(b.timeout_s * 10) / 10));
	json_object_set_new(node, "boot_basis", json_string(b.basis));
}

void
template_spec(const struct template *t, struct qemu_spec *q)
{
	/* "virt" is the aarch64 machine anyway: only the x86 choice is passed on. */
	q->machine = t->machine[0] && strcmp(t->machine, "virt") != 0 ? t->machine : NULL;
	q->firmware = t->firmware;
	q->disk_bus = t->disk_bus;
	q->config_bus = t->config_bus;
	q->smbios = t->smbios[0] ? t->smbios : NULL;
	for (int k = 0; k < q->nnics && k < QEMU_MAX_NICS; k++)
		q->nics[k].model = t->nic_model[0] ? t->nic_model : NULL;
}

void
template_free_all(void)
{
	for (int i = 0; i < ntemplates; i++) {
		json_decref(templates[i]->json);
		free(templates[i]);
	}
	for (int i = 0; i < nretired; i++) {
		json_decref(retired[i]->json);
		free(retired[i]);
	}
	free(retired);
	retired = NULL;
	ntemplates = nretired = 0;
}

/*
 * template - the node template catalog.
 */
#include <dirent.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "core/log.h"
#include "core/names.h"
#include "images/template.h"
#include "tcg/tcg.h"

#define TEMPLATE_MAX 64

static struct template templates[TEMPLATE_MAX];
static int ntemplates;

static int
tpl_str(json_t *o, const char *key, char *dst, size_t len, int required, struct lw_err *e)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v)) {
		if (required)
			return (err_set(e, ERR_INVALID, "template: '%s' is required", key));
		dst[0] = '\0';
		return (0);
	}
	if (!json_is_string(v) || json_string_length(v) >= len)
		return (err_set(
		    e, ERR_INVALID, "template: '%s' must be a string under %zu bytes", key, len));
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return (0);
}

static int
tpl_int(json_t *o, const char *key, int *dst, int lo, int hi, int dflt, struct lw_err *e)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL) {
		*dst = dflt;
		return (0);
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return (err_set(
		    e, ERR_INVALID, "template: '%s' must be an integer in %d..%d", key, lo, hi));
	*dst = (int)json_integer_value(v);
	return (0);
}

int
template_parse(json_t *o, struct template *t, struct lw_err *e)
{
	memset(t, 0, sizeof(*t));
	if (!json_is_object(o))
		return (err_set(e, ERR_INVALID, "template: not a JSON object"));
	if (tpl_str(o, "name", t->name, sizeof(t->name), 1, e) == -1 ||
	    tpl_str(o, "kind", t->kind, sizeof(t->kind), 0, e) == -1 ||
	    tpl_str(o, "arch", t->arch, sizeof(t->arch), 1, e) == -1 ||
	    tpl_str(o, "nic_model", t->nic_model, sizeof(t->nic_model), 0, e) == -1 ||
	    tpl_str(o, "interface_pattern", t->interface_pattern, sizeof(t->interface_pattern), 1,
	        e) == -1 ||
	    tpl_str(o, "kernel", t->kernel, sizeof(t->kernel), 0, e) == -1 ||
	    tpl_str(o, "initrd", t->initrd, sizeof(t->initrd), 0, e) == -1 ||
	    tpl_str(o, "append", t->append, sizeof(t->append), 0, e) == -1 ||
	    tpl_str(o, "disk", t->disk, sizeof(t->disk), 0, e) == -1 ||
	    tpl_str(o, "config_method", t->config_method, sizeof(t->config_method), 0, e) == -1 ||
	    tpl_str(o, "ready_pattern", t->ready_pattern, sizeof(t->ready_pattern), 0, e) == -1 ||
	    tpl_int(o, "cpus", &t->cpus, 1, 64, 1, e) == -1 ||
	    tpl_int(o, "ram_mb", &t->ram_mb, 16, 1048576, 256, e) == -1 ||
	    tpl_int(o, "nics", &t->nics, 0, 32, 1, e) == -1 ||
	    tpl_int(o, "max_nics", &t->max_nics, 0, 32, 8, e) == -1 ||
	    tpl_int(o, "shutdown_timeout_s", &t->shutdown_timeout_s, 0, 600, 30, e) == -1 ||
	    tpl_int(o, "boot_time_kvm_s", &t->boot_time_kvm_s, 0, 3600, 60, e) == -1)
		return (-1);
	if (t->kind[0] == '\0')
		strcpy(t->kind, "qemu");
	if (strstr(t->interface_pattern, "{n}") != NULL &&
	    strstr(strstr(t->interface_pattern, "{n}") + 3, "{n}") != NULL)
		return (err_set(e, ERR_INVALID, "template %s: interface_pattern has {n} once", t->name));
	if (strcmp(t->kind, "netns") == 0) {
		struct utsname u;

		/* A namespace host runs the host's own programs: its arch is the host's. */
		if (uname(&u) == -1 || (strcmp(t->arch, "host") != 0 && t->arch[0] != '\0'))
			return (err_set(e, ERR_INVALID, "template %s: a netns template's arch is \"host\"", t->name));
		snprintf(t->arch, sizeof(t->arch), "%s", strcmp(u.machine, "arm64") == 0 ? "aarch64" : u.machine);
		if (t->kernel[0] != '\0' || t->disk[0] != '\0')
			return (err_set(e, ERR_INVALID, "template %s: a netns template boots nothing", t->name));
		if (t->config_method[0] == '\0')
			strcpy(t->config_method, "script");
		if (!names_valid(t->name) || strstr(t->interface_pattern, "{n}") == NULL || t->nics > t->max_nics)
			return (err_set(e, ERR_INVALID, "template %s: invalid name, interface_pattern or nics", t->name));
		t->json = json_incref(o);
		return (0);
	}
	if (strcmp(t->kind, "qemu") != 0)
		return (err_set(e, ERR_INVALID, "template %s: kind must be qemu or netns", t->name));
	if (!names_valid(t->name))
		return (err_set(e, ERR_INVALID, "template: invalid name '%s'", t->name));
	if (tcg_arch_lookup(t->arch) == NULL)
		return (err_set(
		    e, ERR_INVALID, "template %s: unsupported arch '%s'", t->name, t->arch));
	if ((t->kernel[0] == '\0') == (t->disk[0] == '\0'))
		return (err_set(
		    e, ERR_INVALID, "template %s: needs exactly one of kernel or disk", t->name));
	if (t->nics > t->max_nics)
		return (err_set(e, ERR_INVALID, "template %s: nics above max_nics", t->name));
	if (strstr(t->interface_pattern, "{n}") == NULL)
		return (
		    err_set(e, ERR_INVALID, "template %s: interface_pattern needs {n}", t->name));
	if (t->config_method[0] == '\0')
		strcpy(t->config_method, "none");
	t->json = json_incref(o);
	return (0);
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
	if (ntemplates == TEMPLATE_MAX) {
		json_decref(o);
		return (err_set(e, ERR_INVALID, "%s: too many templates", path));
	}
	r = template_parse(o, &templates[ntemplates], e);
	json_decref(o);
	if (r == -1)
		return (-1);
	if (template_find(templates[ntemplates].name) != NULL) {
		json_decref(templates[ntemplates].json);
		return (err_set(e, ERR_INVALID, "%s: duplicate template name", path));
	}
	ntemplates++;
	return (0);
}

int
template_load_dir(const char *dir, struct lw_err *e)
{
	struct dirent **ents;
	int n, r = 0;

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

const struct template *
template_find(const char *name)
{
	for (int i = 0; i < ntemplates; i++)
		if (strcmp(templates[i].name, name) == 0)
			return (&templates[i]);
	return (NULL);
}

json_t *
template_list_json(void)
{
	json_t *a = json_array();

	for (int i = 0; i < ntemplates; i++)
		json_array_append(a, templates[i].json);
	return (json_pack("{s:o}", "templates", a));
}

void
template_names(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < ntemplates && off < len; i++)
		off += (size_t)snprintf(
		    buf + off, len - off, "%s%s", i ? ", " : "", templates[i].name);
}

int
template_ifname(const struct template *t, int idx, char *out, size_t len)
{
	const char *p = strstr(t->interface_pattern, "{n}");
	int r;

	r = snprintf(out, len, "%.*s%d%s", (int)(p - t->interface_pattern), t->interface_pattern,
	    idx, p + 3);
	return (r < 0 || (size_t)r >= len ? -1 : 0);
}

void
template_free_all(void)
{
	for (int i = 0; i < ntemplates; i++)
		json_decref(templates[i].json);
	ntemplates = 0;
}

/*
 * importmap - the foreign-kind → template table (labs/importmap.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "images/store.h"
#include "images/template.h"
#include "labs/importmap.h"

#define R IMPORTMAP_ROUTER
#define S IMPORTMAP_SWITCH
#define H IMPORTMAP_HOST

struct importmap_row {
	const char *format;
	const char *kind;  /* the parser's key; "*": any */
	const char *image; /* a substring of the node's image, case-insensitive; NULL: any */
	const char *tmpl;  /* NULL: no template (the role's substitute) */
	enum importmap_role role;
};

/*
 * First match wins: a row with an image substring goes before the row of
 * the same kind without one ("viosl2" before "vios").
 */
static const struct importmap_row importmap_rows[] = {
    /* containerlab: the kind after kinds/defaults/groups inheritance */
    {"clab", "linux", "frr", "frr-router", R},
    {"clab", "linux", NULL, "linux-host", H},
    {"clab", "cisco_vios", "l2", "iosvl2", S},
    {"clab", "cisco_vios", NULL, "iosv", R},
    {"clab", "cisco_iol", "l2", "iosvl2", S},
    {"clab", "cisco_iol", NULL, "iosv", R},
    {"clab", "cisco_csr1000v", NULL, "csr1000v", R},
    {"clab", "cisco_c8000v", NULL, "cat8000v", R},
    {"clab", "cisco_xrv9k", NULL, "xrv9k", R},
    {"clab", "cisco_n9kv", NULL, "nxosv9000", R},
    {"clab", "arista_veos", NULL, "veos", R},
    {"clab", "arista_ceos", NULL, "veos", R},
    {"clab", "juniper_vmx", NULL, "vmx", R},
    {"clab", "juniper_vsrx", NULL, "vsrx", R},
    {"clab", "juniper_vjunosrouter", NULL, "vjunos-router", R},
    {"clab", "juniper_vjunosswitch", NULL, "vjunos-switch", S},
    {"clab", "mikrotik_ros", NULL, "chr", R},
    {"clab", "vyosnetworks_vyos", NULL, "vyos", R},
    {"clab", "nokia_srlinux", NULL, NULL, R},
    {"clab", "nokia_sros", NULL, NULL, R},
    {"clab", "*", NULL, NULL, R},
    /* EVE-NG / UNetLab: "qemu:<template attribute>", or the node type */
    {"unl", "qemu:vios", NULL, "iosv", R},
    {"unl", "qemu:viosl2", NULL, "iosvl2", S},
    {"unl", "qemu:csr1000v", NULL, "csr1000v", R},
    {"unl", "qemu:csr1000vng", NULL, "csr1000v", R},
    {"unl", "qemu:c8000v", NULL, "cat8000v", R},
    {"unl", "qemu:xrv9k", NULL, "xrv9k", R},
    {"unl", "qemu:nxosv9k", NULL, "nxosv9000", R},
    {"unl", "qemu:veos", NULL, "veos", R},
    {"unl", "qemu:vmx", NULL, "vmx", R},
    {"unl", "qemu:vmxvcp", NULL, "vmx", R},
    {"unl", "qemu:vsrx", NULL, "vsrx", R},
    {"unl", "qemu:vsrxng", NULL, "vsrx", R},
    {"unl", "qemu:vjunosrouter", NULL, "vjunos-router", R},
    {"unl", "qemu:vjunosswitch", NULL, "vjunos-switch", S},
    {"unl", "qemu:vyos", NULL, "vyos", R},
    {"unl", "qemu:mikrotik", NULL, "chr", R},
    {"unl", "qemu:linux", NULL, "linux-host", H},
    {"unl", "qemu:win", NULL, NULL, H},
    {"unl", "qemu:winserver", NULL, NULL, H},
    {"unl", "iol", "l2", "iosvl2", S},
    {"unl", "iol", NULL, "iosv", R},
    {"unl", "dynamips", NULL, "iosv", R},
    {"unl", "vpcs", NULL, "linux-host", H},
    {"unl", "docker", "frr", "frr-router", R},
    {"unl", "docker", NULL, "linux-host", H},
    {"unl", "*", NULL, NULL, R},
    /* GNS3: node_type, qemu by its image */
    {"gns3", "qemu", "viosl2", "iosvl2", S},
    {"gns3", "qemu", "vios_l2", "iosvl2", S},
    {"gns3", "qemu", "vios", "iosv", R},
    {"gns3", "qemu", "csr1000v", "csr1000v", R},
    {"gns3", "qemu", "c8000v", "cat8000v", R},
    {"gns3", "qemu", "cat8000v", "cat8000v", R},
    {"gns3", "qemu", "xrv9k", "xrv9k", R},
    {"gns3", "qemu", "nxosv9k", "nxosv9000", R},
    {"gns3", "qemu", "nexus9", "nxosv9000", R},
    {"gns3", "qemu", "veos", "veos", R},
    {"gns3", "qemu", "vmx", "vmx", R},
    {"gns3", "qemu", "vsrx", "vsrx", R},
    {"gns3", "qemu", "vjunos-router", "vjunos-router", R},
    {"gns3", "qemu", "vjunos-switch", "vjunos-switch", S},
    {"gns3", "qemu", "vyos", "vyos", R},
    {"gns3", "qemu", "chr", "chr", R},
    {"gns3", "qemu", "mikrotik", "chr", R},
    {"gns3", "qemu", "frr", "frr-router", R},
    {"gns3", "qemu", "alpine", "linux-host", H},
    {"gns3", "qemu", "ubuntu", "linux-host", H},
    {"gns3", "qemu", "debian", "linux-host", H},
    {"gns3", "qemu", "linux", "linux-host", H},
    {"gns3", "qemu", NULL, NULL, R},
    {"gns3", "vpcs", NULL, "linux-host", H},
    {"gns3", "iou", "l2", "iosvl2", S},
    {"gns3", "iou", NULL, "iosv", R},
    {"gns3", "dynamips", NULL, "iosv", R},
    {"gns3", "docker", "frr", "frr-router", R},
    {"gns3", "docker", NULL, "linux-host", H},
    {"gns3", "*", NULL, NULL, R},
    /* Cisco Modeling Labs: node_definition */
    {"cml", "iosv", NULL, "iosv", R},
    {"cml", "iosvl2", NULL, "iosvl2", S},
    {"cml", "csr1000v", NULL, "csr1000v", R},
    {"cml", "cat8000v", NULL, "cat8000v", R},
    {"cml", "iosxrv9000", NULL, "xrv9k", R},
    {"cml", "iosxrv", NULL, "xrv9k", R},
    {"cml", "nxosv9000", NULL, "nxosv9000", R},
    {"cml", "nxosv", NULL, "nxosv9000", R},
    {"cml", "iol-xe", NULL, "csr1000v", R},
    {"cml", "ioll2-xe", NULL, "iosvl2", S},
    {"cml", "cat9000v", NULL, NULL, S},
    {"cml", "asav", NULL, NULL, R},
    {"cml", "frr", NULL, "frr-router", R},
    {"cml", "alpine", NULL, "linux-host", H},
    {"cml", "ubuntu", NULL, "linux-host", H},
    {"cml", "server", NULL, "linux-host", H},
    {"cml", "desktop", NULL, "linux-host", H},
    {"cml", "trex", NULL, NULL, H},
    {"cml", "*", NULL, NULL, R},
    /* netlab: device */
    {"netlab", "frr", NULL, "frr-router", R},
    {"netlab", "linux", NULL, "linux-host", H},
    {"netlab", "iosv", NULL, "iosv", R},
    {"netlab", "iosvl2", NULL, "iosvl2", S},
    {"netlab", "csr", NULL, "csr1000v", R},
    {"netlab", "cat8000v", NULL, "cat8000v", R},
    {"netlab", "eos", NULL, "veos", R},
    {"netlab", "nxos", NULL, "nxosv9000", R},
    {"netlab", "iosxr", NULL, "xrv9k", R},
    {"netlab", "vyos", NULL, "vyos", R},
    {"netlab", "routeros7", NULL, "chr", R},
    {"netlab", "routeros", NULL, "chr", R},
    {"netlab", "vsrx", NULL, "vsrx", R},
    {"netlab", "vmx", NULL, "vmx", R},
    {"netlab", "vjunos-router", NULL, "vjunos-router", R},
    {"netlab", "vjunos-switch", NULL, "vjunos-switch", S},
    {"netlab", "srlinux", NULL, NULL, R},
    {"netlab", "cumulus", NULL, NULL, R},
    {"netlab", "*", NULL, NULL, R},
};

#define NROWS (sizeof(importmap_rows) / sizeof(importmap_rows[0]))

static const char *const importmap_substitutes[] = {
    [IMPORTMAP_ROUTER] = "frr-router",
    [IMPORTMAP_SWITCH] = "vlan-switch",
    [IMPORTMAP_HOST] = "linux-host",
};

static bool
store_probe(const char *tmpl, bool iso)
{
	char name[64];

	return (store_default_image(tmpl, iso, name, sizeof(name)) == 0);
}

static bool (*importmap_probe)(const char *, bool) = store_probe;

void
importmap_set_image_probe(bool (*fn)(const char *tmpl, bool iso))
{
	importmap_probe = fn != NULL ? fn : store_probe;
}

static const char *
importmap_role_name(enum importmap_role r)
{
	return (r == IMPORTMAP_HOST ? "host" : r == IMPORTMAP_SWITCH ? "switch" : "router");
}

/* strcasestr without _GNU_SOURCE's blessing on every libc: needle in hay, ignoring case. */
static bool
has_substring(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return (true);
	return (false);
}

static const struct importmap_row *
importmap_row(const char *format, const char *kind, const char *image)
{
	for (size_t i = 0; i < NROWS; i++) {
		const struct importmap_row *r = &importmap_rows[i];

		if (strcmp(r->format, format) != 0)
			continue;
		if (strcmp(r->kind, "*") != 0 && strcasecmp(r->kind, kind) != 0)
			continue;
		if (r->image != NULL && (image == NULL || !has_substring(image, r->image)))
			continue;
		return (r);
	}
	return (NULL);
}

bool
importmap_known(const char *format, const char *kind)
{
	for (size_t i = 0; i < NROWS; i++)
		if (strcmp(importmap_rows[i].format, format) == 0 &&
		    strcasecmp(importmap_rows[i].kind, kind) == 0)
			return (true);
	return (false);
}

/*
 * importmap_usable - whether t (found by the name tmpl, NULL: none) can run
 * here as imported: it exists and, when it is a VM with no kernel or disk of
 * its own, an image (and for a CD-ROM boot an ISO) was uploaded for it. A
 * reason when not.
 */
static bool
importmap_usable(const char *tmpl, const struct template *t, char *why, size_t len)
{
	if (t == NULL) {
		snprintf(why, len, "no template %s here", tmpl);
		return (false);
	}
	if (strcmp(t->kind, "qemu") != 0 || t->kernel[0] != '\0' || t->disk[0] != '\0')
		return (true);
	if (!importmap_probe(t->name, false)) {
		snprintf(why, len, "template %s needs a disk image and none was uploaded for it",
		    t->name);
		return (false);
	}
	if (t->boot_cdrom && !importmap_probe(t->name, true)) {
		snprintf(why, len, "template %s boots from a CD-ROM image and no .iso was uploaded",
		    t->name);
		return (false);
	}
	return (true);
}

/* The role a template plays: its first row's, else a router's. */
static enum importmap_role
importmap_role_of(const char *tmpl)
{
	for (size_t i = 0; i < NROWS; i++)
		if (importmap_rows[i].tmpl != NULL && strcmp(importmap_rows[i].tmpl, tmpl) == 0)
			return (importmap_rows[i].role);
	if (strcmp(tmpl, "vlan-switch") == 0)
		return (IMPORTMAP_SWITCH);
	if (strcmp(tmpl, "linux-host") == 0 || strncmp(tmpl, "tiny-linux", 10) == 0 ||
	    strcmp(tmpl, "linux-cloud") == 0)
		return (IMPORTMAP_HOST);
	return (IMPORTMAP_ROUTER);
}

void
importmap_pick(const char *format, const char *kind, const char *image, const char *exact,
    struct importmap_pick *p)
{
	const struct importmap_row *row = importmap_row(format, kind, image);
	const struct template *t = template_find(exact);

	memset(p, 0, sizeof(*p));
	if (t != NULL) {
		p->preferred = t->name;
		p->role = importmap_role_of(p->preferred);
	} else {
		p->preferred = row != NULL ? row->tmpl : NULL;
		p->role = row != NULL ? row->role : IMPORTMAP_ROUTER;
		t = template_find(p->preferred);
	}
	if (p->preferred == NULL)
		snprintf(p->reason, sizeof(p->reason), "no template for %s:%s", format, kind);
	else if (importmap_usable(p->preferred, t, p->reason, sizeof(p->reason))) {
		p->template = p->preferred;
		p->t = t;
		return;
	}
	p->substitute = true;
	p->template = importmap_substitutes[p->role];
	p->t = template_find(p->template);
}

const char *
importmap_clab_kind(const char *tmpl, const char **image)
{
	static const char frr[] = "quay.io/frrouting/frr:8.4.1";
	*image = NULL;
	if (strcmp(tmpl, "frr-router") == 0) {
		*image = frr;
		return ("linux");
	}
	for (size_t i = 0; i < NROWS; i++) {
		const struct importmap_row *r = &importmap_rows[i];

		if (strcmp(r->format, "clab") == 0 && r->tmpl != NULL &&
		    strcmp(r->tmpl, tmpl) == 0 && strcmp(r->kind, "linux") != 0)
			return (r->kind);
	}
	/* linux-host, tiny-linux, vlan-switch, linux-cloud and user templates: a Linux container.
	 */
	*image = "alpine:3";
	return ("linux");
}

/* The table rows naming tmpl as [{format, kind}], once each. */
static json_t *
importmap_imports(const char *tmpl)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < NROWS; i++) {
		const struct importmap_row *r = &importmap_rows[i];
		json_t *prev =
		    json_array_size(a) ? json_array_get(a, json_array_size(a) - 1) : NULL;

		if (r->tmpl == NULL || strcmp(r->tmpl, tmpl) != 0)
			continue;
		/* "linux" with and without an image: one entry */
		if (prev != NULL &&
		    strcmp(json_string_value(json_object_get(prev, "format")), r->format) == 0 &&
		    strcmp(json_string_value(json_object_get(prev, "kind")), r->kind) == 0)
			continue;
		json_array_append_new(
		    a, json_pack("{s:s, s:s}", "format", r->format, "kind", r->kind));
	}
	return (a);
}

json_t *
importmap_template_decorate(json_t *tmpl)
{
	const char *name = json_string_value(json_object_get(tmpl, "name"));
	json_t *o = json_copy(tmpl), *subs = json_array();

	if (o == NULL || subs == NULL || name == NULL) {
		json_decref(subs);
		return (o);
	}
	for (int r = IMPORTMAP_ROUTER; r <= IMPORTMAP_HOST; r++)
		if (strcmp(importmap_substitutes[r], name) == 0)
			json_array_append_new(subs, json_string(importmap_role_name(r)));
	json_object_set_new(o, "imports", importmap_imports(name));
	json_object_set_new(o, "substitute_for", subs);
	return (o);
}

json_t *
importmap_template_list(void)
{
	json_t *list = template_list_json(), *out = json_array(), *t;
	size_t i;

	json_array_foreach(json_object_get(list, "templates"), i, t)
		json_array_append_new(out, importmap_template_decorate(t));
	json_decref(list);
	return (json_pack("{s:o}", "templates", out));
}

/*
 * import_gns3 - the GNS3 project reader (labs/importfmt.h): a .gns3 file
 * of revision 5 to 10 (GNS3 2.0 to 3.x) as the model. GNS3 stores no port
 * names: a link end is (adapter_number, port_number), and the name the
 * user saw is derived from the node's adapters and its port_name_format,
 * port_segment_size and first_port_name, as GNS3's own port factories do
 * (done again here, so the report speaks of "Gi0/1", not "adapter 1").
 * ethernet_switch and ethernet_hub nodes become LAN segments
 * (labs/importlan.c); clouds, NAT and Frame Relay/ATM switches are
 * dropped with their links; serial ports are dropped with their links.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labs/importfmt.h"
#include "labs/importlan.h"

#define G3_PORT_MAX 64 /* bytes of a derived port name */
#define G3_ADAPTERS_MAX                                                                            \
	64 /* adapters of a node GNS3 lets one configure (qemu: 275; ports past it are nameless)   \
	    */

enum g3_role { G3_NODE, G3_LAN, G3_GONE };

struct g3node {
	const char *id, *name, *type;
	json_t *node;  /* the file's node (borrowed from doc) */
	json_t *props; /* its properties, or NULL */
	enum g3_role role;
	int lan;          /* G3_LAN: its device in g->lan */
	bool fmt_warned;  /* a port_name_format it cannot expand was reported */
	long vlan, vlan2; /* G3_LAN: access VLANs its linked ports are in (0: none yet) */
	bool trunk;       /* G3_LAN: a linked port is a dot1q/QinQ trunk */
};

struct g3 {
	struct imp *im;
	struct g3node *nodes;
	size_t n;
	json_t *byid; /* node_id → index in nodes */
	struct implan *lan;
	long revision;
};

/* A link end's port: its name as GNS3 shows it and its data-port number. */
struct g3port {
	char name[G3_PORT_MAX + 1];
	long index;       /* -1: none known */
	const char *kind; /* NULL for Ethernet, else "serial", "ATM", "POS" */
};

/* Node types that are not carried over, and why. */
static const struct {
	const char *type, *why;
} g3_gone[] = {
    {"cloud", "a cloud bridges to the host's interfaces; labwire labs are isolated"},
    {"nat", "NAT to the host's network; labwire labs are isolated"},
    {"frame_relay_switch", "Frame Relay switching (serial WAN) is not emulated"},
    {"atm_switch", "ATM switching is not emulated"},
};

/* g3_str - o[key] when it is a non-empty string, else NULL. */
static const char *
g3_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return (s != NULL && *s != '\0' ? s : NULL);
}

/*
 * g3_field - one replacement field of a port_name_format (its text between
 * the braces, len bytes): "" or a position (0 the interface number, 1 the
 * segment), "adapter", "port0".."port8" (interface number + N),
 * "segment0".."segment8", then optionally ":" and a width ("02", "2d").
 */
static int
g3_field(const char *f, size_t len, long inum, long seg, long adapter, int *autoi, long *v,
    int *width, bool *zero)
{
	size_t nlen = strcspn(f, ":");
	const char *spec;
	char *end;

	if (nlen > len)
		nlen = len;
	if (nlen == 0)
		*v = (*autoi)++ == 0 ? inum : (*autoi == 2 ? seg : -1);
	else if (nlen == 1 && (*f == '0' || *f == '1'))
		*v = *f == '0' ? inum : seg;
	else if (nlen == 7 && strncmp(f, "adapter", 7) == 0)
		*v = adapter;
	else if (nlen == 5 && strncmp(f, "port", 4) == 0 && f[4] >= '0' && f[4] <= '8')
		*v = inum + (f[4] - '0');
	else if (nlen == 8 && strncmp(f, "segment", 7) == 0 && f[7] >= '0' && f[7] <= '8')
		*v = seg + (f[7] - '0');
	else
		return (-1);
	if (*v < 0)
		return (-1);
	*width = 0;
	*zero = false;
	if (nlen == len)
		return (0);
	spec = f + nlen + 1;
	if (*spec == '0')
		*zero = true;
	*width = (int)strtol(spec, &end, 10);
	if (*width < 0 || *width > 16 || (end != f + len && !(*end == 'd' && end + 1 == f + len)))
		return (-1);
	return (0);
}

/*
 * g3_format - fmt expanded as GNS3 does (Python's str.format with the
 * interface number, the segment number and the names g3_field knows),
 * into out (size bytes). 0, or -1 when fmt is not understood or too long.
 */
static int
g3_format(const char *fmt, long inum, long seg, long adapter, char *out, size_t size)
{
	size_t o = 0;
	int autoi = 0, width, k;
	const char *s, *end;
	bool zero;
	long v;

	for (s = fmt; *s != '\0'; s++) {
		if ((*s == '{' && s[1] == '{') || (*s == '}' && s[1] == '}')) {
			s++;
		} else if (*s == '}') {
			return (-1);
		} else if (*s == '{') {
			if ((end = strchr(s, '}')) == NULL ||
			    g3_field(s + 1, (size_t)(end - s - 1), inum, seg, adapter, &autoi, &v,
			        &width, &zero) == -1)
				return (-1);
			k = snprintf(out + o, size - o, zero ? "%0*ld" : "%*ld", width, v);
			if (k < 0 || (size_t)k >= size - o)
				return (-1);
			o += (size_t)k;
			s = end;
			continue;
		}
		if (o + 1 >= size)
			return (-1);
		out[o++] = *s;
	}
	out[o] = '\0';
	return (0);
}

/* g3_custom_name - the port_name custom_adapters gives adapter, or NULL. */
static const char *
g3_custom_name(json_t *node, long adapter)
{
	json_t *ca, *c;
	size_t i;

	ca = json_object_get(node, "custom_adapters");
	json_array_foreach(ca, i, c) {
		if (json_integer_value(json_object_get(c, "adapter_number")) == adapter)
			return (g3_str(c, "port_name"));
	}
	return (NULL);
}

/*
 * g3_std_name - the name GNS3's standard port factory gives (adapter,
 * port): ports are numbered across adapters (pba ports each), the first
 * adapter may have a fixed name, and segsize ports make a segment.
 */
static int
g3_std_name(struct g3node *n, const char *fmt, long segsize, long pba, long adapter, long port,
    char *out, size_t size)
{
	const char *first = g3_str(n->node, "first_port_name"), *custom;
	long a, p, inum = 0, seg = 0;

	for (a = 0; a <= adapter; a++) {
		for (p = 0; p < pba; p++) {
			bool last = a == adapter && p == port;

			if (last) {
				if ((custom = g3_custom_name(n->node, a)) == NULL && a == 0)
					custom = first;
				if (custom == NULL)
					return (g3_format(fmt, inum, seg, a, out, size));
				return (snprintf(out, size, "%s", custom) < (int)size ? 0 : -1);
			}
			if (first != NULL && a == 0)
				continue;
			inum++;
			if (segsize > 0 && inum % segsize == 0) {
				seg++;
				inum = 0;
			} else if (segsize <= 0) {
				seg++;
			}
		}
	}
	return (-1);
}

/* Dynamips port adapters and WICs: how many ports of which type. */
static const struct {
	const char *card, *type; /* type: the long name GNS3 prefixes port names with */
	int ports;
} g3_cards[] = {
    {"C1700-MB-1FE", "FastEthernet", 1},
    {"C1700-MB-WIC1", "", 0},
    {"C2600-MB-1E", "Ethernet", 1},
    {"C2600-MB-1FE", "FastEthernet", 1},
    {"C2600-MB-2E", "Ethernet", 2},
    {"C2600-MB-2FE", "FastEthernet", 2},
    {"C7200-IO-2FE", "FastEthernet", 2},
    {"C7200-IO-FE", "FastEthernet", 1},
    {"C7200-IO-GE-E", "GigabitEthernet", 1},
    {"GT96100-FE", "FastEthernet", 2},
    {"Leopard-2FE", "FastEthernet", 2},
    {"NM-16ESW", "FastEthernet", 16},
    {"NM-1E", "Ethernet", 1},
    {"NM-1FE-TX", "FastEthernet", 1},
    {"NM-4E", "Ethernet", 4},
    {"NM-4T", "Serial", 4},
    {"PA-2FE-TX", "FastEthernet", 2},
    {"PA-4E", "Ethernet", 4},
    {"PA-4T+", "Serial", 4},
    {"PA-8E", "Ethernet", 8},
    {"PA-8T", "Serial", 8},
    {"PA-A1", "ATM", 1},
    {"PA-FE-TX", "FastEthernet", 1},
    {"PA-GE", "GigabitEthernet", 1},
    {"PA-POS-OC3", "POS", 1},
    {"WIC-1ENET", "Ethernet", 1},
    {"WIC-1T", "Serial", 1},
    {"WIC-2T", "Serial", 2},
};

static int
g3_card(const char *card)
{
	size_t i;

	for (i = 0; card != NULL && i < sizeof(g3_cards) / sizeof(g3_cards[0]); i++) {
		if (strcmp(g3_cards[i].card, card) == 0)
			return ((int)i);
	}
	return (-1);
}

static int
g3_keycmp(const void *a, const void *b)
{
	return (strcmp(*(const char *const *)a, *(const char *const *)b));
}

static bool
g3_is_ethernet(const char *type)
{
	return (strstr(type, "Ethernet") != NULL);
}

/*
 * g3_dyn_port - a dynamips port: GNS3 walks the properties slot0.. and
 * wic0.. in sorted key order; a slot's ports are (slot number, port), a
 * WIC's are (0, 16 * (WIC + 1) + n) and named on from X0/0. The data-port
 * number is the port's place among the Ethernet ports.
 */
static void
g3_dyn_port(struct g3node *n, long adapter, long port, struct g3port *out)
{
	const char *keys[32], *key;
	long slotn = 0, wicport, wicshown = 0, eth = 0;
	size_t nk = 0, i;
	int c, p;
	json_t *v;

	json_object_foreach(n->props, key, v) {
		if ((strncmp(key, "slot", 4) == 0 || strncmp(key, "wic", 3) == 0) && nk < 32)
			keys[nk++] = key;
	}
	qsort(keys, nk, sizeof(keys[0]), g3_keycmp);
	for (i = 0; i < nk; i++) {
		bool slot = keys[i][0] == 's';

		c = g3_card(g3_str(n->props, keys[i]));
		wicport = 16 * (long)(strtol(keys[i] + 3, NULL, 10) + 1);
		for (p = 0; c >= 0 && p < g3_cards[c].ports; p++) {
			long a = slot ? slotn : 0, pn = slot ? p : wicport + p;

			if (a == adapter && pn == port) {
				snprintf(out->name, sizeof(out->name), "%s%ld/%ld",
				    g3_cards[c].type, slot ? slotn : 0, slot ? (long)p : wicshown);
				if (g3_is_ethernet(g3_cards[c].type))
					out->index = eth;
				else
					out->kind = strcmp(g3_cards[c].type, "Serial") == 0
					    ? "serial"
					    : g3_cards[c].type;
				return;
			}
			eth += g3_is_ethernet(g3_cards[c].type);
			wicshown += !slot;
		}
		slotn += slot;
	}
}

/* g3_port - the port (adapter, port) of node n: its name, data-port number and type. */
static void
g3_port(struct g3 *g, struct g3node *n, long adapter, long port, struct g3port *out)
{
	const char *fmt = g3_str(n->node, "port_name_format");
	long segsize = -1, eth = 1, pba = 1;
	struct lw_err ignore;

	memset(out, 0, sizeof(*out));
	out->index = -1;
	if (strcmp(n->type, "vpcs") == 0) {
		snprintf(out->name, sizeof(out->name), "Ethernet%ld", adapter);
		out->index = adapter;
		return;
	}
	if (strcmp(n->type, "docker") == 0) {
		const char *c = g3_custom_name(n->node, adapter);

		if (c != NULL)
			snprintf(out->name, sizeof(out->name), "%s", c);
		else
			snprintf(out->name, sizeof(out->name), "eth%ld", adapter);
		out->index = adapter;
		return;
	}
	if (strcmp(n->type, "dynamips") == 0) {
		g3_dyn_port(n, adapter, port, out);
		return;
	}
	if (strcmp(n->type, "iou") == 0) {
		pba = 4;
		eth = 2;
		if (fmt == NULL)
			fmt = "Ethernet{segment0}/{port0}";
		segsize = 4;
	}
	imp_get_num(n->node, "port_segment_size", 0, 1024, "", &segsize, &ignore);
	if (imp_get_num(n->props, "ethernet_adapters", 0, 1024, "", &eth, &ignore) != 1)
		imp_get_num(n->props, "adapters", 0, 1024, "", &eth, &ignore);
	if (adapter >= eth && pba == 4) {
		/* IOU: serial adapters follow the Ethernet ones. */
		snprintf(out->name, sizeof(out->name), "Serial%ld/%ld", adapter, port);
		out->kind = "serial";
		return;
	}
	out->index = adapter * pba + port;
	if (port >= pba || adapter >= G3_ADAPTERS_MAX)
		return;
	if (g3_std_name(n, fmt ? fmt : "Ethernet{0}", segsize, pba, adapter, port, out->name,
	        sizeof(out->name)) == -1) {
		out->name[0] = '\0';
		if (!n->fmt_warned) {
			char what[96];

			n->fmt_warned = true;
			snprintf(what, sizeof(what), "port names of %s", n->name);
			imp_drop(g->im, what,
			    "port_name_format '%.64s' is not understood: its ports are numbered by "
			    "adapter",
			    fmt ? fmt : "");
		}
	}
}

#define G3_CONFIG_MAX (256 * 1024) /* bytes of a startup config (labwire's limit) */
#define G3_REF_MAX 256             /* bytes of a config file reference */

/* Per node type: the property naming its image, its memory, and the settings not carried over. */
static const struct {
	const char *type, *image, *ram, *label, *why;
	const char *fields[10];
} g3_types[] = {
    {"qemu", "hda_disk_image", "ram", "QEMU settings",
        "labwire builds a node's QEMU command line and disks from its template",
        {"options", "hdb_disk_image", "hdc_disk_image", "hdd_disk_image", "cdrom_image",
            "bios_image", "kernel_image", "initrd", "kernel_command_line", NULL}},
    {"docker", "image", "memory", "docker settings",
        "labwire runs no containers: the node runs its template instead",
        {"start_command", "environment", "extra_hosts", "extra_volumes", NULL}},
    {"iou", "path", "ram", NULL, NULL, {NULL}},
    {"dynamips", "image", "ram", NULL, NULL, {NULL}},
    {"virtualbox", "vmname", "ram", NULL, NULL, {NULL}},
    {"vmware", "vmx_path", NULL, NULL, NULL, {NULL}},
};

/* Where GNS3 2.x keeps a node's startup config when the project names none. */
static const struct {
	const char *type, *file;
} g3_cfg_home[] = {
    {"iou", "startup-config.cfg"},
    {"vpcs", "startup.vpc"},
};

static int
g3_type(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(g3_types) / sizeof(g3_types[0]); i++) {
		if (strcmp(g3_types[i].type, type) == 0)
			return ((int)i);
	}
	return (-1);
}

/* g3_given - v says something: a non-empty string, list or mapping, true, a non-zero number. */
static bool
g3_given(json_t *v)
{
	if (json_is_string(v))
		return (json_string_length(v) > 0);
	if (json_is_array(v))
		return (json_array_size(v) > 0);
	if (json_is_object(v))
		return (json_object_size(v) > 0);
	if (json_is_number(v))
		return (json_number_value(v) != 0);
	return (json_is_true(v));
}

/* g3_settings - one drop line naming the settings of n's type that are not carried over. */
static void
g3_settings(struct g3 *g, struct g3node *n, int t)
{
	char list[256], what[128];
	size_t used = 0, i;
	int k;

	if (t < 0 || g3_types[t].label == NULL)
		return;
	list[0] = '\0';
	for (i = 0; g3_types[t].fields[i] != NULL && used < sizeof(list); i++) {
		if (!g3_given(json_object_get(n->props, g3_types[t].fields[i])))
			continue;
		k = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "",
		    g3_types[t].fields[i]);
		used += k > 0 ? (size_t)k : 0;
	}
	if (used == 0)
		return;
	snprintf(what, sizeof(what), "%s of %s", g3_types[t].label, n->name);
	imp_drop(g->im, what, "%s: %s", list, g3_types[t].why);
}

/*
 * g3_ref - config_ref for a file of n's: a relative name is under the
 * project's project-files/<type>/<node id>/ (dynamips before revision 7:
 * project-files/dynamips/).
 */
static void
g3_ref(struct g3 *g, struct g3node *n, json_t *model, const char *file)
{
	char ref[G3_REF_MAX + 1];
	int k;

	if (*file == '/' || strchr(file, '\\') != NULL)
		k = snprintf(ref, sizeof(ref), "%s", file);
	else if (g->revision < 7 && strcmp(n->type, "dynamips") == 0)
		k = snprintf(ref, sizeof(ref), "project-files/%s/%s", n->type, file);
	else
		k = snprintf(ref, sizeof(ref), "project-files/%s/%s/%s", n->type, n->id, file);
	if (k > 0 && k <= G3_REF_MAX)
		json_object_set_new(model, "config_ref", json_string(ref));
}

/*
 * g3_config - the startup config of n: text the file carries becomes
 * "config"; a file it names (or, from revision 7 on, the file GNS3 keeps
 * an IOU's or a VPCS's config in) becomes "config_ref".
 */
static void
g3_config(struct g3 *g, struct g3node *n, json_t *model)
{
	static const char *const text[] = {"startup_config_content", "startup_script"};
	static const char *const file[] = {"startup_config", "startup_script_path"};
	char what[128], *vpcs;
	const char *s;
	size_t i;

	if (g3_str(n->props, "private_config") || g3_str(n->props, "private_config_content")) {
		snprintf(what, sizeof(what), "private config of %s", n->name);
		imp_drop(g->im, what, "labwire keeps one startup config per node");
	}
	for (i = 0; i < 2; i++) {
		if ((s = g3_str(n->props, text[i])) == NULL)
			continue;
		if (strlen(s) > G3_CONFIG_MAX) {
			snprintf(what, sizeof(what), "startup config of %s", n->name);
			imp_drop(g->im, what, "longer than %d KiB", G3_CONFIG_MAX / 1024);
		} else if (strcmp(n->type, "vpcs") == 0 && (vpcs = imp_vpcs_script(s)) != NULL) {
			json_object_set_new(model, "config", json_string(vpcs));
			free(vpcs);
		} else {
			json_object_set_new(model, "config", json_string(s));
		}
		return;
	}
	for (i = 0; i < 2; i++) {
		if ((s = g3_str(n->props, file[i])) != NULL) {
			g3_ref(g, n, model, s);
			return;
		}
	}
	for (i = 0; g->revision >= 7 && i < sizeof(g3_cfg_home) / sizeof(g3_cfg_home[0]); i++) {
		if (strcmp(g3_cfg_home[i].type, n->type) == 0)
			g3_ref(g, n, model, g3_cfg_home[i].file);
	}
}

/* g3_model - the model node of a node that is carried over. */
static int
g3_model(struct g3 *g, struct g3node *n, const char *path, const char *ppath, struct lw_err *e)
{
	int t = g3_type(n->type);
	const char *image = t >= 0 ? g3_str(n->props, g3_types[t].image) : NULL, *base, *s;
	json_t *model;
	long x = 0, y = 0;

	if ((model = json_pack("{s:s, s:s}", "name", n->name, "kind", n->type)) == NULL)
		return (err_set(e, ERR_INTERNAL, "out of memory"));
	if (imp_get_num(n->node, "x", -1000000, 1000000, path, &x, e) == -1 ||
	    imp_get_num(n->node, "y", -1000000, 1000000, path, &y, e) == -1 ||
	    imp_model_num(n->props, t >= 0 ? g3_types[t].ram : NULL, 1L << 20, model, "ram_mb",
	        ppath, e) == -1 ||
	    imp_model_num(n->props, "cpus", 256, model, "cpus", ppath, e) == -1) {
		json_decref(model);
		return (-1);
	}
	json_object_set_new(model, "x", json_integer(x));
	json_object_set_new(model, "y", json_integer(y));
	if (image != NULL) {
		/* IOU and some qemu images are absolute paths on the GNS3 host (docker's are
		 * names). */
		base = image;
		for (s = image; (*image == '/' || strchr(image, '\\')) && *s != '\0'; s++) {
			if (*s == '/' || *s == '\\')
				base = s + 1;
		}
		if (strlen(base) <= 256 && *base != '\0')
			json_object_set_new(model, "image", json_string(base));
	}
	g3_config(g, n, model);
	g3_settings(g, n, t);
	return (imp_node_add(g->im, model, path, e));
}

/* g3_check_ports - the port counts and naming fields have the right types. */
static int
g3_check_ports(struct g3node *n, const char *path, const char *ppath, struct lw_err *e)
{
	static const char *const counts[] = {"adapters", "ethernet_adapters", "serial_adapters"};
	json_t *v;
	long x;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (n->props != NULL &&
		    imp_get_num(n->props, counts[i], 0, 1024, ppath, &x, e) == -1)
			return (-1);
	}
	if (imp_get_num(n->node, "port_segment_size", 0, 1024, path, &x, e) == -1 ||
	    imp_get(n->node, "port_name_format", JSON_STRING, false, path, &v, e) == -1 ||
	    imp_get(n->node, "first_port_name", JSON_STRING, false, path, &v, e) == -1 ||
	    imp_get(n->node, "custom_adapters", JSON_ARRAY, false, path, &v, e) == -1)
		return (-1);
	return (0);
}

/* g3_node - read node i of the file: a model node, a LAN device or a drop. */
static int
g3_node(struct g3 *g, json_t *jn, size_t i, struct lw_err *e)
{
	struct g3node *n = &g->nodes[i];
	char path[64], ppath[80], what[160];
	json_t *v;
	size_t k;

	snprintf(path, sizeof(path), "topology.nodes[%zu]", i);
	snprintf(ppath, sizeof(ppath), "%s.properties", path);
	n->node = jn;
	if (imp_get(jn, "node_id", JSON_STRING, true, path, &v, e) == -1)
		return (-1);
	n->id = json_string_value(v);
	if (imp_get(jn, "node_type", JSON_STRING, true, path, &v, e) == -1)
		return (-1);
	n->type = json_string_value(v);
	if (imp_get(jn, "name", JSON_STRING, true, path, &v, e) == -1)
		return (-1);
	n->name = json_string_value(v);
	if (imp_get(jn, "properties", JSON_OBJECT, false, path, &n->props, e) == -1 ||
	    g3_check_ports(n, path, ppath, e) == -1)
		return (-1);
	if (json_object_get(g->byid, n->id) != NULL)
		return (err_set(e, ERR_INVALID, "%s.node_id: '%.64s' is given twice", path, n->id));
	json_object_set_new(g->byid, n->id, json_integer((json_int_t)i));
	snprintf(what, sizeof(what), "%s %.64s", n->type, n->name);
	if (strcmp(n->type, "ethernet_switch") == 0 || strcmp(n->type, "ethernet_hub") == 0) {
		n->role = G3_LAN;
		if ((n->lan = implan_dev(g->lan, what)) == -1)
			return (err_set(e, ERR_INTERNAL, "out of memory"));
		return (0);
	}
	for (k = 0; k < sizeof(g3_gone) / sizeof(g3_gone[0]); k++) {
		if (strcmp(n->type, g3_gone[k].type) == 0) {
			imp_drop(g->im, what, "%s; its links are dropped too", g3_gone[k].why);
			n->role = G3_GONE;
			return (0);
		}
	}
	n->role = G3_NODE;
	return (g3_model(g, n, path, ppath, e));
}

/* A link end as read: its node (NULL: unknown id) and port. */
struct g3end {
	struct g3node *n;
	const char *id;
	long portnum; /* the file's port_number */
	struct g3port port;
	char label[G3_PORT_MAX + 80]; /* "R1:Gi0/1" for the report */
};

static int
g3_end(struct g3 *g, json_t *je, const char *path, struct g3end *end, struct lw_err *e)
{
	long adapter = 0, port = 0;
	json_t *v;

	if (imp_get(je, "node_id", JSON_STRING, true, path, &v, e) == -1 ||
	    imp_get_num(je, "adapter_number", 0, 1023, path, &adapter, e) == -1 ||
	    imp_get_num(je, "port_number", 0, 65535, path, &port, e) == -1)
		return (-1);
	end->id = json_string_value(v);
	end->portnum = port;
	v = json_object_get(g->byid, end->id);
	end->n = v ? &g->nodes[json_integer_value(v)] : NULL;
	memset(&end->port, 0, sizeof(end->port));
	end->port.index = -1;
	if (end->n != NULL && end->n->role == G3_NODE)
		g3_port(g, end->n, adapter, port, &end->port);
	if (end->n == NULL)
		snprintf(end->label, sizeof(end->label), "%.64s", end->id);
	else if (end->port.name[0] != '\0')
		snprintf(end->label, sizeof(end->label), "%.64s:%s", end->n->name, end->port.name);
	else
		snprintf(end->label, sizeof(end->label), "%.64s", end->n->name);
	return (0);
}

static json_t *
g3_ep(struct g3end *end)
{
	return (imp_ep(end->n->name, end->port.name, end->port.index));
}

/* g3_filters - report a link's GNS3 filters (delay, packet loss, ...): labwire sets impairments
 * itself. */
static void
g3_filters(struct g3 *g, json_t *filters, const char *what)
{
	char list[256], buf[160];
	size_t used = 0, i;
	const char *key;
	json_t *v, *x;
	int k;

	list[0] = '\0';
	json_object_foreach(filters, key, v) {
		if (!g3_given(v) || used >= sizeof(list))
			continue;
		k = snprintf(list + used, sizeof(list) - used, "%s%.32s", used ? ", " : "", key);
		used += k > 0 ? (size_t)k : 0;
		json_array_foreach(v, i, x) {
			if (used < sizeof(list) && json_is_number(x)) {
				k = snprintf(
				    list + used, sizeof(list) - used, " %g", json_number_value(x));
				used += k > 0 ? (size_t)k : 0;
			}
		}
	}
	if (used == 0)
		return;
	snprintf(buf, sizeof(buf), "filters of %s", what);
	imp_drop(g->im, buf, "%s: set them again as the link's impairment", list);
}

/* g3_vlan - note the VLAN of port of switch n (its ports_mapping entry). */
static void
g3_vlan(struct g3node *n, long port)
{
	json_t *map = json_object_get(n->props, "ports_mapping"), *p;
	const char *type;
	long vlan;
	size_t i;

	json_array_foreach(map, i, p) {
		if (json_integer_value(json_object_get(p, "port_number")) != port)
			continue;
		type = json_string_value(json_object_get(p, "type"));
		vlan = (long)json_integer_value(json_object_get(p, "vlan"));
		if (type != NULL && (strcmp(type, "dot1q") == 0 || strcmp(type, "qinq") == 0))
			n->trunk = true;
		else if (vlan > 0 && n->vlan == 0)
			n->vlan = vlan;
		else if (vlan > 0 && vlan != n->vlan && n->vlan2 == 0)
			n->vlan2 = vlan;
		return;
	}
}

/* g3_vlan_merge - fold switch from's VLANs into switch to's (the first of its segment). */
static void
g3_vlan_merge(struct g3node *to, const struct g3node *from)
{
	long v[2] = {from->vlan, from->vlan2};

	to->trunk = to->trunk || from->trunk;
	for (int k = 0; k < 2; k++) {
		if (v[k] == 0 || v[k] == to->vlan)
			continue;
		if (to->vlan == 0)
			to->vlan = v[k];
		else if (to->vlan2 == 0)
			to->vlan2 = v[k];
	}
}

/*
 * g3_vlans - report segments whose members were in several VLANs or on
 * trunks: labwire's segment is one broadcast domain.
 */
static void
g3_vlans(struct g3 *g)
{
	char what[128];
	size_t i, k;

	for (i = 0; i < g->n; i++) {
		struct g3node *n = &g->nodes[i];

		if (n->role != G3_LAN || implan_root(g->lan, n->lan) == n->lan)
			continue;
		for (k = 0; k < g->n; k++) {
			if (g->nodes[k].role == G3_LAN &&
			    g->nodes[k].lan == implan_root(g->lan, n->lan))
				g3_vlan_merge(&g->nodes[k], n);
		}
	}
	for (i = 0; i < g->n; i++) {
		struct g3node *n = &g->nodes[i];

		if (n->role != G3_LAN || implan_root(g->lan, n->lan) != n->lan ||
		    (n->vlan2 == 0 && !n->trunk))
			continue;
		snprintf(
		    what, sizeof(what), "VLANs of the segment of ethernet_switch %.64s", n->name);
		if (n->vlan2 != 0)
			imp_drop(g->im, what,
			    "members in VLANs %ld and %ld share one LAN segment, one broadcast "
			    "domain; "
			    "a vlan-switch node keeps VLANs apart",
			    n->vlan, n->vlan2);
		else
			imp_drop(g->im, what,
			    "members on dot1q trunk ports are plain members of one LAN segment; a "
			    "vlan-switch node carries tagged VLANs");
	}
}

/* g3_lan_end - end m of a link whose other end is the switch or hub lan. */
static int
g3_lan_end(struct g3 *g, struct g3end *m, struct g3end *lan, bool suspend, const char *what)
{
	char buf[192];

	if (m->port.kind != NULL) {
		imp_drop(g->im, what, "%s is a %s port; labwire links are Ethernet", m->label,
		    m->port.kind);
		return (0);
	}
	if (suspend) {
		snprintf(buf, sizeof(buf), "suspended %s", what);
		imp_drop(g->im, buf, "a LAN member cannot be down on its own in labwire: it is up");
	}
	g3_vlan(lan->n, lan->portnum);
	return (implan_member(g->lan, lan->n->lan, g3_ep(m)));
}

/* g3_link - link j: a point-to-point link, a LAN member, a join of two switches, or a drop. */
static int
g3_link(struct g3 *g, json_t *jl, size_t j, struct lw_err *e)
{
	char path[64], epath[80], what[sizeof(((struct g3end *)0)->label) * 2 + 16];
	struct g3end end[2];
	json_t *ends, *v, *link;
	bool suspend = false;
	size_t i;

	snprintf(path, sizeof(path), "topology.links[%zu]", j);
	if (imp_get(jl, "nodes", JSON_ARRAY, true, path, &ends, e) == -1)
		return (-1);
	if (json_array_size(ends) != 2)
		return (err_set(e, ERR_INVALID, "%s.nodes: a link has 2 ends, not %zu", path,
		    json_array_size(ends)));
	for (i = 0; i < 2; i++) {
		snprintf(epath, sizeof(epath), "%s.nodes[%zu]", path, i);
		if (g3_end(g, json_array_get(ends, i), epath, &end[i], e) == -1)
			return (-1);
	}
	if (imp_get(jl, "suspend", JSON_TRUE, false, path, &v, e) == -1)
		return (-1);
	suspend = json_is_true(v);
	if (imp_get(jl, "filters", JSON_OBJECT, false, path, &v, e) == -1)
		return (-1);
	snprintf(what, sizeof(what), "link %s - %s", end[0].label, end[1].label);
	g3_filters(g, v, what);
	for (i = 0; i < 2; i++) {
		if (end[i].n == NULL) {
			imp_drop(g->im, what, "no node has the id '%.64s'", end[i].id);
			return (0);
		}
		if (end[i].n->role == G3_GONE) {
			imp_drop(g->im, what, "%.64s (%s) is not imported", end[i].n->name,
			    end[i].n->type);
			return (0);
		}
	}
	if (end[0].n->role == G3_LAN && end[1].n->role == G3_LAN) {
		implan_join(g->lan, end[0].n->lan, end[1].n->lan);
		return (0);
	}
	for (i = 0; i < 2; i++) {
		if (end[i].n->role == G3_LAN) {
			if (g3_lan_end(g, &end[1 - i], &end[i], suspend, what) == -1)
				return (err_set(e, ERR_INTERNAL, "out of memory"));
			return (0);
		}
	}
	for (i = 0; i < 2; i++) {
		if (end[i].port.kind != NULL) {
			imp_drop(g->im, what, "%s is a %s port; labwire links are Ethernet",
			    end[i].label, end[i].port.kind);
			return (0);
		}
	}
	link =
	    json_pack("{s:[o,o], s:s}", "endpoints", g3_ep(&end[0]), g3_ep(&end[1]), "what", what);
	if (link != NULL && suspend)
		json_object_set_new(link, "state", json_string("down"));
	return (imp_link_add(g->im, link, path, e));
}

/* g3_top - the file's name, revision, and its node and link lists. */
static int
g3_top(
    struct g3 *g, json_t *doc, json_t **nodes, json_t **links, json_t **drawings, struct lw_err *e)
{
	json_t *topo, *v;
	int rc;

	if (!json_is_object(doc))
		return (err_set(e, ERR_INVALID, "a GNS3 project is a JSON object"));
	if ((rc = imp_get_int(doc, "revision", 0, 1000, "", &g->revision, e)) == -1)
		return (err_set(e, ERR_INVALID, "revision: expected an integer"));
	if (rc == 1 && g->revision < 5)
		return (err_set(e, ERR_INVALID,
		    "revision: %ld is a GNS3 1.x project; open and save it in GNS3 2.x first, then "
		    "import it",
		    g->revision));
	if (rc == 0)
		g->revision = 9;
	if (imp_get(doc, "name", JSON_STRING, false, "project", &v, e) == -1)
		return (err_set(e, ERR_INVALID, "name: expected a string"));
	if (v != NULL)
		snprintf(g->im->name, sizeof(g->im->name), "%s", json_string_value(v));
	if (imp_get(doc, "topology", JSON_OBJECT, true, "project", &topo, e) == -1)
		return (
		    err_set(e, ERR_INVALID, "topology: expected a mapping with nodes and links"));
	if (imp_get(topo, "nodes", JSON_ARRAY, true, "topology", nodes, e) == -1 ||
	    imp_get(topo, "links", JSON_ARRAY, false, "topology", links, e) == -1 ||
	    imp_get(topo, "drawings", JSON_ARRAY, false, "topology", drawings, e) == -1)
		return (-1);
	if (json_array_size(*nodes) > IMPORT_NODES_MAX)
		return (err_set(
		    e, ERR_INVALID, "topology.nodes: more than %d nodes", IMPORT_NODES_MAX));
	if (json_array_size(*links) > IMPORT_LINKS_MAX)
		return (err_set(
		    e, ERR_INVALID, "topology.links: more than %d links", IMPORT_LINKS_MAX));
	return (0);
}

int
imp_gns3(struct imp *im, const char *buf, size_t len, json_t *doc, struct lw_err *e)
{
	json_t *nodes, *links = NULL, *drawings = NULL, *v;
	struct g3 g = {.im = im};
	int rc = -1;
	size_t i;

	(void)buf, (void)len;
	if (g3_top(&g, doc, &nodes, &links, &drawings, e) == -1)
		return (-1);
	g.n = json_array_size(nodes);
	g.nodes = calloc(g.n ? g.n : 1, sizeof(*g.nodes));
	g.byid = json_object();
	g.lan = implan_new();
	if (g.nodes == NULL || g.byid == NULL || g.lan == NULL) {
		err_set(e, ERR_INTERNAL, "out of memory");
		goto out;
	}
	json_array_foreach(nodes, i, v) {
		if (g3_node(&g, v, i, e) == -1)
			goto out;
	}
	json_array_foreach(links, i, v) {
		if (g3_link(&g, v, i, e) == -1)
			goto out;
	}
	if (implan_emit(g.lan, im, "topology.links", e) == -1)
		goto out;
	g3_vlans(&g);
	if (json_array_size(drawings) > 0)
		imp_drop(im, "drawings",
		    "%zu drawing%s (shapes, text, images on the canvas) %s not imported",
		    json_array_size(drawings), json_array_size(drawings) == 1 ? "" : "s",
		    json_array_size(drawings) == 1 ? "is" : "are");
	rc = 0;
out:
	implan_free(g.lan);
	json_decref(g.byid);
	free(g.nodes);
	return (rc);
}

/*
 * fuzz_template - libFuzzer target for a template's JSON (images/template.c
 * template_parse): the shipped catalog and what an admin PUTs on
 * /api/v1/templates/NAME go through it. Besides ASan's checks, a template
 * accepted keeps its promises: every interface it has a name for is named
 * back to the same index (a link to "Gi0/3" is the NIC called Gi0/3), the
 * names are valid interface names, and the QEMU settings it hands over are
 * its own.
 */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "core/base/names.h"
#include "hv/qemu.h"
#include "images/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Each interface name t makes is valid and leads back to its index. */
static void
fuzz_names(const struct template *t)
{
	char name[64];

	for (int i = 0; i < t->max_nics; i++) {
		if (template_ifname(t, i, name, sizeof(name)) == -1)
			continue;
		if (!names_iface_valid(name) || template_ifindex(t, name) != i)
			__builtin_trap();
	}
	if (template_ifname(t, t->max_nics, name, sizeof(name)) == 0 &&
	    template_ifindex(t, name) != -1)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	struct template t;
	struct qemu_spec q = {.nnics = 2};
	struct lw_err e = {.code = ERR_NONE};

	if (o == NULL)
		return (0);
	if (template_parse(o, &t, &e) == -1) {
		if (e.code == ERR_NONE || e.msg[0] == '\0')
			__builtin_trap();
		json_decref(o);
		return (0);
	}
	fuzz_names(&t);
	(void)template_config_files(&t);
	(void)template_console_lines(&t, true);
	template_spec(&t, &q);
	if (q.firmware != t.firmware || q.disk_bus != t.disk_bus)
		__builtin_trap();
	json_decref(t.json);
	json_decref(o);
	return (0);
}

/*
 * importmap - which labwire template a foreign node kind becomes: one
 * const table of rows {format, kind, image substring, template, role},
 * first match wins, a "*" row per format catches the rest. A row whose
 * template cannot run here (a VM template with no kernel or disk of its
 * own and no image uploaded for it) or that names none gives way to the
 * substitute of its role (host: linux-host, router: frr-router, switch:
 * vlan-switch). The table also answers the way back (the containerlab kind
 * a template is exported as) and what GET /api/v1/templates shows of it.
 * It reads templates and asks the image store (through a probe a test can
 * replace); it creates nothing.
 */
#ifndef LW_IMPORTMAP_H
#define LW_IMPORTMAP_H

#include <jansson.h>
#include <stdbool.h>

struct template;

enum importmap_role { IMPORTMAP_ROUTER, IMPORTMAP_SWITCH, IMPORTMAP_HOST };

/* What a node of (format, kind, image) becomes. */
struct importmap_pick {
	const char *preferred;    /* the table's template (or the model's own), NULL: none */
	const char *template;     /* the one the node gets: preferred, or the role's substitute */
	const struct template *t; /* template found, NULL when it is missing */
	enum importmap_role role;
	bool substitute;
	char reason[160]; /* why it was substituted ("" when not) */
};

/*
 * importmap_pick - map (format, kind, image (NULL: none)) to a template;
 * exact (NULL: none) is a template the file names itself (a labwire clab
 * export's label): used, when it exists, in place of the table's row.
 */
void importmap_pick(const char *format, const char *kind, const char *image, const char *exact,
    struct importmap_pick *p);
/* importmap_known - the table has a row of its own (not the "*" one) for format's kind. */
bool importmap_known(const char *format, const char *kind);
/*
 * importmap_set_image_probe - replace the image store lookup (tests, fuzz:
 * no store): fn(template, iso) true when an image was uploaded for it;
 * NULL restores images/store's.
 */
void importmap_set_image_probe(bool (*fn)(const char *tmpl, bool iso));
/*
 * importmap_clab_kind - the containerlab kind template is exported as, and
 * in *image the image to name (NULL: the node's own); unknown templates are
 * "linux" with alpine:3.
 */
const char *importmap_clab_kind(const char *tmpl, const char **image);
/*
 * importmap_template_list - GET /api/v1/templates' body: template_list_json
 * with each template's "imports" ([{format, kind}], the table rows naming
 * it) and "substitute_for" ([roles]). New reference.
 */
json_t *importmap_template_list(void);
/* importmap_template_decorate - the same fields on one template object (a copy: new reference). */
json_t *importmap_template_decorate(json_t *tmpl);

#endif

/*
 * configdrive - the startup config delivered the way a NOS looks for it: a
 * read-only ISO 9660 CD-ROM or FAT disk with the template's volume label,
 * holding the template's config_files (e.g. iosxe_config.txt, juniper.conf,
 * cloud-init's user-data + meta-data), "{config}" and "{hostname}" expanded.
 * It only builds files in the directory it is given, with tools run through
 * core/base/spawn: it reads no store, knows no lab, and never attaches the
 * drive (the runtime hands it to QEMU).
 */
#ifndef LW_CONFIGDRIVE_H
#define LW_CONFIGDRIVE_H
#include <stddef.h>
#include <stdint.h>

#include "core/base/err.h"
#include "images/template.h"

/*
 * configdrive_build - stage the files under dir/config and make out_path
 * from them: genisoimage for "iso", mkfs.fat + mtools for "fat" (argv, no
 * shell), as node's user. Returns 0 or -1 with e.
 */
int configdrive_build(int64_t node, const char *dir, const struct template *t, const char *hostname,
    const char *startup_config, const char *out_path, struct lw_err *e);
/*
 * configdrive_expand - content with {config} and {hostname} replaced
 * (malloc'd), or NULL: errno EFBIG when it would be longer than max bytes
 * (known before anything is allocated), ENOMEM.
 */
char *configdrive_expand(const char *content, const char *hostname, const char *config, size_t max);

#endif

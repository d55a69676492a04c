/*
 * configdrive - the startup-config delivery a real NOS could also use: an
 * ISO 9660 image (volume LWCONFIG) holding `hostname` and `startup-config`,
 * attached to the guest as a read-only disk.
 */
#ifndef LW_CONFIGDRIVE_H
#define LW_CONFIGDRIVE_H

#include "core/err.h"

/*
 * configdrive_build - write dir/config/{hostname,startup-config} and make
 * iso_path from them with genisoimage (argv, no shell; xorriso takes ~100 ms an image, genisoimage
 * ~3 ms); returns 0 or -1 with e.
 */
int configdrive_build(const char *dir, const char *hostname, const char *startup_config,
    const char *iso_path, struct lw_err *e);

#endif

/*
 * fuzz_sniff - libFuzzer target for the format sniffing of an uploaded image
 * (images/store.c store_sniff), which reads the first bytes of any file a
 * user uploads before qemu-img is let near it (and then only with the format
 * it found). Besides ASan's checks: a format found is one the store keeps;
 * a qcow2 let through names no backing file and, from version 3, no data
 * file; a VMDK descriptor (which names other files) never passes; a refusal
 * is ERR_INVALID with a reason.
 */
#include <stdint.h>
#include <string.h>

#include "images/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check_qcow2(const uint8_t *h, size_t n)
{
	uint8_t z[8] = {0};

	if (n >= 16 && memcmp(h + 8, z, 8) != 0)
		__builtin_trap();
	if (n >= 80 && h[4] == 0 && h[5] == 0 && h[6] == 0 && h[7] >= 3 && (h[79] & 0x04))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *kept[] = {"qcow2", "raw", "vmdk", "vdi", "vhdx", "vpc"};
	struct lw_err e = {.code = ERR_NONE};
	char fmt[16] = "";
	bool ok = false;

	if (store_sniff(data, size, fmt, sizeof(fmt), &e) == -1) {
		if (e.code != ERR_INVALID || e.msg[0] == '\0')
			__builtin_trap();
		return (0);
	}
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		ok = ok || strcmp(fmt, kept[i]) == 0;
	if (!ok)
		__builtin_trap();
	if (size >= 4 && memcmp(data, "QFI\xfb", 4) == 0)
		fuzz_check_qcow2(data, size);
	if (size >= 21 && memcmp(data, "# Disk DescriptorFile", 21) == 0)
		__builtin_trap();
	return (0);
}

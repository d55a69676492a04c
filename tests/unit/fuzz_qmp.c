/*
 * fuzz_qmp - libFuzzer target for qmp_parse_line, the parser every byte
 * QEMU writes to the QMP socket goes through.
 *   clang -fsanitize=fuzzer,address -I. tests/unit/fuzz_qmp.c hv/qmp.c core/base/log.c -ljansson
 */
#include <stddef.h>
#include <stdint.h>

#include "hv/qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *msg = qmp_parse_line((const char *)data, size);

	/* Whatever comes back must be an object the caller can walk and free. */
	if (msg != NULL && !json_is_object(msg))
		__builtin_trap();
	json_decref(msg);
	return (0);
}

/*
 * fuzz_qmp - libFuzzer target for qmp_parse_line, the parser every byte
 * QEMU writes to the QMP socket goes through, and for what the runtime reads
 * from a parsed line: an event's run state, or a query-status answer's
 * (the line read as the status, and as query-block's devices).
 *   clang -fsanitize=fuzzer,address -I. tests/unit/fuzz_qmp.c hv/qmp.c core/base/log.c -ljansson
 */
#include <stddef.h>
#include <stdint.h>

#include "hv/qmp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *msg = qmp_parse_line((const char *)data, size), *ret;

	/* Whatever comes back must be an object the caller can walk and free. */
	if (msg != NULL && !json_is_object(msg))
		__builtin_trap();
	ret = json_object_get(msg, "return");
	if (qmp_event_run(msg) > QMP_RUN_PANICKED ||
	    qmp_status_run(ret != NULL ? ret : msg, ret) > QMP_RUN_PANICKED)
		__builtin_trap();
	json_decref(msg);
	return (0);
}

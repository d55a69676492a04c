/*
 * fault - named crash points for the crash-window test
 * (tests/integration/test_crash_windows.sh). Only the test build defines
 * LW_FAULTS ($(BUILD)/faults/labwire and its ASan twin, see the Makefile):
 * there FAULT_POINT("start.spawned") SIGKILLs the daemon when LW_FAULT in
 * its environment names that point, as "start.spawned" (the first time it
 * is reached) or "start.spawned:N" (the Nth time). Everywhere else, the
 * installed daemon included, a point compiles to nothing.
 */
#ifndef LW_FAULT_H
#define LW_FAULT_H

#ifdef LW_FAULTS
/* fault_point - die here (SIGKILL, no clean-up at all) if LW_FAULT names name. */
void fault_point(const char *name);
#define FAULT_POINT(name) fault_point(name)
#else
#define FAULT_POINT(name) ((void)0)
#endif

#endif

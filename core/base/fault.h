/*
 * fault - named crash points for the crash-window test
 * (tests/integration/test_crash_windows.sh). Only the test build defines
 * LW_FAULTS ($(BUILD)/faults/labwire and its ASan twin, see the Makefile):
 * there FAULT_POINT("qemu.spawned") SIGKILLs the daemon when LW_FAULT in
 * its environment names that point, as "qemu.spawned" (the first time it
 * is reached) or "qemu.spawned:N" (the Nth time). Everywhere else, the
 * installed daemon included, a point compiles to nothing.
 *
 * The points of a node's start (core/run/start.c, node.c), each named for
 * a QEMU node or a namespace host: qemu|nshost.intent (the intent row is
 * written, nothing spawned), qemu|nshost.spawned (the process runs, its
 * row does not say so), qemu|nshost.recorded (the row says so, nothing is
 * wired), qemu.wiring (its TAPs isolated, its links not yet synced),
 * nshost.wired (its veths made, not isolated nor linked).
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

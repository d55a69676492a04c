/*
 * lwstall - a helper tool that never finishes: the integration tests put it
 * in the daemon's PATH under a tool's name (genisoimage, qemu-img ...) to
 * show that a hung tool is killed after --tool-timeout and that nothing
 * else waits for it meanwhile. It ignores its arguments and writes nothing.
 */
#include <unistd.h>

int
main(void)
{
	for (;;)
		pause();
}

/*
 * signal - the note a signal that would end the CLI leaves, so that what
 * it changed (a raw terminal, a running capture) is put back before it
 * ends. The handler only notes; which signals to catch, and whether to
 * block them, is the console session's and the capture's own choice.
 */
#include <signal.h>

#include "core/cli/cli_int.h"

static volatile sig_atomic_t cli_signal_last;

void
cli_signal_note(int sig)
{
	cli_signal_last = sig;
}

int
cli_signal_caught(void)
{
	return (cli_signal_last != 0);
}

void
cli_signal_clear(void)
{
	cli_signal_last = 0;
}

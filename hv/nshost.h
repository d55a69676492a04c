/*
 * nshost - `labwire nshost`: the supervisor of one lightweight host node.
 * It runs a shell in fresh user, pid, network, UTS, mount and IPC
 * namespaces and serves the shell's pty on a UNIX socket the way QEMU
 * serves a serial console (-chardev socket,server=on,wait=on), so the
 * daemon's console code treats both kinds of node alike. It runs as a
 * process of its own, never in the daemon: it shares no lock or store with
 * it, knows no lab, and creates no interface (the daemon puts veths into
 * its namespace; it only brings them and lo up).
 */
#ifndef LW_NSHOST_H
#define LW_NSHOST_H

/*
 * nshost_main - run the node described by argv (argv[0] is "nshost") until
 * its shell exits or SIGTERM/SIGINT arrives; returns the exit status: 0 for
 * either of those, 1 if setting the node up failed or the node died another
 * way, 2 for a usage error.
 */
int nshost_main(int argc, char **argv);

#endif

/* check: the `gatewarden check` command. */
#ifndef CLI_CHECK_H
#define CLI_CHECK_H

/* Runs the command; returns the process exit code (0 allowed, 1 denied, 2 input or
 * usage error). argv[0] is "check". */
int check_main(int argc, char **argv);

#endif

/* cmd_certs: the `gatewarden certs` command family (generate, inspect, bootstrap). */
#ifndef CLI_CMD_CERTS_H
#define CLI_CMD_CERTS_H

/* argv[0] is "certs". Returns the process exit code. */
int certs_main(int argc, char **argv);

#endif

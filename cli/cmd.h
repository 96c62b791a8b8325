/* cmd: the subcommands main.c dispatches to (one cmd_*.c each). Each returns the
 * process exit status; argv[0] is the subcommand's name. */
#ifndef CLI_CMD_H
#define CLI_CMD_H

int serve_main(int argc, char **argv);
int reconcile_main(int argc, char **argv);

#endif

/* cmd_datapath: the `gatewarden datapath` command family. */
#ifndef CLI_CMD_DATAPATH_H
#define CLI_CMD_DATAPATH_H

/* argv[0] is "datapath". Returns the process exit code. */
int cmd_datapath_main(int argc, char **argv);

#endif

/*
 * hugepages: run `check` on transparent huge pages (see hugepages.c).
 */
#ifndef CLI_HUGEPAGES_H
#define CLI_HUGEPAGES_H

/* Re-execute this process once with glibc's malloc asking for transparent huge pages,
 * when that applies; returns only when it does not (or the exec failed). Call before
 * anything is read or any thread starts. */
void hugepages_reexec(char **argv);

#endif

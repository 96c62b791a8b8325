/*
 * fuzz_check: a libFuzzer target for `gatewarden check`, run in process (check_main)
 * on a file holding the input after its first byte. The first byte's bits choose
 * --strict (1), -o json (2), --policy policies/presets (4: the Service patches and
 * validation policies; GW_SRC names the source tree) and --var domain_name=example.com
 * (8: ${...} substitution). The seeds are Lists of objects (tests/data/cross/ as
 * JSON), which fuzzlib.c mutates as trees, so the cross-object checks see clusters
 * whose references, listeners and hostnames are bent in every way; YAML is JSON's
 * superset, so the byte-level half of the mutations reaches the YAML reader too. On
 * every input: an exit code of 0, 1 or 2 and never a crash, hang or sanitizer report.
 *
 * tests/fuzz/run.sh builds it against the project's libraries compiled with clang's
 * coverage, and closes stdout, where the reports go (-close_fd_mask=1).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fuzzlib.h"

static char path[64];

static void remove_path(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/tmp/fuzz_check.%ld.yaml", (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror(path);
		exit(2);
	}
	close(fd);
	atexit(remove_path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char presets[4096];
	char *argv[12];
	int argc = 0, rc;

	if (size < 1)
		return 0;
	fuzzlib_write_file(path, data + 1, size - 1);
	argv[argc++] = "check";
	if (data[0] & 1)
		argv[argc++] = "--strict";
	if (data[0] & 2) {
		argv[argc++] = "-o";
		argv[argc++] = "json";
	}
	if (data[0] & 4) {
		const char *src = getenv("GW_SRC");

		snprintf(presets, sizeof(presets), "%s/policies/presets", src != NULL ? src : ".");
		argv[argc++] = "--policy";
		argv[argc++] = presets;
	}
	if (data[0] & 8) {
		/* writable, as main's argv is: subst_add splits it in place, so anew each run */
		static char var[64];

		snprintf(var, sizeof(var), "domain_name=example.com");
		argv[argc++] = "--var";
		argv[argc++] = var;
	}
	argv[argc++] = path;
	argv[argc] = NULL;
	rc = check_main(argc, argv);
	if (rc < 0 || rc > 2) {
		fprintf(stderr, "fuzz_check: exit code %d\n", rc);
		abort();
	}
	return 0;
}

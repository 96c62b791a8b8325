/*
 * fuzz_kubeconfig: a libFuzzer target for reconciler/kubeconfig.c, which reads the
 * kubeconfig `gatewarden reconcile --kubeconfig` is given (YAML through cli/yamldoc.c;
 * base64 certificate data; contexts, clusters and users found by name). The input is
 * a flags byte, then the file's text; flag bit 0 asks for the context "ctx" instead of
 * the current one. On every input: 0 with a server set, or an error with a message;
 * never a crash, leak or sanitizer report.
 *
 * tests/fuzz/run.sh builds it against the project's libraries compiled with clang's
 * coverage.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fuzzlib.h"
#include "kube.h"

static char path[64];

static void remove_path(void)
{
	unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof(path), "/tmp/fuzz_kubeconfig.%ld.yaml", (long)getpid());
	atexit(remove_path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kube_config c;
	struct err e;

	if (size < 1)
		return 0;
	fuzzlib_write_file(path, data + 1, size - 1);
	memset(&c, 0, sizeof(c));
	err_init(&e);
	if (kubeconfig_load(path, data[0] & 1 ? "ctx" : NULL, &c, &e) == 0) {
		if (c.server == NULL) {
			fprintf(stderr, "fuzz_kubeconfig: loaded without a server\n");
			abort();
		}
		kube_config_free(&c);
	} else if (e.msg[0] == '\0') {
		fprintf(stderr, "fuzz_kubeconfig: an error without a message\n");
		abort();
	}
	return 0;
}

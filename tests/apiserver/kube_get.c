/*
 * kube_get: one kube client, one GET per line read on stdin; prints the HTTP status
 * (or "error: ..."), for kube_client.py.
 * Usage: kube_get (--kubeconfig FILE [--context NAME] | --in-cluster DIR) [--allow-http] PATH
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube.h"

int main(int argc, char **argv)
{
	const char *kc = NULL, *ctx = NULL, *dir = NULL, *path = NULL;
	bool allow_http = false;
	struct kube_config cfg;
	struct kube_retry retry = { 2, 10, 50 };
	struct err e;
	struct kube *k;
	char line[64];
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--kubeconfig") == 0 && i + 1 < argc)
			kc = argv[++i];
		else if (strcmp(argv[i], "--context") == 0 && i + 1 < argc)
			ctx = argv[++i];
		else if (strcmp(argv[i], "--in-cluster") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--allow-http") == 0)
			allow_http = true;
		else
			path = argv[i];
	}
	if (path == NULL || (kc == NULL) == (dir == NULL)) {
		fprintf(stderr, "usage: kube_get (--kubeconfig FILE [--context NAME] | --in-cluster DIR) PATH\n");
		return 2;
	}
	err_init(&e);
	rc = kc ? kubeconfig_load(kc, ctx, &cfg, &e) : kubeconfig_in_cluster(dir, &cfg, &e);
	if (rc < 0) {
		printf("error: %s\n", e.msg);
		return 1;
	}
	cfg.allow_http = allow_http;
	k = kube_new(&cfg, &e);
	kube_config_free(&cfg);
	if (k == NULL) {
		printf("error: %s\n", e.msg);
		return 1;
	}
	kube_set_retry(k, &retry);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		struct kube_resp r;

		err_init(&e);
		if (kube_request(k, "GET", path, NULL, NULL, &r, &e) < 0)
			printf("error: %s\n", e.msg);
		else
			printf("%ld\n", r.status);
		kube_resp_clear(&r);
		fflush(stdout);
	}
	kube_free(k);
	return 0;
}

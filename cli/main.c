/* main: subcommand dispatch only. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "cmd.h"
#include "cmd_certs.h"
#include "cmd_datapath.h"
#include "hugepages.h"
#include "rules.h"

#define GATEWARDEN_VERSION "0.1.0"

static void usage(FILE *f)
{
	fputs("usage: gatewarden COMMAND [options]\n"
	      "\n"
	      "commands:\n"
	      "  check PATH...   validate Gateway API manifests offline (see `gatewarden check --help`)\n"
	      "  serve           the admission webhook over HTTPS (see `gatewarden serve --help`)\n"
	      "  reconcile       certificate Events and Service back-fill on a live cluster (see --help)\n"
	      "  datapath CMD    the eBPF load balancer: attach, sync, list, stats, detach\n"
	      "  certs CMD       the webhook's TLS: generate, inspect, bootstrap (see `gatewarden certs --help`)\n"
	      "  rules           list every rule id with its default action and summary\n"
	      "  version         print the version\n"
	      "\n"
	      "Each command takes --help. Exit status: 0 success, 1 findings denied (check),\n"
	      "2 usage or input error.\n",
	      f);
}

static int rules_main(void)
{
	size_t n;
	const struct rules_info *all = rules_all(&n);

	for (size_t i = 0; i < n; i++)
		printf("%-24s %-7s %-6s %s\n", all[i].id, all[i].severity == SEV_ERROR ? "error" : "warning",
		       all[i].scope == RULE_SINGLE ? "single" : "cross", all[i].summary);
	return 0;
}

int main(int argc, char **argv)
{
	/* pick jansson's hash seed now, before any thread creates objects */
	json_object_seed(0);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "check") == 0) {
		hugepages_reexec(argv);
		return check_main(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "serve") == 0)
		return serve_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "reconcile") == 0)
		return reconcile_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "datapath") == 0)
		return cmd_datapath_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "certs") == 0)
		return certs_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "rules") == 0)
		return rules_main();
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("gatewarden %s\n", GATEWARDEN_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "gatewarden: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

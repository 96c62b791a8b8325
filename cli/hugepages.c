/*
 * hugepages: `check` on transparent huge pages.
 *
 * The cluster view of `check` keeps every Gateway API object of the input as a jansson
 * tree: hundreds of MB of small allocations, each page touched for the first time once.
 * With 4 KiB pages that is a page fault per 4 KiB: 45,000 for the bench's 10k-route
 * tree, and on a virtual machine where a fault traps to the hypervisor they were a
 * fifth of the run (bench/RESULTS.md). glibc's malloc advises the kernel to back its
 * heap with transparent huge pages (MADV_HUGEPAGE as the heap grows) when the tunable
 * glibc.malloc.hugetlb=1 is set, and it reads tunables only when the process starts.
 * So check re-executes itself once, /proc/self/exe with the same arguments and the
 * tunable added to GLIBC_TUNABLES: 5 times fewer faults at 10k routes, 16 times fewer
 * at 40k, and peak RSS moves by 1 %.
 *
 * Skipped when: GATEWARDEN_HUGEPAGES=0; the kernel's THP mode is "never" or cannot be
 * read; GLIBC_TUNABLES already names glibc.malloc.hugetlb (the user's choice, and what
 * ends the loop after the one exec); under valgrind (its preload library is in
 * LD_PRELOAD, and the exec would leave the tool behind). If the exec fails, check
 * goes on as it is. serve and reconcile are long-lived and small: they are not
 * re-executed, as huge pages would only raise their resident size.
 */
#include "hugepages.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HUGETLB_TUNABLE "glibc.malloc.hugetlb"
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

/* THP is "always" or "madvise" (the selected mode is in brackets) */
static bool thp_available(void)
{
	char buf[128];
	FILE *f = fopen(THP_ENABLED, "r");
	bool ok;

	if (f == NULL)
		return false;
	ok = fgets(buf, sizeof(buf), f) != NULL && strstr(buf, "[never]") == NULL && strchr(buf, '[') != NULL;
	fclose(f);
	return ok;
}

static bool wanted(void)
{
	const char *opt = getenv("GATEWARDEN_HUGEPAGES");
	const char *tun = getenv("GLIBC_TUNABLES");
	const char *pre = getenv("LD_PRELOAD");

	if (opt != NULL && strcmp(opt, "0") == 0)
		return false;
	if (tun != NULL && strstr(tun, HUGETLB_TUNABLE) != NULL)
		return false;
	if (pre != NULL && strstr(pre, "vgpreload") != NULL)
		return false;
	return thp_available();
}

void hugepages_reexec(char **argv)
{
	const char *env = getenv("GLIBC_TUNABLES");
	char *old = env != NULL ? strdup(env) : NULL, *val;
	size_t n;

	if (!wanted() || (env != NULL && old == NULL))
		goto out;
	n = (old != NULL ? strlen(old) + 1 : 0) + sizeof(HUGETLB_TUNABLE "=1");
	val = malloc(n);
	if (val == NULL)
		goto out;
	snprintf(val, n, "%s%s" HUGETLB_TUNABLE "=1", old != NULL ? old : "", old != NULL && old[0] ? ":" : "");
	if (setenv("GLIBC_TUNABLES", val, 1) == 0) {
		execv("/proc/self/exe", argv);
		/* still here: go on without, with the user's environment as it was */
		if (old != NULL)
			setenv("GLIBC_TUNABLES", old, 1);
		else
			unsetenv("GLIBC_TUNABLES");
	}
	free(val);
out:
	free(old);
}

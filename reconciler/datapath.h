/*
 * datapath: the eBPF socket load balancer's user-space side, and the only user of
 * libbpf. It loads bpf/gw_lb.bpf.c (the skeleton generated at build time), pins its
 * maps and cgroup links under a bpffs directory (DATAPATH_PIN_DIR by default) so the
 * datapath keeps running while no gatewarden process does, adopts what is pinned
 * when it starts again, and programs frontends from a struct lbplan.
 *
 * Programming converges: each frontend's table (backends + weighted slots) is built
 * whole in a new inner map and published with one update of gw_lb_fe, so a
 * connection sees either the old table or the new one, never a mix; all changed
 * frontends are published with one batched update (one RCU wait), frontends that
 * are no longer in the plan are removed (with their counters), unchanged ones are
 * left alone. Weights apply per connection (connect/first sendmsg), not per request.
 *
 * Everything here needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN for mounts).
 */
#ifndef RECONCILER_DATAPATH_H
#define RECONCILER_DATAPATH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "lbplan.h"

#define DATAPATH_PIN_DIR "/sys/fs/bpf/gatewarden"
#define DATAPATH_SOURCE_LEN 224

enum datapath_mode {
	DATAPATH_EXISTING, /* open the pinned maps only; ERR_NOTFOUND when there are none */
	DATAPATH_MAPS,     /* create or adopt the pinned maps (no programs loaded) */
	DATAPATH_PROGRAMS, /* as DATAPATH_MAPS, and load the programs for attach */
};

struct datapath;

/* Mounts bpffs on /sys/fs/bpf when pin_dir is below it and it is not mounted yet.
 * pin_dir NULL = DATAPATH_PIN_DIR. Refuses pinned maps of another ABI version. */
int datapath_open(const char *pin_dir, enum datapath_mode mode, struct datapath **ret, struct err *err);
/* NULL-safe. Closes file descriptors only: pinned maps and links stay. */
void datapath_close(struct datapath *dp);

/* The cgroup v2 mount point from /proc/self/mountinfo (never assumed). */
int datapath_cgroup2_mount(char *buf, size_t size, struct err *err);

/* Attach the 8 programs (connect, sendmsg, recvmsg, getpeername; v4 and v6) to a
 * cgroup v2 directory: an absolute path on cgroup2, or a path relative to the cgroup
 * v2 mount ("" or NULL = its root). Links are pinned under pin_dir/links. When links
 * are pinned already for the same cgroup, the programs behind them are replaced in
 * place (an upgrade, no detach window); for another cgroup it is an error. The
 * resolved directory is written to resolved (may be NULL). dp must be opened with
 * DATAPATH_PROGRAMS. */
int datapath_attach(struct datapath *dp, const char *cgroup, char *resolved, size_t size, struct err *err);

/* Unpin links (which detaches the programs) and maps under pin_dir, then remove the
 * directory. Returns 0 also when nothing was pinned (*removed = 0). */
int datapath_detach(const char *pin_dir, size_t *removed, struct err *err);

/* Called once per frontend of the plan that is not programmed, with the reason. */
typedef void (*datapath_warn_fn)(void *ud, const char *msg);

struct datapath_result {
	size_t changed;    /* frontends whose table was (re)written */
	size_t unchanged;
	size_t removed;    /* frontends deleted because the plan no longer has them */
	size_t skipped;    /* frontends of the plan refused (see warn) */
};

/* Converge the pinned maps to plan. A frontend the datapath cannot carry (too many
 * backends, mixed address families, bad protocol, duplicate) is skipped with a
 * warning and whatever was programmed for it before stays. */
int datapath_program(struct datapath *dp, const struct lbplan *plan, datapath_warn_fn warn, void *ud,
		     struct datapath_result *res, struct err *err);

struct datapath_backend {
	struct lbplan_addr addr;
	uint16_t port;        /* host order */
	uint32_t slots;       /* slots in the current table; 0 = counted before, no longer in it */
	uint64_t conns;       /* connections (TCP) or sockets (UDP) sent to it so far */
};

struct datapath_frontend {
	struct lbplan_addr addr;
	uint16_t port;        /* host order */
	uint8_t proto;        /* 6 or 17 */
	uint32_t nslots;
	char source[DATAPATH_SOURCE_LEN];
	struct datapath_backend *backends;
	size_t n_backends;
	uint64_t conns;       /* sum over the backends */
};

struct datapath_dump {
	struct datapath_frontend *frontends;  /* sorted by family, address, port, protocol */
	size_t n_frontends;
};

/* What is programmed, with the counters. */
int datapath_dump(struct datapath *dp, struct datapath_dump *ret, struct err *err);
void datapath_dump_free(struct datapath_dump *d);

#endif

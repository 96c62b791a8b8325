/*
 * datapath: see datapath.h. The only file that includes libbpf.
 */
#include "datapath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "gw_lb.h"
#include "gw_lb.skel.h"
#include "lbslots.h"

#define BPFFS_ROOT "/sys/fs/bpf"
#define MAP_FE "gw_lb_fe"
#define MAP_REVNAT "gw_lb_revnat"
#define MAP_SK "gw_lb_sk"
#define MAP_STATS "gw_lb_stats"
#define MAP_SRC "gw_lb_src"
#define MAP_META "gw_lb_meta"
#define NPROGS 8
/* new tables held open before one batched publish: bounds the descriptors in use */
#define PUBLISH_BATCH 2048

_Static_assert(DATAPATH_SOURCE_LEN == GW_LB_SRC_LEN, "source length is part of the map ABI");
_Static_assert(sizeof(struct gw_lb_key) == 20, "gw_lb_key layout");
_Static_assert(sizeof(struct gw_lb_addr) == 20, "gw_lb_addr layout");
_Static_assert(sizeof(struct gw_lb_stat_key) == 40, "gw_lb_stat_key layout");

struct datapath {
	struct gw_lb_bpf *skel;   /* NULL in DATAPATH_EXISTING mode */
	char pin_dir[PATH_MAX];
	int fe_fd, revnat_fd, stats_fd, src_fd, meta_fd;
	bool own_fds;             /* opened with bpf_obj_get (not the skeleton's) */
};

/* ---- libbpf messages: kept (the last one explains a failure), printed on demand ---- */

static char last_libbpf_msg[512];

static int on_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[sizeof(last_libbpf_msg)];
	size_t n;

	if (getenv("GATEWARDEN_BPF_DEBUG") != NULL) {
		va_list cp;

		va_copy(cp, ap);
		vfprintf(stderr, fmt, cp);
		va_end(cp);
	}
	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	/* the first warning names the failure (later ones only say what failed with it) */
	if (n > 0 && last_libbpf_msg[0] == '\0')
		memcpy(last_libbpf_msg, line, n + 1);
	return 0;
}

static void libbpf_setup(void)
{
	last_libbpf_msg[0] = '\0';
	libbpf_set_print(on_libbpf_print);
}

/* ---- mounts ---- */

/* Undo mountinfo's octal escapes (\040 for space) in place. */
static void unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
		    p[3] <= '7') {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

/* Calls fn(mountpoint, fstype) for each line of /proc/self/mountinfo; stops when
 * fn returns true. Returns ERR_IO when the file cannot be read. */
static int each_mount(bool (*fn)(void *ud, const char *mnt, const char *fstype), void *ud, struct err *err)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;

	if (f == NULL)
		return err_set(err, ERR_IO, "cannot read /proc/self/mountinfo: %s", strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *tok, *mnt = NULL, *fstype = NULL;
		int field = 0;
		bool after_dash = false;

		for (tok = strtok_r(line, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save), field++) {
			if (field == 4)
				mnt = tok;
			else if (!after_dash && strcmp(tok, "-") == 0 && field >= 6)
				after_dash = true;
			else if (after_dash && fstype == NULL) {
				fstype = tok;
				break;
			}
		}
		if (mnt == NULL || fstype == NULL)
			continue;
		unescape(mnt);
		if (fn(ud, mnt, fstype))
			break;
	}
	free(line);
	fclose(f);
	return 0;
}

struct find_fs {
	const char *fstype;
	char *buf;
	size_t size;
	bool found;
};

static bool find_fs_cb(void *ud, const char *mnt, const char *fstype)
{
	struct find_fs *q = ud;

	if (strcmp(fstype, q->fstype) != 0)
		return false;
	snprintf(q->buf, q->size, "%s", mnt);
	q->found = true;
	return true;
}

int datapath_cgroup2_mount(char *buf, size_t size, struct err *err)
{
	struct find_fs q = { "cgroup2", buf, size, false };
	int rc = each_mount(find_fs_cb, &q, err);

	if (rc != 0)
		return rc;
	if (!q.found)
		return err_set(err, ERR_NOTFOUND, "no cgroup v2 filesystem is mounted (see /proc/self/mountinfo)");
	return 0;
}

struct covering {
	const char *path;
	size_t best;
	char fstype[64];
};

/* the mount point that is the longest path prefix of path */
static bool covering_cb(void *ud, const char *mnt, const char *fstype)
{
	struct covering *c = ud;
	size_t n = strlen(mnt);

	if (strcmp(mnt, "/") == 0)
		n = 0;
	else if (strncmp(c->path, mnt, n) != 0 || (c->path[n] != '/' && c->path[n] != '\0'))
		return false;
	if (n >= c->best || c->fstype[0] == '\0') {
		c->best = n;
		snprintf(c->fstype, sizeof(c->fstype), "%s", fstype);
	}
	return false;
}

/* pin_dir must live on bpffs; mount it on /sys/fs/bpf when that is where it goes. */
static int ensure_bpffs(const char *pin_dir, bool may_mount, struct err *err)
{
	struct covering c = { pin_dir, 0, "" };
	int rc = each_mount(covering_cb, &c, err);

	if (rc != 0)
		return rc;
	if (strcmp(c.fstype, "bpf") == 0)
		return 0;
	if (strncmp(pin_dir, BPFFS_ROOT "/", strlen(BPFFS_ROOT) + 1) != 0)
		return err_set(err, ERR_INVALID, "%s is not on a bpf filesystem (mount one, or use a directory under %s)",
			       pin_dir, BPFFS_ROOT);
	if (!may_mount)
		return err_set(err, ERR_NOTFOUND, "no bpf filesystem on %s: nothing is pinned", BPFFS_ROOT);
	if (mount("bpf", BPFFS_ROOT, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") != 0)
		return err_set(err, ERR_IO, "cannot mount bpffs on %s: %s", BPFFS_ROOT, strerror(errno));
	return 0;
}

/* ---- open ---- */

static int obj_get(const char *dir, const char *name, int *fd, struct err *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*fd = bpf_obj_get(path);
	if (*fd >= 0)
		return 0;
	if (errno == ENOENT)
		return err_set(err, ERR_NOTFOUND, "nothing is programmed: %s does not exist (run `gatewarden datapath sync` or `attach`)", path);
	return err_set(err, ERR_IO, "cannot open pinned map %s: %s", path, strerror(errno));
}

static int check_abi(struct datapath *dp, bool may_set, struct err *err)
{
	struct gw_lb_meta meta = { 0 };
	__u32 zero = 0;

	if (bpf_map_lookup_elem(dp->meta_fd, &zero, &meta) != 0)
		return err_set(err, ERR_IO, "cannot read %s/%s: %s", dp->pin_dir, MAP_META, strerror(errno));
	if (meta.abi == GW_LB_ABI)
		return 0;
	if (meta.abi == 0 && may_set) {
		meta.abi = GW_LB_ABI;
		if (bpf_map_update_elem(dp->meta_fd, &zero, &meta, BPF_ANY) != 0)
			return err_set(err, ERR_IO, "cannot write %s/%s: %s", dp->pin_dir, MAP_META, strerror(errno));
		return 0;
	}
	return err_set(err, ERR_INVALID,
		       "the maps pinned in %s have map ABI %u, this gatewarden uses %u: run `gatewarden datapath detach` first",
		       dp->pin_dir, meta.abi, GW_LB_ABI);
}

static int open_existing(struct datapath *dp, struct err *err)
{
	int rc;

	dp->own_fds = true;
	if ((rc = obj_get(dp->pin_dir, MAP_FE, &dp->fe_fd, err)) != 0 ||
	    (rc = obj_get(dp->pin_dir, MAP_REVNAT, &dp->revnat_fd, err)) != 0 ||
	    (rc = obj_get(dp->pin_dir, MAP_STATS, &dp->stats_fd, err)) != 0 ||
	    (rc = obj_get(dp->pin_dir, MAP_SRC, &dp->src_fd, err)) != 0 ||
	    (rc = obj_get(dp->pin_dir, MAP_META, &dp->meta_fd, err)) != 0)
		return rc;
	return check_abi(dp, false, err);
}

static void progs(struct gw_lb_bpf *s, struct bpf_program *all[NPROGS])
{
	all[0] = s->progs.gw_connect4;
	all[1] = s->progs.gw_connect6;
	all[2] = s->progs.gw_sendmsg4;
	all[3] = s->progs.gw_sendmsg6;
	all[4] = s->progs.gw_recvmsg4;
	all[5] = s->progs.gw_recvmsg6;
	all[6] = s->progs.gw_getpeername4;
	all[7] = s->progs.gw_getpeername6;
}

static int open_skeleton(struct datapath *dp, bool with_progs, struct err *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = dp->pin_dir);
	struct bpf_program *all[NPROGS];
	int rc;

	if (mkdir(dp->pin_dir, 0700) != 0 && errno != EEXIST)
		return err_set(err, ERR_IO, "cannot create %s: %s", dp->pin_dir, strerror(errno));
	dp->skel = gw_lb_bpf__open_opts(&opts);
	if (dp->skel == NULL)
		return err_set(err, ERR_IO, "cannot open the BPF object: %s (%s)", strerror(errno), last_libbpf_msg);
	progs(dp->skel, all);
	for (size_t i = 0; i < NPROGS; i++)
		bpf_program__set_autoload(all[i], with_progs);
	rc = gw_lb_bpf__load(dp->skel);
	if (rc != 0) {
		if (strstr(last_libbpf_msg, "reuse") != NULL || strstr(last_libbpf_msg, "pinned") != NULL)
			return err_set(err, ERR_INVALID,
				       "the maps pinned in %s do not match this gatewarden's layout (map ABI %u): %s; "
				       "run `gatewarden datapath detach` first",
				       dp->pin_dir, GW_LB_ABI, last_libbpf_msg);
		return err_set(err, ERR_IO, "cannot load the BPF object: %s (%s)", strerror(-rc), last_libbpf_msg);
	}
	dp->fe_fd = bpf_map__fd(dp->skel->maps.gw_lb_fe);
	dp->revnat_fd = bpf_map__fd(dp->skel->maps.gw_lb_revnat);
	dp->stats_fd = bpf_map__fd(dp->skel->maps.gw_lb_stats);
	dp->src_fd = bpf_map__fd(dp->skel->maps.gw_lb_src);
	dp->meta_fd = bpf_map__fd(dp->skel->maps.gw_lb_meta);
	return check_abi(dp, true, err);
}

int datapath_open(const char *pin_dir, enum datapath_mode mode, struct datapath **ret, struct err *err)
{
	struct datapath *dp;
	int rc;

	*ret = NULL;
	if (pin_dir == NULL)
		pin_dir = DATAPATH_PIN_DIR;
	if (pin_dir[0] != '/' || strlen(pin_dir) >= PATH_MAX - 64)
		return err_set(err, ERR_INVALID, "pin directory %s: an absolute path is needed", pin_dir);
	libbpf_setup();
	rc = ensure_bpffs(pin_dir, mode != DATAPATH_EXISTING, err);
	if (rc != 0)
		return rc;
	dp = calloc(1, sizeof(*dp));
	if (dp == NULL)
		return err_set(err, ERR_NOMEM, "out of memory");
	dp->fe_fd = dp->revnat_fd = dp->stats_fd = dp->src_fd = dp->meta_fd = -1;
	snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", pin_dir);
	/* strip trailing slashes: libbpf joins pin_root_path and the map name */
	for (size_t n = strlen(dp->pin_dir); n > 1 && dp->pin_dir[n - 1] == '/'; n--)
		dp->pin_dir[n - 1] = '\0';
	rc = mode == DATAPATH_EXISTING ? open_existing(dp, err) : open_skeleton(dp, mode == DATAPATH_PROGRAMS, err);
	if (rc != 0) {
		datapath_close(dp);
		return rc;
	}
	*ret = dp;
	return 0;
}

void datapath_close(struct datapath *dp)
{
	if (dp == NULL)
		return;
	if (dp->own_fds) {
		int fds[] = { dp->fe_fd, dp->revnat_fd, dp->stats_fd, dp->src_fd, dp->meta_fd };

		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	gw_lb_bpf__destroy(dp->skel);
	free(dp);
}

/* ---- attach / detach ---- */

static int resolve_cgroup(const char *cgroup, char *out, size_t size, struct err *err)
{
	char mnt[PATH_MAX];
	struct statfs sfs;
	int rc;

	rc = datapath_cgroup2_mount(mnt, sizeof(mnt), err);
	if (rc != 0)
		return rc;
	if (cgroup == NULL)
		cgroup = "";
	/* absolute: taken as is; relative: below the cgroup v2 mount */
	if ((size_t)snprintf(out, size, "%s%s%s", cgroup[0] == '/' ? "" : mnt, cgroup[0] && cgroup[0] != '/' ? "/" : "",
			     cgroup) >= size)
		return err_set(err, ERR_INVALID, "cgroup path too long");
	if (statfs(out, &sfs) != 0)
		return err_set(err, ERR_NOTFOUND, "cgroup %s: %s (the cgroup v2 mount is %s)", out, strerror(errno), mnt);
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return err_set(err, ERR_INVALID, "%s is not a cgroup v2 directory (the cgroup v2 mount is %s)", out, mnt);
	return 0;
}

static const char *prog_pin_name(size_t i)
{
	static const char *const names[NPROGS] = { "connect4", "connect6", "sendmsg4", "sendmsg6",
						   "recvmsg4", "recvmsg6", "getpeername4", "getpeername6" };

	return names[i];
}

int datapath_attach(struct datapath *dp, const char *cgroup, char *resolved, size_t size, struct err *err)
{
	char cg[PATH_MAX], dir[PATH_MAX + 8], path[PATH_MAX + 32];
	struct bpf_program *all[NPROGS];
	struct stat st;
	int cgfd = -1, rc = 0;

	if (dp->skel == NULL || !bpf_program__autoload(dp->skel->progs.gw_connect4))
		return err_set(err, ERR_INTERNAL, "datapath_attach: the programs are not loaded");
	rc = resolve_cgroup(cgroup, cg, sizeof(cg), err);
	if (rc != 0)
		return rc;
	if (resolved != NULL)
		snprintf(resolved, size, "%s", cg);
	cgfd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0 || fstat(cgfd, &st) != 0) {
		rc = err_set(err, ERR_IO, "cannot open cgroup %s: %s", cg, strerror(errno));
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/links", dp->pin_dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = err_set(err, ERR_IO, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	progs(dp->skel, all);
	for (size_t i = 0; i < NPROGS && rc == 0; i++) {
		struct bpf_link *link;

		snprintf(path, sizeof(path), "%s/%s", dir, prog_pin_name(i));
		link = bpf_link__open(path);
		if (link != NULL) {
			struct bpf_link_info info;
			__u32 len = sizeof(info);

			memset(&info, 0, sizeof(info));
			if (bpf_obj_get_info_by_fd(bpf_link__fd(link), &info, &len) != 0) {
				rc = err_set(err, ERR_IO, "cannot inspect pinned link %s: %s", path, strerror(errno));
			} else if (info.type == BPF_LINK_TYPE_CGROUP && info.cgroup.cgroup_id != (__u64)st.st_ino) {
				rc = err_set(err, ERR_INVALID,
					     "already attached to another cgroup (id %llu): run `gatewarden datapath detach` first",
					     (unsigned long long)info.cgroup.cgroup_id);
			} else if (bpf_link__update_program(link, all[i]) != 0) {
				rc = err_set(err, ERR_IO, "cannot replace the program behind %s: %s", path, strerror(errno));
			}
			bpf_link__disconnect(link);
			bpf_link__destroy(link);
			continue;
		}
		link = bpf_program__attach_cgroup(all[i], cgfd);
		if (link == NULL) {
			rc = err_set(err, ERR_IO, "cannot attach %s to %s: %s (%s)", prog_pin_name(i), cg, strerror(errno),
				     last_libbpf_msg);
			break;
		}
		if (bpf_link__pin(link, path) != 0)
			rc = err_set(err, ERR_IO, "cannot pin %s: %s", path, strerror(errno));
		/* the pin keeps it attached; our descriptor goes */
		bpf_link__disconnect(link);
		bpf_link__destroy(link);
	}
out:
	if (cgfd >= 0)
		close(cgfd);
	return rc;
}

static int unpin(const char *path, size_t *removed, struct err *err)
{
	if (unlink(path) == 0) {
		(*removed)++;
		return 0;
	}
	if (errno == ENOENT)
		return 0;
	return err_set(err, ERR_IO, "cannot remove %s: %s", path, strerror(errno));
}

int datapath_detach(const char *pin_dir, size_t *removed, struct err *err)
{
	static const char *const maps[] = { MAP_FE, MAP_REVNAT, MAP_SK, MAP_STATS, MAP_SRC, MAP_META };
	char path[PATH_MAX + 64];
	int rc = 0;

	*removed = 0;
	if (pin_dir == NULL)
		pin_dir = DATAPATH_PIN_DIR;
	if (pin_dir[0] != '/' || strlen(pin_dir) >= PATH_MAX)
		return err_set(err, ERR_INVALID, "pin directory %s: an absolute path is needed", pin_dir);
	{
		struct covering c = { pin_dir, 0, "" };

		if ((rc = each_mount(covering_cb, &c, err)) != 0)
			return rc;
		if (strcmp(c.fstype, "bpf") != 0)
			return 0; /* no bpffs: nothing can be pinned */
	}
	for (size_t i = 0; i < NPROGS && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/links/%s", pin_dir, prog_pin_name(i));
		rc = unpin(path, removed, err);
	}
	snprintf(path, sizeof(path), "%s/links", pin_dir);
	if (rc == 0 && rmdir(path) != 0 && errno != ENOENT)
		rc = err_set(err, ERR_IO, "cannot remove %s: %s", path, strerror(errno));
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]) && rc == 0; i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, maps[i]);
		rc = unpin(path, removed, err);
	}
	if (rc == 0 && rmdir(pin_dir) != 0 && errno != ENOENT)
		rc = err_set(err, ERR_IO, "cannot remove %s: %s", pin_dir, strerror(errno));
	return rc;
}

/* ---- program ---- */

struct fe_new {
	struct gw_lb_key key;
	size_t plan_index;
};

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct gw_lb_key));
}

static void key_of(const struct lbplan_frontend *f, struct gw_lb_key *k)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, f->addr.bytes, f->addr.family == 4 ? 4 : 16);
	k->port = htons(f->port);
	k->proto = f->proto;
	k->family = f->addr.family;
}

static void addr_text(const struct lbplan_addr *a, uint16_t port, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, ip, sizeof(ip));
	snprintf(buf, size, a->family == 6 ? "[%s]:%u" : "%s:%u", ip, (unsigned)port);
}

static void warnf(datapath_warn_fn warn, void *ud, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void warnf(datapath_warn_fn warn, void *ud, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn(ud, msg);
}

/* The table for f, or a reason it cannot be built (returned as ERR_INVALID with msg). */
static int build_table(const struct lbplan_frontend *f, struct gw_lb_table *t, char *msg, size_t size)
{
	uint64_t w[GW_LB_MAX_BACKENDS];
	uint16_t slots[GW_LB_MAX_SLOTS];
	size_t nb = 0;
	uint32_t ns = 0;
	struct err e;

	memset(t, 0, sizeof(*t));
	t->abi = GW_LB_ABI;
	if (f->addr.family != 4 && f->addr.family != 6) {
		snprintf(msg, size, "address family %u", f->addr.family);
		return ERR_INVALID;
	}
	if (f->proto != GW_LB_PROTO_TCP && f->proto != GW_LB_PROTO_UDP) {
		snprintf(msg, size, "protocol %u is neither TCP nor UDP", f->proto);
		return ERR_INVALID;
	}
	for (size_t i = 0; i < f->n_backends; i++) {
		const struct lbplan_backend *b = &f->backends[i];

		if (b->weight == 0)
			continue;
		if (b->addr.family != f->addr.family) {
			snprintf(msg, size, "backend %zu is IPv%u, the frontend IPv%u (a socket cannot change family)", i,
				 b->addr.family, f->addr.family);
			return ERR_INVALID;
		}
		if (nb == GW_LB_MAX_BACKENDS) {
			snprintf(msg, size, "more than %u backends with a weight", GW_LB_MAX_BACKENDS);
			return ERR_INVALID;
		}
		memcpy(t->be[nb].addr, b->addr.bytes, b->addr.family == 4 ? 4 : 16);
		t->be[nb].port = htons(b->port);
		t->be[nb].family = b->addr.family;
		w[nb++] = b->weight;
	}
	err_init(&e);
	if (lbslots_build(w, nb, GW_LB_MAX_SLOTS, slots, NULL, &ns, &e) != 0) {
		snprintf(msg, size, "%.200s", e.msg);
		return ERR_INVALID;
	}
	t->nbackends = (__u16)nb;
	t->nslots = ns;
	for (uint32_t i = 0; i < ns; i++)
		t->slot[i] = (__u8)slots[i];
	return 0;
}

/* 1 when the frontend's current table equals t, 0 when it differs or is absent */
static int same_table(struct datapath *dp, const struct gw_lb_key *k, const struct gw_lb_table *t,
		      struct gw_lb_table *scratch)
{
	__u32 id = 0, zero = 0;
	int fd, same = 0;

	if (bpf_map_lookup_elem(dp->fe_fd, k, &id) != 0)
		return 0;
	fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &zero, scratch) == 0)
		same = memcmp(scratch, t, sizeof(*t)) == 0;
	close(fd);
	return same;
}

static int new_inner(const struct gw_lb_table *t, struct err *err)
{
	__u32 zero = 0;
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "gw_lb_tbl", sizeof(__u32), sizeof(*t), 1, NULL);

	if (fd < 0)
		return err_set(err, ERR_IO, "cannot create a table map: %s", strerror(errno));
	if (bpf_map_update_elem(fd, &zero, t, BPF_ANY) != 0) {
		int e = errno;

		close(fd);
		return err_set(err, ERR_IO, "cannot write a table map: %s", strerror(e));
	}
	return fd;
}

/* All keys of a hash map (key size ksz) into a malloc'd array. */
static int all_keys(int fd, size_t ksz, void **ret, size_t *n, struct err *err)
{
	unsigned char *keys = NULL, *prev = NULL, cur[64];
	size_t cap = 0;

	*n = 0;
	*ret = NULL;
	while (bpf_map_get_next_key(fd, prev, cur) == 0) {
		if (*n == cap) {
			size_t nc = cap ? cap * 2 : 1024;
			unsigned char *nk = realloc(keys, nc * ksz);

			if (nk == NULL) {
				free(keys);
				return err_set(err, ERR_NOMEM, "out of memory");
			}
			keys = nk;
			cap = nc;
		}
		memcpy(keys + *n * ksz, cur, ksz);
		prev = keys + *n * ksz;
		(*n)++;
	}
	if (errno != ENOENT) {
		free(keys);
		return err_set(err, ERR_IO, "cannot walk a map: %s", strerror(errno));
	}
	*ret = keys;
	return 0;
}

/* Delete keys[0..n) from a map in batches; one RCU wait per batch for gw_lb_fe. */
static int delete_keys(int fd, const void *keys, size_t ksz, size_t n, struct err *err)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t done = 0;

	while (done < n) {
		__u32 cnt = (__u32)(n - done > 65536 ? 65536 : n - done);

		if (bpf_map_delete_batch(fd, (const char *)keys + done * ksz, &cnt, &opts) != 0) {
			if (errno != EINVAL && errno != ENOTSUP && errno != EOPNOTSUPP && errno != ENOENT)
				return err_set(err, ERR_IO, "cannot delete map entries: %s", strerror(errno));
			/* no batch support (or a key gone meanwhile): one by one */
			for (size_t i = done; i < n; i++)
				if (bpf_map_delete_elem(fd, (const char *)keys + i * ksz) != 0 && errno != ENOENT)
					return err_set(err, ERR_IO, "cannot delete a map entry: %s", strerror(errno));
			return 0;
		}
		done += cnt;
	}
	return 0;
}

static bool key_in(const struct gw_lb_key *k, const struct gw_lb_key *set, size_t n)
{
	return bsearch(k, set, n, sizeof(*set), cmp_key) != NULL;
}

/* Publish the new tables keys[i] -> fds[i] with one batched update of gw_lb_fe (one
 * RCU wait for the whole batch), then close the descriptors: the map holds them. */
static int publish(struct datapath *dp, struct gw_lb_key *keys, __u32 *fds, size_t *n, struct datapath_result *res,
		   struct err *err)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 cnt = (__u32)*n;
	int rc = 0;

	if (*n == 0)
		return 0;
	if (bpf_map_update_batch(dp->fe_fd, keys, fds, &cnt, &opts) != 0)
		rc = err_set(err, ERR_IO, "cannot publish %zu frontend tables (%u done): %s", *n, cnt, strerror(errno));
	else
		res->changed += *n;
	for (size_t i = 0; i < *n; i++)
		close((int)fds[i]);
	*n = 0;
	return rc;
}

int datapath_program(struct datapath *dp, const struct lbplan *plan, datapath_warn_fn warn, void *ud,
		     struct datapath_result *res, struct err *err)
{
	struct gw_lb_key *keys = NULL, *want = NULL, *cur = NULL;
	struct gw_lb_stat_key *skeys = NULL, *sdel = NULL;
	struct gw_lb_table *t = NULL, *scratch = NULL;
	__u32 *fds = NULL;
	size_t nchanged = 0, nwant = 0, ncur = 0, nskeys = 0, nsdel = 0;
	struct gw_lb_key *del = NULL;
	size_t ndel = 0;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	t = malloc(sizeof(*t));
	scratch = malloc(sizeof(*scratch));
	keys = calloc(PUBLISH_BATCH, sizeof(*keys));
	want = calloc(plan->n_frontends + 1, sizeof(*want));
	fds = calloc(PUBLISH_BATCH, sizeof(*fds));
	if (t == NULL || scratch == NULL || keys == NULL || want == NULL || fds == NULL) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	/* every frontend of the plan stays; the changed ones get a new inner map */
	for (size_t i = 0; i < plan->n_frontends; i++) {
		const struct lbplan_frontend *f = &plan->frontends[i];
		struct gw_lb_src src;
		char where[80], why[256];
		int fd;

		key_of(f, &want[nwant]);
		addr_text(&f->addr, f->port, where, sizeof(where));
		if (nwant > 0 && memcmp(&want[nwant - 1], &want[nwant], sizeof(*want)) == 0) {
			warnf(warn, ud, "frontend %s/%s listed twice: the second (%s) is ignored", where,
			      f->proto == GW_LB_PROTO_UDP ? "udp" : "tcp", f->source ? f->source : "?");
			res->skipped++;
			continue;
		}
		nwant++;
		if (build_table(f, t, why, sizeof(why)) != 0) {
			warnf(warn, ud, "frontend %s/%s (%s) not programmed: %s", where,
			      f->proto == GW_LB_PROTO_UDP ? "udp" : "tcp", f->source ? f->source : "?", why);
			res->skipped++;
			continue;
		}
		memset(&src, 0, sizeof(src));
		snprintf(src.text, sizeof(src.text), "%s", f->source ? f->source : "");
		if (bpf_map_update_elem(dp->src_fd, &want[nwant - 1], &src, BPF_ANY) != 0) {
			rc = err_set(err, ERR_IO, "cannot write %s: %s", MAP_SRC, strerror(errno));
			goto out;
		}
		if (same_table(dp, &want[nwant - 1], t, scratch)) {
			res->unchanged++;
			continue;
		}
		fd = new_inner(t, err);
		if (fd < 0) {
			rc = fd;
			goto out;
		}
		keys[nchanged] = want[nwant - 1];
		fds[nchanged++] = (__u32)fd;
		if (nchanged == PUBLISH_BATCH && (rc = publish(dp, keys, fds, &nchanged, res, err)) != 0)
			goto out;
	}
	if ((rc = publish(dp, keys, fds, &nchanged, res, err)) != 0)
		goto out;
	/* remove what the plan no longer has */
	qsort(want, nwant, sizeof(*want), cmp_key);
	rc = all_keys(dp->fe_fd, sizeof(*cur), (void **)&cur, &ncur, err);
	if (rc != 0)
		goto out;
	del = calloc(ncur + 1, sizeof(*del));
	if (del == NULL) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ncur; i++)
		if (!key_in(&cur[i], want, nwant))
			del[ndel++] = cur[i];
	if (ndel > 0) {
		rc = delete_keys(dp->fe_fd, del, sizeof(*del), ndel, err);
		if (rc == 0)
			rc = delete_keys(dp->src_fd, del, sizeof(*del), ndel, err);
		if (rc != 0)
			goto out;
	}
	res->removed = ndel;
	/* counters of frontends that are gone */
	rc = all_keys(dp->stats_fd, sizeof(*skeys), (void **)&skeys, &nskeys, err);
	if (rc != 0)
		goto out;
	sdel = calloc(nskeys + 1, sizeof(*sdel));
	if (sdel == NULL) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nskeys; i++)
		if (!key_in(&skeys[i].fe, want, nwant))
			sdel[nsdel++] = skeys[i];
	if (nsdel > 0)
		rc = delete_keys(dp->stats_fd, sdel, sizeof(*sdel), nsdel, err);
out:
	for (size_t i = 0; i < nchanged; i++)
		close((int)fds[i]);
	free(t);
	free(scratch);
	free(keys);
	free(want);
	free(fds);
	free(cur);
	free(del);
	free(skeys);
	free(sdel);
	return rc;
}

/* ---- dump ---- */

static int cmp_stat(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct gw_lb_key) + sizeof(struct gw_lb_addr));
}

static void addr_from(const __u8 *bytes, __u8 family, struct lbplan_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(a->bytes, bytes, family == 4 ? 4 : 16);
}

static int cmp_frontend(const void *pa, const void *pb)
{
	const struct datapath_frontend *a = pa, *b = pb;
	int c;

	if (a->addr.family != b->addr.family)
		return a->addr.family < b->addr.family ? -1 : 1;
	c = memcmp(a->addr.bytes, b->addr.bytes, sizeof(a->addr.bytes));
	if (c != 0)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return (int)a->proto - (int)b->proto;
}

struct stat_entry {
	struct gw_lb_stat_key k;
	__u64 conns;
};

static int fill_frontend(struct datapath *dp, const struct gw_lb_key *k, struct datapath_frontend *f,
			 struct gw_lb_table *t, const struct stat_entry *st, size_t nst)
{
	struct gw_lb_src src;
	size_t lo = 0, hi = nst, first, nextra = 0;
	__u32 id = 0, zero = 0;
	int fd;

	memset(f, 0, sizeof(*f));
	addr_from(k->addr, k->family, &f->addr);
	f->port = ntohs(k->port);
	f->proto = k->proto;
	memset(t, 0, sizeof(*t));
	if (bpf_map_lookup_elem(dp->fe_fd, k, &id) == 0 && (fd = bpf_map_get_fd_by_id(id)) >= 0) {
		if (bpf_map_lookup_elem(fd, &zero, t) != 0)
			memset(t, 0, sizeof(*t));
		close(fd);
	}
	if (t->nbackends > GW_LB_MAX_BACKENDS || t->nslots > GW_LB_MAX_SLOTS)
		memset(t, 0, sizeof(*t));
	if (bpf_map_lookup_elem(dp->src_fd, k, &src) == 0) {
		src.text[sizeof(src.text) - 1] = '\0';
		snprintf(f->source, sizeof(f->source), "%s", src.text);
	}
	f->nslots = t->nslots;
	/* the counters of this frontend: a contiguous run of the sorted entries */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(&st[mid].k.fe, k, sizeof(*k)) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	while (lo < nst && memcmp(&st[lo].k.fe, k, sizeof(*k)) == 0)
		lo++;
	f->backends = calloc((size_t)t->nbackends + (lo - first) + 1, sizeof(*f->backends));
	if (f->backends == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < t->nbackends; i++) {
		struct datapath_backend *b = &f->backends[i];

		addr_from(t->be[i].addr, t->be[i].family, &b->addr);
		b->port = ntohs(t->be[i].port);
	}
	for (uint32_t s = 0; s < t->nslots; s++)
		if (t->slot[s] < t->nbackends)
			f->backends[t->slot[s]].slots++;
	for (size_t j = first; j < lo; j++) {
		const struct gw_lb_addr *be = &st[j].k.be;
		size_t i;

		for (i = 0; i < t->nbackends; i++)
			if (memcmp(t->be[i].addr, be->addr, 16) == 0 && t->be[i].port == be->port &&
			    t->be[i].family == be->family)
				break;
		if (i == t->nbackends) {
			i = t->nbackends + nextra++;
			addr_from(be->addr, be->family, &f->backends[i].addr);
			f->backends[i].port = ntohs(be->port);
		}
		f->backends[i].conns += st[j].conns;
		f->conns += st[j].conns;
	}
	f->n_backends = t->nbackends + nextra;
	return 0;
}

int datapath_dump(struct datapath *dp, struct datapath_dump *ret, struct err *err)
{
	struct gw_lb_key *keys = NULL;
	struct gw_lb_stat_key *skeys = NULL;
	struct stat_entry *st = NULL;
	struct gw_lb_table *t = NULL;
	size_t nkeys = 0, nskeys = 0, nst = 0;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = all_keys(dp->fe_fd, sizeof(*keys), (void **)&keys, &nkeys, err);
	if (rc == 0)
		rc = all_keys(dp->stats_fd, sizeof(*skeys), (void **)&skeys, &nskeys, err);
	if (rc != 0)
		goto out;
	st = calloc(nskeys + 1, sizeof(*st));
	t = malloc(sizeof(*t));
	ret->frontends = calloc(nkeys + 1, sizeof(*ret->frontends));
	if (st == NULL || t == NULL || ret->frontends == NULL) {
		rc = err_set(err, ERR_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nskeys; i++) {
		__u64 v = 0;

		if (bpf_map_lookup_elem(dp->stats_fd, &skeys[i], &v) != 0)
			continue;
		st[nst].k = skeys[i];
		st[nst++].conns = v;
	}
	qsort(st, nst, sizeof(*st), cmp_stat);
	for (size_t i = 0; i < nkeys; i++) {
		if (fill_frontend(dp, &keys[i], &ret->frontends[ret->n_frontends], t, st, nst) != 0) {
			rc = err_set(err, ERR_NOMEM, "out of memory");
			goto out;
		}
		ret->n_frontends++;
	}
	qsort(ret->frontends, ret->n_frontends, sizeof(*ret->frontends), cmp_frontend);
out:
	if (rc != 0)
		datapath_dump_free(ret);
	free(keys);
	free(skeys);
	free(st);
	free(t);
	return rc;
}

void datapath_dump_free(struct datapath_dump *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n_frontends; i++)
		free(d->frontends[i].backends);
	free(d->frontends);
	memset(d, 0, sizeof(*d));
}

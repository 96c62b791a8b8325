// SPDX-License-Identifier: GPL-2.0-only
/*
 * gw_lb.bpf.c: socket-level weighted load balancing on a cgroup v2 directory.
 *
 * connect4/6 (TCP and connected UDP) and sendmsg4/6 (unconnected UDP) look the
 * destination up in gw_lb_fe (address, port, protocol); on a hit they pick a slot
 * of that frontend's table (random for TCP, a hash of the socket cookie for UDP so
 * one socket's datagrams stay on one backend), rewrite the destination to the
 * backend, remember backend -> frontend (in the socket's gw_lb_sk storage after
 * connect, in gw_lb_revnat keyed by socket cookie + backend after an unconnected
 * sendmsg) and count the connection. getpeername4/6 and recvmsg4/6 undo the
 * rewrite for the application.
 * An IPv4-mapped IPv6 destination on an IPv6 socket is treated as IPv4.
 * Returning 1 lets the call proceed; 0 fails it with EPERM, which only happens for
 * a frontend that has no backend (its route resolves to no endpoint).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "gw_lb.h"

char LICENSE[] SEC("license") = "GPL";

/* clang 14 emits struct gw_lb_table only as a forward declaration when the inner
 * map template is its first user; this unpinned map, declared before it, gives
 * the BTF a full definition. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gw_lb_table);
} gw_lb_tmpl SEC(".maps");

struct gw_lb_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gw_lb_table);
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, GW_LB_MAX_FRONTENDS);
	__type(key, struct gw_lb_key);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct gw_lb_inner);
} gw_lb_fe SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct gw_lb_sk);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gw_lb_sk SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GW_LB_MAX_REVNAT);
	__type(key, struct gw_lb_revnat_key);
	__type(value, struct gw_lb_addr);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gw_lb_revnat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GW_LB_MAX_STATS);
	__type(key, struct gw_lb_stat_key);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gw_lb_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GW_LB_MAX_FRONTENDS);
	__type(key, struct gw_lb_key);
	__type(value, struct gw_lb_src);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gw_lb_src SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct gw_lb_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} gw_lb_meta SEC(".maps");

/* murmur3's 64-bit finaliser: socket cookies are sequential. */
static __always_inline __u32 mix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (__u32)x;
}

/* The backend for key, or NULL; *known tells whether key is a frontend at all. */
static __always_inline const struct gw_lb_addr *pick(const struct gw_lb_key *key, __u32 rnd, bool *known)
{
	struct gw_lb_table *t;
	__u32 zero = 0, n, idx, b;
	void *inner;

	*known = false;
	inner = bpf_map_lookup_elem(&gw_lb_fe, key);
	if (!inner)
		return NULL;
	*known = true;
	t = bpf_map_lookup_elem(inner, &zero);
	if (!t)
		return NULL;
	n = t->nslots;
	if (n == 0 || n > GW_LB_MAX_SLOTS)
		return NULL;
	/* The masks are no-ops for valid tables (n <= GW_LB_MAX_SLOTS, slot values <
	 * nbackends <= GW_LB_MAX_BACKENDS, both powers of two) but give the verifier
	 * bounds; the empty asm hides what clang knows, so it keeps the masks. */
	idx = rnd % n;
	asm volatile("" : "+r"(idx));
	idx &= GW_LB_MAX_SLOTS - 1;
	b = t->slot[idx];
	if (b >= t->nbackends)
		return NULL;
	asm volatile("" : "+r"(b));
	b &= GW_LB_MAX_BACKENDS - 1;
	return &t->be[b];
}

static __always_inline void count(const struct gw_lb_key *fe, const struct gw_lb_addr *be)
{
	struct gw_lb_stat_key k;
	__u64 one = 1, *v;

	__builtin_memset(&k, 0, sizeof(k));
	__builtin_memcpy(&k.fe, fe, sizeof(k.fe));
	__builtin_memcpy(&k.be, be, sizeof(k.be));
	v = bpf_map_lookup_elem(&gw_lb_stats, &k);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	if (bpf_map_update_elem(&gw_lb_stats, &k, &one, BPF_NOEXIST) == 0)
		return;
	v = bpf_map_lookup_elem(&gw_lb_stats, &k);
	if (v)
		__sync_fetch_and_add(v, 1);
}

/* Records cookie + backend -> frontend. Returns true when the pair is new. */
static __always_inline bool remember(__u64 cookie, const struct gw_lb_addr *be, const struct gw_lb_key *fe)
{
	struct gw_lb_revnat_key rk;
	struct gw_lb_addr front;

	__builtin_memset(&rk, 0, sizeof(rk));
	rk.cookie = cookie;
	__builtin_memcpy(&rk.be, be, sizeof(rk.be));
	__builtin_memset(&front, 0, sizeof(front));
	__builtin_memcpy(front.addr, fe->addr, sizeof(front.addr));
	front.port = fe->port;
	front.family = fe->family;
	if (bpf_map_update_elem(&gw_lb_revnat, &rk, &front, BPF_NOEXIST) == 0)
		return true;
	bpf_map_update_elem(&gw_lb_revnat, &rk, &front, BPF_ANY);
	return false;
}

/* Reads the destination of ctx into key; an IPv4-mapped IPv6 address becomes IPv4.
 * Returns false for protocols other than TCP and UDP. */
static __always_inline bool dest_key(struct bpf_sock_addr *ctx, bool v6, struct gw_lb_key *key, bool *mapped)
{
	__u32 proto = ctx->protocol;

	__builtin_memset(key, 0, sizeof(*key));
	*mapped = false;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return false;
	key->proto = (__u8)proto;
	key->port = (__u16)ctx->user_port;
	if (!v6) {
		__u32 a = ctx->user_ip4;

		__builtin_memcpy(key->addr, &a, 4);
		key->family = 4;
		return true;
	}
	{
		__u32 a0 = ctx->user_ip6[0], a1 = ctx->user_ip6[1], a2 = ctx->user_ip6[2], a3 = ctx->user_ip6[3];

		if (a0 == 0 && a1 == 0 && a2 == bpf_htonl(0xffff)) {
			__builtin_memcpy(key->addr, &a3, 4);
			key->family = 4;
			*mapped = true;
			return true;
		}
		__builtin_memcpy(key->addr, &a0, 4);
		__builtin_memcpy(key->addr + 4, &a1, 4);
		__builtin_memcpy(key->addr + 8, &a2, 4);
		__builtin_memcpy(key->addr + 12, &a3, 4);
		key->family = 6;
	}
	return true;
}

static __always_inline void write_dest(struct bpf_sock_addr *ctx, bool v6, bool mapped, const struct gw_lb_addr *a)
{
	__u32 w[4];

	__builtin_memcpy(w, a->addr, 16);
	if (!v6) {
		ctx->user_ip4 = w[0];
	} else if (mapped) {
		ctx->user_ip6[3] = w[0];
	} else {
		ctx->user_ip6[0] = w[0];
		ctx->user_ip6[1] = w[1];
		ctx->user_ip6[2] = w[2];
		ctx->user_ip6[3] = w[3];
	}
	ctx->user_port = a->port;
}

/* connect (is_send false) and sendmsg (true) */
static __always_inline int forward(struct bpf_sock_addr *ctx, bool v6, bool is_send)
{
	const struct gw_lb_addr *be;
	struct gw_lb_addr copy;
	struct gw_lb_key key;
	bool mapped, known;
	__u64 cookie;
	__u32 rnd;

	if (!dest_key(ctx, v6, &key, &mapped))
		return 1;
	cookie = bpf_get_socket_cookie(ctx);
	rnd = key.proto == IPPROTO_UDP ? mix64(cookie) : bpf_get_prandom_u32();
	be = pick(&key, rnd, &known);
	/* a frontend without a usable backend refuses the call (EPERM) rather than
	 * letting it reach the frontend address itself */
	if (!be)
		return known ? 0 : 1;
	if (be->family != key.family)
		return 0;
	__builtin_memcpy(&copy, be, sizeof(copy));
	copy.pad = 0;
	if (is_send) {
		/* unconnected UDP: one socket may talk to several frontends */
		if (remember(cookie, &copy, &key))
			count(&key, &copy);
	} else {
		/* connect: one peer per socket, kept with the socket itself */
		struct gw_lb_sk *st = bpf_sk_storage_get(&gw_lb_sk, ctx->sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);

		if (st) {
			__builtin_memcpy(&st->be, &copy, sizeof(st->be));
			__builtin_memset(&st->front, 0, sizeof(st->front));
			__builtin_memcpy(st->front.addr, key.addr, sizeof(st->front.addr));
			st->front.port = key.port;
			st->front.family = key.family;
		} else {
			remember(cookie, &copy, &key);
		}
		count(&key, &copy);
	}
	write_dest(ctx, v6, mapped, &copy);
	return 1;
}

static __always_inline bool same_addr(const __u8 *a, const __u8 *b)
{
	__u32 x[4], y[4];

	/* no memcmp in BPF: compare as four words */
	__builtin_memcpy(x, a, 16);
	__builtin_memcpy(y, b, 16);
	return ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0;
}

/* getpeername and recvmsg: the peer is a backend this socket was sent to */
static __always_inline int reverse(struct bpf_sock_addr *ctx, bool v6)
{
	struct gw_lb_revnat_key rk;
	struct gw_lb_addr *front;
	struct gw_lb_key peer;
	struct gw_lb_sk *st;
	bool mapped;

	if (!dest_key(ctx, v6, &peer, &mapped))
		return 1;
	st = bpf_sk_storage_get(&gw_lb_sk, ctx->sk, NULL, 0);
	if (st && st->be.port == peer.port && st->be.family == peer.family && same_addr(st->be.addr, peer.addr)) {
		write_dest(ctx, v6, mapped, &st->front);
		return 1;
	}
	__builtin_memset(&rk, 0, sizeof(rk));
	rk.cookie = bpf_get_socket_cookie(ctx);
	__builtin_memcpy(rk.be.addr, peer.addr, sizeof(rk.be.addr));
	rk.be.port = peer.port;
	rk.be.family = peer.family;
	front = bpf_map_lookup_elem(&gw_lb_revnat, &rk);
	if (!front || front->family != peer.family)
		return 1;
	write_dest(ctx, v6, mapped, front);
	return 1;
}

SEC("cgroup/connect4")
int gw_connect4(struct bpf_sock_addr *ctx)
{
	return forward(ctx, false, false);
}

SEC("cgroup/connect6")
int gw_connect6(struct bpf_sock_addr *ctx)
{
	return forward(ctx, true, false);
}

SEC("cgroup/sendmsg4")
int gw_sendmsg4(struct bpf_sock_addr *ctx)
{
	return forward(ctx, false, true);
}

SEC("cgroup/sendmsg6")
int gw_sendmsg6(struct bpf_sock_addr *ctx)
{
	return forward(ctx, true, true);
}

SEC("cgroup/recvmsg4")
int gw_recvmsg4(struct bpf_sock_addr *ctx)
{
	return reverse(ctx, false);
}

SEC("cgroup/recvmsg6")
int gw_recvmsg6(struct bpf_sock_addr *ctx)
{
	return reverse(ctx, true);
}

SEC("cgroup/getpeername4")
int gw_getpeername4(struct bpf_sock_addr *ctx)
{
	return reverse(ctx, false);
}

SEC("cgroup/getpeername6")
int gw_getpeername6(struct bpf_sock_addr *ctx)
{
	return reverse(ctx, true);
}

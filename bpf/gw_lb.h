/*
 * gw_lb.h: the map layouts shared by the eBPF programs (gw_lb.bpf.c) and user
 * space (reconciler/datapath.c). This is an ABI: the maps are pinned in bpffs and
 * outlive the process that wrote them, so a binary must never reinterpret maps
 * written by another layout. Any change to a struct, a size or a map below bumps
 * GW_LB_ABI; datapath.c refuses to adopt pinned maps whose gw_lb_meta says
 * otherwise (detach, then attach again).
 *
 * Maps (pinned by name under the pin directory, /sys/fs/bpf/gatewarden by default):
 *   gw_lb_fe      HASH_OF_MAPS  struct gw_lb_key -> inner ARRAY[1] of struct gw_lb_table
 *                 One entry per frontend; the whole table (backends and slots) is
 *                 replaced by swapping the inner map, never edited in place.
 *   gw_lb_sk      SK_STORAGE    struct gw_lb_sk per socket: the backend a connect()
 *                 chose and its frontend, for getpeername and recvmsg on connected
 *                 sockets (freed with the socket).
 *   gw_lb_revnat  LRU_HASH      struct gw_lb_revnat_key -> struct gw_lb_addr
 *                 socket cookie + backend -> frontend, for unconnected UDP (one
 *                 socket may send to several frontends).
 *   gw_lb_stats   LRU_HASH      struct gw_lb_stat_key -> __u64 connections
 *   gw_lb_src     HASH          struct gw_lb_key -> struct gw_lb_src (user space only:
 *                 where the frontend comes from, for `datapath list`)
 *   gw_lb_meta    ARRAY[1]      struct gw_lb_meta (ABI version)
 *
 * All addresses are in network byte order; IPv4 uses addr[0..3] and zeroes the rest.
 * Ports are network byte order.
 */
#ifndef BPF_GW_LB_H
#define BPF_GW_LB_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define GW_LB_ABI 1u

#define GW_LB_MAX_FRONTENDS 65536u
#define GW_LB_MAX_BACKENDS 128u   /* per frontend (slot entries are __u8); a power of 2 */
#define GW_LB_MAX_SLOTS 1024u     /* per frontend; a power of 2 */
#define GW_LB_MAX_REVNAT 262144u
#define GW_LB_MAX_STATS 262144u
#define GW_LB_SRC_LEN 224u

#define GW_LB_PROTO_TCP 6
#define GW_LB_PROTO_UDP 17

struct gw_lb_addr {
	__u8 addr[16];
	__u16 port;     /* network order */
	__u8 family;    /* 4 or 6 */
	__u8 pad;
};

struct gw_lb_key {
	__u8 addr[16];
	__u16 port;     /* network order */
	__u8 proto;     /* GW_LB_PROTO_* */
	__u8 family;    /* 4 or 6 */
};

struct gw_lb_table {
	__u32 nslots;        /* 1..GW_LB_MAX_SLOTS; 0 = no backend, traffic is left alone */
	__u16 nbackends;     /* <= GW_LB_MAX_BACKENDS */
	__u16 abi;           /* GW_LB_ABI */
	struct gw_lb_addr be[GW_LB_MAX_BACKENDS];
	__u8 slot[GW_LB_MAX_SLOTS];  /* index into be[]; interleaved by weight */
};

struct gw_lb_revnat_key {
	__u64 cookie;        /* bpf_get_socket_cookie */
	struct gw_lb_addr be;
	__u32 pad;
};

struct gw_lb_sk {
	struct gw_lb_addr be;
	struct gw_lb_addr front;
};

struct gw_lb_stat_key {
	struct gw_lb_key fe;
	struct gw_lb_addr be;
};

struct gw_lb_src {
	char text[GW_LB_SRC_LEN];
};

struct gw_lb_meta {
	__u32 abi;
	__u32 pad;
};

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Control protocol between the simulator daemon and its client library.
 * SOCK_SEQPACKET, one request and one reply per message; file descriptors
 * travel as SCM_RIGHTS. Requests are synchronous: a client sends one request
 * and waits for its reply, so the daemon never queues output for a client.
 */
#ifndef XENSIM_PROTO_H
#define XENSIM_PROTO_H

#include <stdint.h>

#define SIM_MSG_MAX		8192u	/* whole message, header included */
#define SIM_MAP_MAX		1024u	/* pages per grant or map request */
#define SIM_FDS_MAX		253u	/* distinct fds in one map reply (SCM_MAX_FD) */
#define SIM_PORTS_MAX		1024u	/* event channel ports per domain (1..1023) */
#define SIM_GRANTS_MAX		65536u	/* grant refs per domain */
#define SIM_MEMORIES_MAX	1024u	/* grant allocations per domain (each holds fds) */
#define SIM_GREF_FIRST		8u	/* Xen reserves refs 0..7 */
#define SIM_DOMID_MAX		0x7fefu	/* DOMID_FIRST_RESERVED - 1 */
#define SIM_MAPPED_MAX		65536u	/* pages mapped at once per client */

enum sim_op {
	SIM_OP_HELLO = 1,		/* u32 domid */
	SIM_OP_DOMAIN_CREATE,		/* u32 domid, name (NUL-terminated) */
	SIM_OP_DOMAIN_DESTROY,		/* u32 domid */
	SIM_OP_GRANT,			/* u32 to, u32 n_pages, u32 readonly + memfd; reply u32 refs[n] */
	SIM_OP_GRANT_END,		/* u32 ref */
	SIM_OP_MAP,			/* u32 domid, u32 count, u32 writable, u32 refs[count];
					 * reply u32 n_fds, {u32 fd_index, u32 page}[count] + fds */
	SIM_OP_EVTCHN_ALLOC,		/* u32 remote_domid; reply u32 port + 2 fds (recv, send) */
	SIM_OP_EVTCHN_BIND,		/* u32 remote_domid, u32 remote_port; reply u32 port + 2 fds */
	SIM_OP_EVTCHN_CLOSE,		/* u32 port */
	SIM_OP_UNMAP,			/* the u32 domid, u32 count, u32 refs[count] of one
					 * earlier SIM_OP_MAP of this client */
};

struct sim_req {
	uint32_t op;
	uint32_t len;			/* payload bytes after the header */
};

struct sim_reply {
	int32_t status;			/* 0 or -errno */
	uint32_t len;
};

#endif

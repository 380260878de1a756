/* SPDX-License-Identifier: MIT */
/*
 * Shared state of the xen-sim daemon: one epoll loop, the xenstore tree,
 * the domains with their grant tables and event channels.
 */
#ifndef XENSIM_SIM_H
#define XENSIM_SIM_H

#include <limits.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "xs-tree.h"

struct sim;

/* Something registered in the epoll loop. */
struct sim_io {
	int fd;
	void (*on_event)(struct sim *sim, struct sim_io *io, uint32_t events);
};

struct sim_grant {
	bool in_use;
	bool readonly;
	uint32_t to;			/* grantee domain */
	struct sim_memory *mem;
	uint32_t page;			/* page index inside mem */
	uint32_t maps;			/* live mappings by grantee clients (blocks ending it) */
};

/* One memfd given by a guest client, shared by the grants of its pages. */
struct sim_memory {
	int fd_rw, fd_ro;
	uint32_t n_pages;
	uint32_t refs;			/* grants still pointing here */
};

struct sim_port {
	enum { PORT_FREE, PORT_UNBOUND, PORT_INTERDOMAIN } state;
	struct sim_client *owner;	/* control client that allocated it */
	uint32_t remote_domid;
	uint32_t remote_port;		/* PORT_INTERDOMAIN */
	int recv_fd;			/* eventfd this end reads */
	int peer_fd;			/* eventfd the other end reads (this end writes) */
};

struct sim_domain {
	struct sim_domain *next;
	uint32_t domid;
	char name[64];
	struct sim_io xs_listen;	/* DIR/xenstored(.dN) */
	struct sim_grant *grants;	/* indexed by ref */
	uint32_t n_grants;		/* allocated slots */
	uint32_t grants_used;
	uint32_t n_memories;		/* live grant allocations (2 fds each) */
	struct sim_port ports[1024];	/* SIM_PORTS_MAX, port 0 unused */
};

struct sim {
	int epfd;
	char dir[PATH_MAX / 2];
	int log_level;
	bool quit;
	struct xs_tree tree;
	struct sim_domain *domains;
	struct sim_domain *dead_domains;	/* freed after the epoll batch */
	struct xs_conn *xs_conns;
	struct sim_client *clients;
	struct sim_io control;
	struct sim_io signals;
};

void sim_log(struct sim *sim, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int sim_io_add(struct sim *sim, struct sim_io *io, uint32_t events);
int sim_io_mod(struct sim *sim, struct sim_io *io, uint32_t events);
void sim_io_del(struct sim *sim, struct sim_io *io);
/* Creates a listening unix socket DIR/name of the given type. */
int sim_listen(struct sim *sim, const char *name, int type);

struct sim_domain *sim_domain_find(struct sim *sim, uint32_t domid);
/* Toolstack operations, shared by the control protocol and XS_INTRODUCE/XS_RELEASE. */
int sim_domain_create(struct sim *sim, uint32_t domid, const char *name);
int sim_domain_destroy(struct sim *sim, uint32_t domid);
void sim_domain_reap(struct sim *sim);

/* xs-server.c */
int xs_server_init(struct sim *sim);
void xs_server_fini(struct sim *sim);
int xs_server_domain_listen(struct sim *sim, struct sim_domain *d);
void xs_server_domain_gone(struct sim *sim, struct sim_domain *d);
void xs_server_reap(struct sim *sim);
void xs_server_fire_special(struct sim *sim, const char *name);

/* control.c */
int control_init(struct sim *sim);
void control_fini(struct sim *sim);
void control_domain_gone(struct sim *sim, uint32_t domid);
void control_reap(struct sim *sim);

/* grant.c */
int grant_add(struct sim *sim, struct sim_domain *d, uint32_t to, int memfd, uint32_t n_pages,
		bool readonly, uint32_t *refs);
/* -ENOENT if not granted, -EBUSY while mapped (as Xen refuses it then). */
int grant_end(struct sim_domain *d, uint32_t ref);
void grant_end_all(struct sim_domain *d);
/* The grant `ref` if domain `by` may map it, else NULL with the reason in why. */
struct sim_grant *grant_lookup(struct sim_domain *d, uint32_t ref, uint32_t by, bool writable,
		char *why, size_t why_size);

/* evtchn.c */
int evtchn_alloc(struct sim *sim, struct sim_domain *d, struct sim_client *c, uint32_t remote,
		int *recv_fd, int *send_fd);
int evtchn_bind(struct sim *sim, struct sim_domain *d, struct sim_client *c, uint32_t remote,
		uint32_t remote_port, int *recv_fd, int *send_fd);
int evtchn_close(struct sim *sim, struct sim_domain *d, uint32_t port, struct sim_client *c);
void evtchn_close_client(struct sim *sim, struct sim_domain *d, struct sim_client *c);
void evtchn_close_all(struct sim *sim, struct sim_domain *d);

#endif

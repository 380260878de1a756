/* SPDX-License-Identifier: MIT */
/*
 * xenstored wire protocol (xen/io/xs_wire.h) on unix sockets, enough for the
 * real libxenstore and xenstore-utils: one listening socket per domain so
 * the domain of a connection is known from the socket it came in on.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <xen/io/xs_wire.h>

#include "sim.h"
#include "sim-proto.h"

#define XS_CONNS_MAX		256u
#define XS_DOMU_CONNS_MAX	8u	/* a guest has one ring on Xen; allow a few */
#define XS_TX_TOTAL_MAX		64u	/* each transaction holds a copy of the tree */
#define XS_WATCHES_MAX		128u	/* per connection */
#define XS_TX_MAX		10u	/* open transactions per connection */
#define XS_TX_ACCESS_MAX	4096u	/* nodes touched by one transaction */
#define XS_OUT_MAX_BYTES	(1u << 20)	/* queued output before we drop a connection */
#define XS_MSGS_PER_WAKEUP	16u
#define XS_DOMAIN_NODES_MAX	1000u	/* xenstored's default entry quota */
#define XS_DOMAIN_VALUE_MAX	2048u	/* xenstored's default entry size quota */

struct xs_watch {
	struct xs_watch *next;
	char *path;			/* absolute, or "@..." */
	char *token;
	bool relative;			/* report paths relative to the domain's home */
};

struct xs_access {
	char *path;
	enum { ACC_READ, ACC_WRITE, ACC_RM } kind;
};

struct xs_tx {
	struct xs_tx *next;
	uint32_t id;
	uint64_t start_gen;
	struct xs_tree tree;
	struct xs_access *acc;
	uint32_t n_acc;
	bool overflow;
};

struct xs_out {
	struct xs_out *next;
	size_t len, off;
	char data[];
};

struct xs_conn {
	struct xs_conn *next;
	struct sim_io io;
	uint32_t domid;
	bool dead;
	unsigned char in[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX + 1];
	size_t in_len;
	struct xs_out *out_head, *out_tail;
	size_t out_bytes;
	struct xs_watch *watches;
	uint32_t n_watches;
	struct xs_tx *txs;
	uint32_t n_txs;
	uint32_t next_tx_id;
};

/* Request context while one message is handled. */
struct req {
	struct sim *sim;
	struct xs_conn *conn;
	struct xsd_sockmsg hdr;
	char *body;			/* NUL-terminated copy */
	uint32_t len;
	struct xs_tree *tree;		/* main tree or the transaction's */
	struct xs_tx *tx;
};

static const char *errno_name(int e)
{
	for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == e)
			return xsd_errors[i].errstring;
	return "EIO";
}

static void conn_kill(struct sim *sim, struct xs_conn *c, const char *why)
{
	if (c->dead)
		return;
	sim_log(sim, why ? 2 : 3, "xenstore: dom%u connection closed%s%s", c->domid,
			why ? ": " : "", why ? why : "");
	c->dead = true;
	sim_io_del(sim, &c->io);
	close(c->io.fd);
	c->io.fd = -1;
}

static void conn_flush(struct sim *sim, struct xs_conn *c)
{
	while (c->out_head != NULL) {
		struct xs_out *o = c->out_head;
		ssize_t n = send(c->io.fd, o->data + o->off, o->len - o->off,
				MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_kill(sim, c, NULL);
			return;
		}
		o->off += (size_t)n;
		c->out_bytes -= (size_t)n;
		if (o->off < o->len)
			break;
		c->out_head = o->next;
		if (c->out_head == NULL)
			c->out_tail = NULL;
		free(o);
	}
	sim_io_mod(sim, &c->io, EPOLLIN | (c->out_head ? EPOLLOUT : 0));
}

static void conn_send(struct sim *sim, struct xs_conn *c, uint32_t type, uint32_t req_id,
		uint32_t tx_id, const void *data, size_t len)
{
	struct xsd_sockmsg hdr = { type, req_id, tx_id, (uint32_t)len };
	struct xs_out *o;

	if (c->dead)
		return;
	if (c->out_bytes + sizeof(hdr) + len > XS_OUT_MAX_BYTES) {
		conn_kill(sim, c, "not reading its replies and events");
		return;
	}
	o = malloc(sizeof(*o) + sizeof(hdr) + len);
	if (o == NULL) {
		conn_kill(sim, c, "out of memory");
		return;
	}
	o->next = NULL;
	o->off = 0;
	o->len = sizeof(hdr) + len;
	memcpy(o->data, &hdr, sizeof(hdr));
	if (len > 0)
		memcpy(o->data + sizeof(hdr), data, len);
	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	c->out_bytes += o->len;
	conn_flush(sim, c);
}

static void reply(struct req *r, const void *data, size_t len)
{
	conn_send(r->sim, r->conn, r->hdr.type, r->hdr.req_id, r->hdr.tx_id, data, len);
}

static void reply_str(struct req *r, const char *s)
{
	reply(r, s, strlen(s) + 1);
}

static void reply_ok(struct req *r)
{
	reply_str(r, "OK");
}

static void reply_err(struct req *r, int e)
{
	const char *s = errno_name(e);
	conn_send(r->sim, r->conn, XS_ERROR, r->hdr.req_id, r->hdr.tx_id, s, strlen(s) + 1);
}

/* ---- paths ---- */

static bool path_is_child(const char *child, const char *parent)
{
	size_t len = strlen(parent);
	if (strcmp(parent, "/") == 0)
		return child[0] == '/';
	return strncmp(child, parent, len) == 0 && (child[len] == '\0' || child[len] == '/');
}

/* Canonical absolute path of a request path; -EINVAL if malformed. */
static int canonicalize(uint32_t domid, const char *in, char *out, size_t size)
{
	size_t len = strlen(in);
	int n;

	if (len == 0)
		return -EINVAL;
	if (in[0] == '/') {
		if (len > XENSTORE_ABS_PATH_MAX)
			return -EINVAL;
		n = snprintf(out, size, "%s", in);
	} else {
		if (len > XENSTORE_REL_PATH_MAX)
			return -EINVAL;
		n = snprintf(out, size, "/local/domain/%u/%s", domid, in);
	}
	if (n < 0 || (size_t)n >= size)
		return -EINVAL;
	for (const char *p = out; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("-/_@", *p)))
			return -EINVAL;
		if (p[0] == '/' && p[1] == '/')
			return -EINVAL;
	}
	if (n > 1 && out[n - 1] == '/')
		return -EINVAL;
	return 0;
}

/* Splits the body into NUL-terminated strings; returns how many (<= max). */
static int split(char *body, uint32_t len, char **out, int max)
{
	int n = 0;
	uint32_t start = 0;
	for (uint32_t i = 0; i < len && n < max; i++) {
		if (body[i] == '\0') {
			out[n++] = body + start;
			start = i + 1;
		}
	}
	return n;
}

/* ---- watches ---- */

static void watch_event(struct sim *sim, struct xs_conn *c, struct xs_watch *w, const char *path)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	char home[32];
	size_t hl, pl, tl;

	if (w->relative && path[0] == '/') {
		hl = (size_t)snprintf(home, sizeof(home), "/local/domain/%u/", c->domid);
		if (strncmp(path, home, hl) == 0)
			path += hl;
	}
	pl = strlen(path);
	tl = strlen(w->token);
	if (pl + tl + 2 > sizeof(buf))
		return;
	memcpy(buf, path, pl + 1);
	memcpy(buf + pl + 1, w->token, tl + 1);
	conn_send(sim, c, XS_WATCH_EVENT, 0, 0, buf, pl + tl + 2);
}

/*
 * Fires the watches a change of abs_path triggers: watches on the path and
 * its ancestors and, for a removal, on its descendants too. Only connections
 * that can read `perm_node` are told, as in xenstored.
 */
static void fire(struct sim *sim, const char *abs_path, const struct xs_node *perm_node,
		bool removal)
{
	for (struct xs_conn *c = sim->xs_conns; c; c = c->next) {
		if (c->dead)
			continue;
		if (perm_node && !(xs_node_perm(perm_node, c->domid) & XS_PERM_READ))
			continue;
		for (struct xs_watch *w = c->watches; w; w = w->next) {
			if (w->path[0] == '@')
				continue;
			if (path_is_child(abs_path, w->path))
				watch_event(sim, c, w, abs_path);
			else if (removal && path_is_child(w->path, abs_path))
				watch_event(sim, c, w, w->path);
		}
	}
}

void xs_server_fire_special(struct sim *sim, const char *name)
{
	for (struct xs_conn *c = sim->xs_conns; c; c = c->next) {
		if (c->dead || c->domid != 0)
			continue;
		for (struct xs_watch *w = c->watches; w; w = w->next)
			if (strcmp(w->path, name) == 0)
				watch_event(sim, c, w, name);
	}
}

static void watch_free(struct xs_watch *w)
{
	free(w->path);
	free(w->token);
	free(w);
}

/* ---- transactions ---- */

static void tx_free(struct xs_tx *t)
{
	for (uint32_t i = 0; i < t->n_acc; i++)
		free(t->acc[i].path);
	free(t->acc);
	xs_tree_clear(&t->tree);
	free(t);
}

static void tx_remove(struct xs_conn *c, struct xs_tx *t)
{
	for (struct xs_tx **p = &c->txs; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			c->n_txs--;
			break;
		}
	}
	tx_free(t);
}

static void tx_note(struct req *r, const char *path, int kind)
{
	struct xs_tx *t = r->tx;
	if (t == NULL)
		return;
	if (t->n_acc >= XS_TX_ACCESS_MAX) {
		t->overflow = true;
		return;
	}
	if (t->n_acc % 64 == 0) {
		struct xs_access *a = realloc(t->acc, (t->n_acc + 64) * sizeof(*a));
		if (a == NULL) {
			t->overflow = true;
			return;
		}
		t->acc = a;
	}
	t->acc[t->n_acc].path = strdup(path);
	if (t->acc[t->n_acc].path == NULL) {
		t->overflow = true;
		return;
	}
	t->acc[t->n_acc++].kind = kind;
}

/*
 * A node the transaction touched changed under it if it, or the deepest
 * ancestor still present (whose child list a removal changes), is newer
 * than the transaction.
 */
static bool tx_conflicts(struct sim *sim, struct xs_tx *t)
{
	for (uint32_t i = 0; i < t->n_acc; i++)
		if (xs_tree_nearest(&sim->tree, t->acc[i].path)->gen > t->start_gen)
			return true;
	return false;
}

static void copy_node(struct xs_tree *tree, struct xs_node *dst, const struct xs_node *src)
{
	memcpy(dst->perms, src->perms, sizeof(dst->perms));
	dst->n_perms = src->n_perms;
	xs_tree_set_value(tree, dst, src->value, src->value_len);
}

/* Replays the transaction's writes on the main tree, in order. */
static int tx_apply(struct sim *sim, struct xs_tx *t)
{
	char prefix[XENSTORE_ABS_PATH_MAX + 64];

	for (uint32_t i = 0; i < t->n_acc; i++) {
		const char *path = t->acc[i].path;
		struct xs_node *tn, *mn;

		if (t->acc[i].kind == ACC_READ)
			continue;
		tn = xs_tree_lookup(&t->tree, path);
		if (tn == NULL) {
			mn = xs_tree_lookup(&sim->tree, path);
			if (mn != NULL && mn->parent != NULL)
				xs_tree_remove(&sim->tree, mn);
			continue;
		}
		/* Create missing ancestors with the transaction's view of them. */
		for (const char *p = path + 1;; p++) {
			if (*p != '/' && *p != '\0')
				continue;
			size_t l = (size_t)(p - path);
			uint32_t created;
			memcpy(prefix, path, l);
			prefix[l] = '\0';
			mn = xs_tree_lookup(&sim->tree, prefix);
			struct xs_node *src = xs_tree_lookup(&t->tree, prefix);
			if (mn == NULL && src != NULL) {
				mn = xs_tree_create(&sim->tree, prefix, 0, &created);
				if (mn == NULL)
					return -errno;
				copy_node(&sim->tree, mn, src);
			}
			if (*p == '\0')
				break;
		}
		if (mn != NULL)
			copy_node(&sim->tree, mn, tn);
	}
	return 0;
}

static void tx_fire(struct sim *sim, struct xs_tx *t)
{
	for (uint32_t i = 0; i < t->n_acc; i++) {
		if (t->acc[i].kind == ACC_READ)
			continue;
		const char *path = t->acc[i].path;
		fire(sim, path, xs_tree_nearest(&sim->tree, path), t->acc[i].kind == ACC_RM);
	}
}

/* ---- requests ---- */

/* ENOENT, or EACCES when the caller could not even see the parent (as xenstored). */
static int absent_errno(struct req *r, const char *abs_path)
{
	struct xs_node *n = xs_tree_nearest(r->tree, abs_path);
	return (xs_node_perm(n, r->conn->domid) & XS_PERM_READ) ? ENOENT : EACCES;
}

static struct xs_node *get_node(struct req *r, const char *abs_path, uint32_t perm, int *err)
{
	struct xs_node *n = xs_tree_lookup(r->tree, abs_path);
	if (n == NULL) {
		*err = absent_errno(r, abs_path);
		return NULL;
	}
	if ((xs_node_perm(n, r->conn->domid) & perm) != perm) {
		*err = EACCES;
		return NULL;
	}
	return n;
}

static int req_path(struct req *r, char *path, size_t size)
{
	char *s[1];
	if (split(r->body, r->len, s, 1) != 1)
		return -EINVAL;
	return canonicalize(r->conn->domid, s[0], path, size);
}

static void do_read(struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 64];
	struct xs_node *n;
	int e;

	if (req_path(r, path, sizeof(path)) < 0) {
		reply_err(r, EINVAL);
		return;
	}
	tx_note(r, path, ACC_READ);
	if ((n = get_node(r, path, XS_PERM_READ, &e)) == NULL) {
		reply_err(r, e);
		return;
	}
	reply(r, n->value, n->value_len);
}

static int children_blob(const struct xs_node *n, char *buf, size_t size)
{
	size_t off = 0;
	for (uint32_t i = 0; i < n->n_children; i++) {
		size_t l = strlen(n->children[i]->name) + 1;
		if (off + l > size)
			return -E2BIG;
		memcpy(buf + off, n->children[i]->name, l);
		off += l;
	}
	return (int)off;
}

static void do_directory(struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 64];
	char buf[XENSTORE_PAYLOAD_MAX];
	struct xs_node *n;
	int e, len;

	if (req_path(r, path, sizeof(path)) < 0) {
		reply_err(r, EINVAL);
		return;
	}
	tx_note(r, path, ACC_READ);
	if ((n = get_node(r, path, XS_PERM_READ, &e)) == NULL) {
		reply_err(r, e);
		return;
	}
	if ((len = children_blob(n, buf, sizeof(buf))) < 0) {
		reply_err(r, E2BIG);
		return;
	}
	reply(r, buf, (size_t)len);
}

static void do_directory_part(struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 64];
	char *s[2], *end;
	struct xs_node *n;
	int e;

	if (split(r->body, r->len, s, 2) != 2 ||
	    canonicalize(r->conn->domid, s[0], path, sizeof(path)) < 0) {
		reply_err(r, EINVAL);
		return;
	}
	errno = 0;
	unsigned long off = strtoul(s[1], &end, 10);
	if (errno || *end || end == s[1]) {
		reply_err(r, EINVAL);
		return;
	}
	tx_note(r, path, ACC_READ);
	if ((n = get_node(r, path, XS_PERM_READ, &e)) == NULL) {
		reply_err(r, e);
		return;
	}

	/* "<generation>\0" then whole names from byte offset `off` of the full
	 * listing, and one more "\0" once the listing is complete. */
	char buf[XENSTORE_PAYLOAD_MAX];
	size_t pos = (size_t)snprintf(buf, sizeof(buf), "%" PRIu64, n->gen) + 1, at = 0;
	uint32_t i = 0;
	for (; i < n->n_children; i++) {
		size_t l = strlen(n->children[i]->name) + 1;
		if (at >= off) {
			if (pos + l + 1 > sizeof(buf))
				break;
			memcpy(buf + pos, n->children[i]->name, l);
			pos += l;
		}
		at += l;
	}
	if (off > at) {
		reply_err(r, EINVAL);
		return;
	}
	if (i == n->n_children)
		buf[pos++] = '\0';
	reply(r, buf, pos);
}

static void do_get_perms(struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 64];
	char buf[XS_TREE_PERMS_MAX * 16];
	struct xs_node *n;
	size_t pos = 0;
	int e;

	if (req_path(r, path, sizeof(path)) < 0) {
		reply_err(r, EINVAL);
		return;
	}
	tx_note(r, path, ACC_READ);
	if ((n = get_node(r, path, XS_PERM_READ, &e)) == NULL) {
		reply_err(r, e);
		return;
	}
	for (uint32_t i = 0; i < n->n_perms; i++)
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%c%u",
				"nrwb"[n->perms[i].perm & XS_PERM_BOTH], n->perms[i].domid) + 1;
	reply(r, buf, pos);
}

/* Node at abs_path for writing, created (with parents) when absent. */
static struct xs_node *node_for_write(struct req *r, const char *path, bool *created, int *err)
{
	struct xs_node *n = xs_tree_lookup(r->tree, path);
	uint32_t domid = r->conn->domid, count;

	*created = false;
	if (n != NULL) {
		if (!(xs_node_perm(n, domid) & XS_PERM_WRITE)) {
			*err = EACCES;
			return NULL;
		}
		return n;
	}
	if (!(xs_node_perm(xs_tree_nearest(r->tree, path), domid) & XS_PERM_WRITE)) {
		*err = EACCES;
		return NULL;
	}
	if (domid != 0 && xs_tree_count_owned(r->tree, domid) + xs_tree_missing(r->tree, path) >
			XS_DOMAIN_NODES_MAX) {
		*err = ENOSPC;
		return NULL;
	}
	n = xs_tree_create(r->tree, path, domid, &count);
	if (n == NULL) {
		*err = errno;
		return NULL;
	}
	*created = true;
	return n;
}

static void changed(struct req *r, const char *path, struct xs_node *n, int kind)
{
	if (r->tx)
		tx_note(r, path, kind);
	else
		fire(r->sim, path, n, kind == ACC_RM);
}

static void do_write(struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 64];
	size_t plen = strnlen(r->body, r->len);
	struct xs_node *n;
	bool created;
	int e;

	if (plen >= r->len || canonicalize(r->conn->domid, r->body, path, sizeof(path)) < 0) {
		reply_err(r, EINVAL);
		return;
	}
	uint32_t vlen = r->len - (uint32_t)plen - 1;
	if (r->conn->domid != 0 && vlen > XS_DOMAIN_VALUE_MAX) {
		reply_err(r, ENOSPC);
		return;
	}
	tx_note(r, path, ACC_READ);
	if ((n = node_for_write(r, path, &created, &e)) == NULL) {
		reply_err(r, e);
		return;
	}
	if (xs_tree_set_value(r->tree, n, r->body + plen + 1, vlen) < 0) {
		reply_err(r, ENOMEM);
		return;
	}
	changed(r, path, n, ACC_WRITE);
	reply_ok(r);
}

static void do_mkdir(struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 64];
	struct xs_node *n;
	bool created;
	int e;

	if (req_path(r, path, sizeof(path)) < 0) {
		reply_err(r, EINVAL);
		return;
	}
	tx_note(r, path, ACC_READ);
	if ((n = node_for_write(r, path, &created, &e)) == NULL) {
		reply_err(r, e);
		return;
	}
	if (created)
		changed(r, path, n, ACC_WRITE);
	reply_ok(r);
}

static void do_rm(struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 64];
	struct xs_node *n;

	if (req_path(r, path, sizeof(path)) < 0) {
		reply_err(r, EINVAL);
		return;
	}
	tx_note(r, path, ACC_READ);
	n = xs_tree_lookup(r->tree, path);
	if (n == NULL) {
		/* Already gone: fine if the parent exists (xenstored). */
		char *slash = strrchr(path, '/');
		if (slash != NULL && slash != path) {
			*slash = '\0';
			if (xs_tree_lookup(r->tree, path) != NULL) {
				reply_ok(r);
				return;
			}
			*slash = '/';
		}
		reply_err(r, absent_errno(r, path));
		return;
	}
	if (n->parent == NULL) {
		reply_err(r, EINVAL);
		return;
	}
	if (!(xs_node_perm(n, r->conn->domid) & XS_PERM_WRITE)) {
		reply_err(r, EACCES);
		return;
	}
	if (r->tx == NULL)
		fire(r->sim, path, n, true);	/* while the node's permissions still exist */
	else
		tx_note(r, path, ACC_RM);
	xs_tree_remove(r->tree, n);
	reply_ok(r);
}

static void do_set_perms(struct req *r)
{
	char path[XENSTORE_ABS_PATH_MAX + 64];
	char *s[XS_TREE_PERMS_MAX + 2];
	struct xs_perm perms[XS_TREE_PERMS_MAX];
	struct xs_node *n;
	int ns, e;

	ns = split(r->body, r->len, s, XS_TREE_PERMS_MAX + 2);
	if (ns < 2 || canonicalize(r->conn->domid, s[0], path, sizeof(path)) < 0) {
		reply_err(r, EINVAL);
		return;
	}
	if (ns > (int)XS_TREE_PERMS_MAX + 1) {
		reply_err(r, E2BIG);
		return;
	}
	for (int i = 1; i < ns; i++) {
		const char *p = strchr("nrwb", s[i][0]);
		char *end;
		if (s[i][0] == '\0' || p == NULL) {
			reply_err(r, EINVAL);
			return;
		}
		errno = 0;
		unsigned long d = strtoul(s[i] + 1, &end, 10);
		if (errno || *end || end == s[i] + 1 || d > 0xffff) {
			reply_err(r, EINVAL);
			return;
		}
		perms[i - 1] = (struct xs_perm){ (uint32_t)d, (uint32_t)(p - "nrwb") };
	}
	tx_note(r, path, ACC_READ);
	if ((n = get_node(r, path, XS_PERM_WRITE, &e)) == NULL) {
		reply_err(r, e);
		return;
	}
	if (!(xs_node_perm(n, r->conn->domid) & XS_PERM_OWNER)) {
		reply_err(r, EACCES);
		return;
	}
	/* Unprivileged domains may not give their nodes away. */
	if (r->conn->domid != 0 && perms[0].domid != n->perms[0].domid) {
		reply_err(r, EPERM);
		return;
	}
	memcpy(n->perms, perms, sizeof(perms[0]) * (size_t)(ns - 1));
	n->n_perms = (uint32_t)(ns - 1);
	xs_tree_touch(r->tree, n);
	changed(r, path, n, ACC_WRITE);
	reply_ok(r);
}

static void do_watch(struct req *r, bool add)
{
	char path[XENSTORE_ABS_PATH_MAX + 64];
	char *s[2];
	struct xs_watch *w, **pw;

	if (split(r->body, r->len, s, 2) != 2) {
		reply_err(r, EINVAL);
		return;
	}
	if (s[0][0] == '@') {
		if (strlen(s[0]) >= sizeof(path)) {
			reply_err(r, EINVAL);
			return;
		}
		strcpy(path, s[0]);
	} else if (canonicalize(r->conn->domid, s[0], path, sizeof(path)) < 0) {
		reply_err(r, EINVAL);
		return;
	}
	for (pw = &r->conn->watches; *pw; pw = &(*pw)->next)
		if (strcmp((*pw)->path, path) == 0 && strcmp((*pw)->token, s[1]) == 0)
			break;
	if (!add) {
		if (*pw == NULL) {
			reply_err(r, ENOENT);
			return;
		}
		w = *pw;
		*pw = w->next;
		r->conn->n_watches--;
		watch_free(w);
		reply_ok(r);
		return;
	}
	if (*pw != NULL) {
		reply_err(r, EEXIST);
		return;
	}
	if (r->conn->n_watches >= XS_WATCHES_MAX) {
		reply_err(r, E2BIG);
		return;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL || (w->path = strdup(path)) == NULL || (w->token = strdup(s[1])) == NULL) {
		if (w)
			watch_free(w);
		reply_err(r, ENOMEM);
		return;
	}
	w->relative = s[0][0] != '/' && s[0][0] != '@';
	w->next = r->conn->watches;
	r->conn->watches = w;
	r->conn->n_watches++;
	reply_ok(r);
	/* Every new watch fires once at once, so the watcher reads the initial state. */
	watch_event(r->sim, r->conn, w, w->relative ? s[0] : path);
}

static void do_tx_start(struct req *r)
{
	struct xs_conn *c = r->conn;
	struct xs_tx *t;
	char buf[16];

	if (r->hdr.tx_id != 0) {
		reply_err(r, EBUSY);
		return;
	}
	uint32_t total = 0;
	for (struct xs_conn *o = r->sim->xs_conns; o; o = o->next)
		total += o->n_txs;
	if (c->n_txs >= XS_TX_MAX || total >= XS_TX_TOTAL_MAX) {
		reply_err(r, ENOSPC);
		return;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || xs_tree_clone(&t->tree, &r->sim->tree) < 0) {
		free(t);
		reply_err(r, ENOMEM);
		return;
	}
	t->start_gen = r->sim->tree.gen;
	do {
		t->id = ++c->next_tx_id;
	} while (t->id == 0);
	t->next = c->txs;
	c->txs = t;
	c->n_txs++;
	snprintf(buf, sizeof(buf), "%u", t->id);
	reply_str(r, buf);
}

static void do_tx_end(struct req *r)
{
	char *s[1];
	struct xs_tx *t = r->tx;

	if (t == NULL) {
		reply_err(r, ENOENT);
		return;
	}
	if (split(r->body, r->len, s, 1) != 1 || (strcmp(s[0], "T") && strcmp(s[0], "F"))) {
		reply_err(r, EINVAL);
		return;
	}
	if (s[0][0] == 'F') {
		tx_remove(r->conn, t);
		reply_ok(r);
		return;
	}
	if (t->overflow) {
		tx_remove(r->conn, t);
		reply_err(r, E2BIG);
		return;
	}
	if (tx_conflicts(r->sim, t)) {
		tx_remove(r->conn, t);
		reply_err(r, EAGAIN);
		return;
	}
	int e = tx_apply(r->sim, t);
	if (e == 0)
		tx_fire(r->sim, t);
	tx_remove(r->conn, t);
	if (e < 0) {
		reply_err(r, -e);
		return;
	}
	reply_ok(r);
}

static int parse_domid(const char *s, uint32_t *domid)
{
	char *end;
	errno = 0;
	unsigned long d = strtoul(s, &end, 10);
	if (errno || *end || end == s || d > SIM_DOMID_MAX)
		return -EINVAL;
	*domid = (uint32_t)d;
	return 0;
}

static void do_domain(struct req *r)
{
	char *s[3], buf[48];
	uint32_t domid;
	int n = split(r->body, r->len, s, 3);

	if (n < 1 || parse_domid(s[0], &domid) < 0) {
		reply_err(r, EINVAL);
		return;
	}
	switch (r->hdr.type) {
	case XS_GET_DOMAIN_PATH:
		snprintf(buf, sizeof(buf), "/local/domain/%u", domid);
		reply_str(r, buf);
		return;
	case XS_IS_DOMAIN_INTRODUCED:
		reply_str(r, sim_domain_find(r->sim, domid) ? "T" : "F");
		return;
	case XS_INTRODUCE:
		if (r->conn->domid != 0) {
			reply_err(r, EACCES);
			return;
		}
		/* domid, gfn, event channel: xenstored wants a port > 0 */
		if (n < 3 || atoi(s[2]) <= 0) {
			reply_err(r, EINVAL);
			return;
		}
		if (sim_domain_find(r->sim, domid) == NULL) {
			int e = sim_domain_create(r->sim, domid, "");
			if (e < 0) {
				reply_err(r, -e);
				return;
			}
		}
		reply_ok(r);
		return;
	case XS_RELEASE: {
		if (r->conn->domid != 0) {
			reply_err(r, EACCES);
			return;
		}
		/* Closes the released domain's connections; this one is dom0's. */
		int e = domid == 0 ? -EINVAL : sim_domain_destroy(r->sim, domid);
		/* xenstored's find_connected_domain: ENOENT for a domain it does not know. */
		if (e == -ESRCH)
			e = -ENOENT;
		if (e < 0) {
			reply_err(r, -e);
			return;
		}
		reply_ok(r);
		return;
	}
	}
}

static void reset_watches(struct xs_conn *c)
{
	while (c->watches) {
		struct xs_watch *w = c->watches;
		c->watches = w->next;
		watch_free(w);
	}
	c->n_watches = 0;
	while (c->txs)
		tx_remove(c, c->txs);
}

static void handle(struct sim *sim, struct xs_conn *c)
{
	char body[XENSTORE_PAYLOAD_MAX + 1];
	struct req r = { .sim = sim, .conn = c, .tree = &sim->tree, .body = body };

	/* Work on a private copy; the input buffer is reused for the next message. */
	memcpy(&r.hdr, c->in, sizeof(r.hdr));
	r.len = r.hdr.len;
	memcpy(body, c->in + sizeof(r.hdr), r.len);
	body[r.len] = '\0';

	switch (r.hdr.type) {
	case XS_READ: case XS_WRITE: case XS_MKDIR: case XS_RM: case XS_DIRECTORY:
	case XS_DIRECTORY_PART: case XS_GET_PERMS: case XS_SET_PERMS: case XS_TRANSACTION_END:
		if (r.hdr.tx_id != 0) {
			for (r.tx = c->txs; r.tx && r.tx->id != r.hdr.tx_id; r.tx = r.tx->next)
				;
			if (r.tx == NULL) {
				reply_err(&r, ENOENT);
				return;
			}
			r.tree = &r.tx->tree;
		}
		break;
	}
	sim_log(sim, 4, "xenstore: dom%u type %u tx %u len %u", c->domid, r.hdr.type,
			r.hdr.tx_id, r.len);

	switch (r.hdr.type) {
	case XS_READ:
		do_read(&r);
		return;
	case XS_WRITE:
		do_write(&r);
		return;
	case XS_MKDIR:
		do_mkdir(&r);
		return;
	case XS_RM:
		do_rm(&r);
		return;
	case XS_DIRECTORY:
		do_directory(&r);
		return;
	case XS_DIRECTORY_PART:
		do_directory_part(&r);
		return;
	case XS_GET_PERMS:
		do_get_perms(&r);
		return;
	case XS_SET_PERMS:
		do_set_perms(&r);
		return;
	case XS_WATCH:
		do_watch(&r, true);
		return;
	case XS_UNWATCH:
		do_watch(&r, false);
		return;
	case XS_TRANSACTION_START:
		do_tx_start(&r);
		return;
	case XS_TRANSACTION_END:
		do_tx_end(&r);
		return;
	case XS_GET_DOMAIN_PATH: case XS_IS_DOMAIN_INTRODUCED:
	case XS_INTRODUCE: case XS_RELEASE:
		do_domain(&r);
		return;
	case XS_RESET_WATCHES:
		reset_watches(c);
		reply_ok(&r);
		return;
	case XS_CONTROL: case XS_RESUME: case XS_SET_TARGET:
		reply_err(&r, ENOSYS);
		return;
	default:
		sim_log(sim, 2, "xenstore: dom%u sent unknown message type %u", c->domid,
				r.hdr.type);
		reply_err(&r, EINVAL);
		return;
	}
}

static void conn_on_event(struct sim *sim, struct sim_io *io, uint32_t events)
{
	struct xs_conn *c = (struct xs_conn *)((char *)io - offsetof(struct xs_conn, io));

	if (events & EPOLLOUT)
		conn_flush(sim, c);
	if (c->dead || !(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	for (uint32_t m = 0; m < XS_MSGS_PER_WAKEUP && !c->dead; m++) {
		size_t want = sizeof(struct xsd_sockmsg);
		if (c->in_len >= want) {
			struct xsd_sockmsg hdr;
			memcpy(&hdr, c->in, sizeof(hdr));
			if (hdr.len > XENSTORE_PAYLOAD_MAX) {
				conn_kill(sim, c, "message too long");
				return;
			}
			want += hdr.len;
		}
		if (c->in_len < want) {
			ssize_t n = recv(c->io.fd, c->in + c->in_len, want - c->in_len, MSG_DONTWAIT);
			if (n == 0) {
				conn_kill(sim, c, NULL);
				return;
			}
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					conn_kill(sim, c, NULL);
				return;
			}
			c->in_len += (size_t)n;
			if (c->in_len == sizeof(struct xsd_sockmsg))
				continue;	/* header complete: now we know the body length */
			if (c->in_len < want)
				return;
		}
		handle(sim, c);
		c->in_len = 0;
	}
}

static void listen_on_event(struct sim *sim, struct sim_io *io, uint32_t events)
{
	struct sim_domain *d = (struct sim_domain *)((char *)io - offsetof(struct sim_domain, xs_listen));
	uint32_t n = 0, nd = 0;
	int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (struct xs_conn *c = sim->xs_conns; c; c = c->next) {
		n += !c->dead;
		nd += !c->dead && c->domid == d->domid;
	}
	if (n >= XS_CONNS_MAX || (d->domid != 0 && nd >= XS_DOMU_CONNS_MAX)) {
		sim_log(sim, 1, "xenstore: too many connections, refusing one for dom%u", d->domid);
		close(fd);
		return;
	}
	struct xs_conn *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->domid = d->domid;
	c->io.fd = fd;
	c->io.on_event = conn_on_event;
	if (sim_io_add(sim, &c->io, EPOLLIN) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = sim->xs_conns;
	sim->xs_conns = c;
	sim_log(sim, 3, "xenstore: dom%u connected", d->domid);
}

int xs_server_domain_listen(struct sim *sim, struct sim_domain *d)
{
	char name[32];
	if (d->domid == 0)
		snprintf(name, sizeof(name), "xenstored");
	else
		snprintf(name, sizeof(name), "xenstored.d%u", d->domid);
	d->xs_listen.fd = sim_listen(sim, name, SOCK_STREAM);
	if (d->xs_listen.fd < 0)
		return d->xs_listen.fd;
	d->xs_listen.on_event = listen_on_event;
	if (sim_io_add(sim, &d->xs_listen, EPOLLIN) < 0) {
		close(d->xs_listen.fd);
		return -errno;
	}
	return 0;
}

void xs_server_domain_gone(struct sim *sim, struct sim_domain *d)
{
	char path[PATH_MAX];
	if (d->xs_listen.fd >= 0) {
		sim_io_del(sim, &d->xs_listen);
		close(d->xs_listen.fd);
		d->xs_listen.fd = -1;
		snprintf(path, sizeof(path), "%s/xenstored.d%u", sim->dir, d->domid);
		unlink(path);
	}
	for (struct xs_conn *c = sim->xs_conns; c; c = c->next)
		if (c->domid == d->domid)
			conn_kill(sim, c, NULL);
}

static void conn_free(struct xs_conn *c)
{
	reset_watches(c);
	while (c->out_head) {
		struct xs_out *o = c->out_head;
		c->out_head = o->next;
		free(o);
	}
	free(c);
}

void xs_server_reap(struct sim *sim)
{
	for (struct xs_conn **p = &sim->xs_conns; *p;) {
		struct xs_conn *c = *p;
		if (c->dead) {
			*p = c->next;
			conn_free(c);
		} else {
			p = &c->next;
		}
	}
}

int xs_server_init(struct sim *sim)
{
	return xs_tree_init(&sim->tree, 65536);
}

void xs_server_fini(struct sim *sim)
{
	for (struct xs_conn *c = sim->xs_conns; c; c = c->next)
		conn_kill(sim, c, NULL);
	xs_server_reap(sim);
	xs_tree_clear(&sim->tree);
}

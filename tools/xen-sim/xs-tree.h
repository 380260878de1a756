/* SPDX-License-Identifier: MIT */
/*
 * The simulator's xenstore data: a tree of nodes with values, Xen
 * permissions and a modification generation. No I/O and no protocol here.
 */
#ifndef XENSIM_XS_TREE_H
#define XENSIM_XS_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XS_PERM_NONE	0u
#define XS_PERM_READ	1u
#define XS_PERM_WRITE	2u
#define XS_PERM_BOTH	(XS_PERM_READ | XS_PERM_WRITE)
#define XS_PERM_OWNER	4u

#define XS_TREE_PERMS_MAX	16u	/* permission entries per node */
#define XS_TREE_NAME_MAX	256u	/* one path component */

struct xs_perm {
	uint32_t domid;
	uint32_t perm;			/* XS_PERM_* */
};

struct xs_node {
	char *name;			/* path component; "" for the root */
	char *value;
	uint32_t value_len;
	struct xs_perm perms[XS_TREE_PERMS_MAX];	/* [0]: owner and default */
	uint32_t n_perms;
	uint64_t gen;			/* tree generation of the last change */
	struct xs_node *parent;
	struct xs_node **children;
	uint32_t n_children, cap_children;
};

struct xs_tree {
	struct xs_node *root;
	uint64_t gen;			/* bumped by every change */
	uint32_t n_nodes;
	uint32_t max_nodes;
};

int xs_tree_init(struct xs_tree *t, uint32_t max_nodes);
void xs_tree_clear(struct xs_tree *t);
/* Deep copy (for transactions). */
int xs_tree_clone(struct xs_tree *dst, const struct xs_tree *src);

/* abs_path must be canonical ("/" or "/a/b"). NULL if absent. */
struct xs_node *xs_tree_lookup(struct xs_tree *t, const char *abs_path);
/* Deepest existing node on abs_path (the root at worst). */
struct xs_node *xs_tree_nearest(struct xs_tree *t, const char *abs_path);
/*
 * Creates abs_path and any missing parents; new nodes inherit their parent's
 * permissions, owned by `creator` unless it is domain 0 (as xenstored does).
 * *created counts the new nodes. Returns the node or NULL with errno, in
 * which case nothing was created.
 */
struct xs_node *xs_tree_create(struct xs_tree *t, const char *abs_path, uint32_t creator,
		uint32_t *created);
/* How many nodes xs_tree_create(abs_path) would make. */
uint32_t xs_tree_missing(struct xs_tree *t, const char *abs_path);
int xs_tree_set_value(struct xs_tree *t, struct xs_node *n, const void *value, uint32_t len);
void xs_tree_touch(struct xs_tree *t, struct xs_node *n);
/* Removes n and its subtree (not the root). */
void xs_tree_remove(struct xs_tree *t, struct xs_node *n);

/* Writes the absolute path of n into buf; length or -E2BIG. */
int xs_node_path(const struct xs_node *n, char *buf, size_t size);
/* XS_PERM_* the domain has on n (Xen rules; domain 0 has everything). */
uint32_t xs_node_perm(const struct xs_node *n, uint32_t domid);
/* Nodes in the tree owned by domid. */
uint32_t xs_tree_count_owned(const struct xs_tree *t, uint32_t domid);

/* Calls fn for n and every descendant, parents first; stops on nonzero. */
int xs_node_walk(struct xs_node *n, int (*fn)(struct xs_node *n, void *data), void *data);

#endif

/* SPDX-License-Identifier: MIT */
#include "xs-tree.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct xs_node *node_new(const char *name, size_t name_len)
{
	struct xs_node *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return NULL;
	n->name = strndup(name, name_len);
	if (n->name == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

static void node_free(struct xs_tree *t, struct xs_node *n)
{
	for (uint32_t i = 0; i < n->n_children; i++)
		node_free(t, n->children[i]);
	free(n->children);
	free(n->name);
	free(n->value);
	free(n);
	t->n_nodes--;
}

int xs_tree_init(struct xs_tree *t, uint32_t max_nodes)
{
	memset(t, 0, sizeof(*t));
	t->max_nodes = max_nodes;
	t->root = node_new("", 0);
	if (t->root == NULL)
		return -ENOMEM;
	/* xenstored's root: owned by dom0, no access for others. */
	t->root->perms[0] = (struct xs_perm){ 0, XS_PERM_NONE };
	t->root->n_perms = 1;
	t->n_nodes = 1;
	return 0;
}

void xs_tree_clear(struct xs_tree *t)
{
	if (t->root != NULL)
		node_free(t, t->root);
	t->root = NULL;
}

static struct xs_node *node_clone(const struct xs_node *src, struct xs_node *parent)
{
	struct xs_node *n = node_new(src->name, strlen(src->name));
	if (n == NULL)
		return NULL;
	n->parent = parent;
	memcpy(n->perms, src->perms, sizeof(n->perms));
	n->n_perms = src->n_perms;
	n->gen = src->gen;
	if (src->value != NULL) {
		n->value = malloc(src->value_len + 1);
		if (n->value == NULL)
			goto fail;
		memcpy(n->value, src->value, src->value_len + 1);
		n->value_len = src->value_len;
	}
	if (src->n_children > 0) {
		n->children = calloc(src->n_children, sizeof(*n->children));
		if (n->children == NULL)
			goto fail;
		n->cap_children = src->n_children;
		for (uint32_t i = 0; i < src->n_children; i++) {
			n->children[i] = node_clone(src->children[i], n);
			if (n->children[i] == NULL)
				goto fail;
			n->n_children++;
		}
	}
	return n;
fail:
	{
		struct xs_tree tmp = { .n_nodes = UINT32_MAX };
		node_free(&tmp, n);
	}
	return NULL;
}

int xs_tree_clone(struct xs_tree *dst, const struct xs_tree *src)
{
	*dst = *src;
	dst->root = node_clone(src->root, NULL);
	return dst->root == NULL ? -ENOMEM : 0;
}

static struct xs_node *child_find(const struct xs_node *n, const char *name, size_t len)
{
	for (uint32_t i = 0; i < n->n_children; i++) {
		const char *c = n->children[i]->name;
		if (strncmp(c, name, len) == 0 && c[len] == '\0')
			return n->children[i];
	}
	return NULL;
}

/* Walks abs_path; returns the deepest node reached and where the walk stopped. */
static struct xs_node *walk(struct xs_tree *t, const char *abs_path, const char **rest)
{
	struct xs_node *n = t->root;
	const char *p = abs_path;

	while (*p == '/')
		p++;
	while (*p != '\0') {
		size_t len = strcspn(p, "/");
		struct xs_node *c = child_find(n, p, len);
		if (c == NULL)
			break;
		n = c;
		p += len;
		while (*p == '/')
			p++;
	}
	*rest = p;
	return n;
}

struct xs_node *xs_tree_lookup(struct xs_tree *t, const char *abs_path)
{
	const char *rest;
	struct xs_node *n = walk(t, abs_path, &rest);
	return *rest == '\0' ? n : NULL;
}

struct xs_node *xs_tree_nearest(struct xs_tree *t, const char *abs_path)
{
	const char *rest;
	return walk(t, abs_path, &rest);
}

static int child_add(struct xs_node *parent, struct xs_node *c)
{
	if (parent->n_children == parent->cap_children) {
		uint32_t cap = parent->cap_children ? parent->cap_children * 2 : 4;
		struct xs_node **a = realloc(parent->children, cap * sizeof(*a));
		if (a == NULL)
			return -ENOMEM;
		parent->children = a;
		parent->cap_children = cap;
	}
	parent->children[parent->n_children++] = c;
	c->parent = parent;
	return 0;
}

struct xs_node *xs_tree_create(struct xs_tree *t, const char *abs_path, uint32_t creator,
		uint32_t *created)
{
	const char *p;
	struct xs_node *n = walk(t, abs_path, &p), *first = NULL;
	int err;

	*created = 0;
	while (*p != '\0') {
		size_t len = strcspn(p, "/");
		struct xs_node *c;

		if (len >= XS_TREE_NAME_MAX) {
			err = EINVAL;
			goto fail;
		}
		if (t->n_nodes >= t->max_nodes) {
			err = ENOSPC;
			goto fail;
		}
		c = node_new(p, len);
		if (c == NULL || child_add(n, c) < 0) {
			if (c != NULL) {
				free(c->name);
				free(c);
			}
			err = ENOMEM;
			goto fail;
		}
		if (first == NULL)
			first = c;
		t->n_nodes++;
		memcpy(c->perms, n->perms, sizeof(c->perms));
		c->n_perms = n->n_perms;
		if (creator != 0)
			c->perms[0].domid = creator;
		c->value = calloc(1, 1);
		if (c->value == NULL) {
			err = ENOMEM;
			goto fail;
		}
		xs_tree_touch(t, c);
		/* A new child changes the parent's directory listing. */
		xs_tree_touch(t, n);
		(*created)++;
		n = c;
		p += len;
		while (*p == '/')
			p++;
	}
	return n;
fail:
	/* All or nothing: drop the part of the path made so far. */
	if (first != NULL)
		xs_tree_remove(t, first);
	*created = 0;
	errno = err;
	return NULL;
}

uint32_t xs_tree_missing(struct xs_tree *t, const char *abs_path)
{
	const char *p;
	uint32_t n = 0;

	walk(t, abs_path, &p);
	while (*p != '\0') {
		n++;
		p += strcspn(p, "/");
		while (*p == '/')
			p++;
	}
	return n;
}

int xs_tree_set_value(struct xs_tree *t, struct xs_node *n, const void *value, uint32_t len)
{
	char *v = malloc((size_t)len + 1);
	if (v == NULL)
		return -ENOMEM;
	memcpy(v, value, len);
	v[len] = '\0';
	free(n->value);
	n->value = v;
	n->value_len = len;
	xs_tree_touch(t, n);
	return 0;
}

void xs_tree_touch(struct xs_tree *t, struct xs_node *n)
{
	n->gen = ++t->gen;
}

void xs_tree_remove(struct xs_tree *t, struct xs_node *n)
{
	struct xs_node *parent = n->parent;

	if (parent == NULL)
		return;
	for (uint32_t i = 0; i < parent->n_children; i++) {
		if (parent->children[i] == n) {
			parent->children[i] = parent->children[--parent->n_children];
			break;
		}
	}
	xs_tree_touch(t, parent);
	node_free(t, n);
}

int xs_node_path(const struct xs_node *n, char *buf, size_t size)
{
	const struct xs_node *c;
	size_t len = 0, pos;

	if (n->parent == NULL) {
		if (size < 2)
			return -E2BIG;
		strcpy(buf, "/");
		return 1;
	}
	for (c = n; c->parent != NULL; c = c->parent)
		len += 1 + strlen(c->name);
	if (len + 1 > size)
		return -E2BIG;
	pos = len;
	buf[pos] = '\0';
	for (c = n; c->parent != NULL; c = c->parent) {
		size_t l = strlen(c->name);
		pos -= l;
		memcpy(buf + pos, c->name, l);
		buf[--pos] = '/';
	}
	return (int)len;
}

uint32_t xs_node_perm(const struct xs_node *n, uint32_t domid)
{
	if (domid == 0 || n->perms[0].domid == domid)
		return XS_PERM_BOTH | XS_PERM_OWNER;
	for (uint32_t i = 1; i < n->n_perms; i++)
		if (n->perms[i].domid == domid)
			return n->perms[i].perm;
	return n->perms[0].perm;
}

static uint32_t count_owned(const struct xs_node *n, uint32_t domid)
{
	uint32_t c = n->perms[0].domid == domid;
	for (uint32_t i = 0; i < n->n_children; i++)
		c += count_owned(n->children[i], domid);
	return c;
}

uint32_t xs_tree_count_owned(const struct xs_tree *t, uint32_t domid)
{
	return count_owned(t->root, domid);
}

int xs_node_walk(struct xs_node *n, int (*fn)(struct xs_node *n, void *data), void *data)
{
	int r = fn(n, data);
	for (uint32_t i = 0; r == 0 && i < n->n_children; i++)
		r = xs_node_walk(n->children[i], fn, data);
	return r;
}

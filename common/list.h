/* SPDX-License-Identifier: MIT */
/*
 * The one intrusive doubly-linked list.  A struct that goes in a list
 * embeds a struct list_node; the list is a struct list_head, a ring through
 * the head, so that inserting and removing touch no head pointer and
 * never branch:
 *
 *	struct conn {
 *		struct list_node node;
 *		...
 *	};
 *	struct list_head conns = LIST_HEAD_INIT(conns);	(or list_head_init())
 *
 *	list_insert_tail(&conns, &c->node);
 *	list_foreach(c, &conns, node)
 *		...
 *	list_remove(&c->node);
 *
 * A head must be initialised before use; it must not move while it holds
 * nodes.  A node needs no initialisation: zeroed (calloc) or removed, it is
 * in no list, list_linked() says so and list_remove() of it does nothing.
 * The list owns nothing: what its nodes belong to is freed by their owner.
 */
#ifndef COMMON_LIST_H
#define COMMON_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

struct list_node {
	struct list_node *next, *prev; /* NULL: in no list */
};

struct list_head {
	struct list_node n; /* the ring's anchor: n.next is the first node, n.prev the last */
};

#define LIST_HEAD_INIT(name)                                                                       \
	{                                                                                          \
		.n = {.next = &(name).n, .prev = &(name).n }                                       \
	}

static inline void list_head_init(struct list_head *h)
{
	h->n.next = h->n.prev = &h->n;
}

static inline bool list_empty(const struct list_head *h)
{
	return h->n.next == &h->n;
}

static inline bool list_linked(const struct list_node *node)
{
	return node->next != NULL;
}

static inline void list_link_(struct list_node *node, struct list_node *prev,
			      struct list_node *next)
{
	node->prev = prev;
	node->next = next;
	prev->next = node;
	next->prev = node;
}

/* At the front. */
static inline void list_insert_head(struct list_head *h, struct list_node *node)
{
	list_link_(node, &h->n, h->n.next);
}

/* At the back. */
static inline void list_insert_tail(struct list_head *h, struct list_node *node)
{
	list_link_(node, h->n.prev, &h->n);
}

/* Just before pos, a node of a list. */
static inline void list_insert_before(struct list_node *pos, struct list_node *node)
{
	list_link_(node, pos->prev, pos);
}

/* Out of its list, if it is in one. */
static inline void list_remove(struct list_node *node)
{
	if (!node->next)
		return;
	node->prev->next = node->next;
	node->next->prev = node->prev;
	node->next = node->prev = NULL;
}

/* Every node of src to the back of dst, in order; src is then empty. */
static inline void list_move_all(struct list_head *dst, struct list_head *src)
{
	if (list_empty(src))
		return;
	src->n.next->prev = dst->n.prev;
	src->n.prev->next = &dst->n;
	dst->n.prev->next = src->n.next;
	dst->n.prev = src->n.prev;
	list_head_init(src);
}

/* The struct of type that holds node as its member. */
#define list_entry(node, type, member) container_of(node, type, member)

/* The first (last) entry of the list, NULL when it is empty. */
#define list_first(h, type, member)                                                                \
	(list_empty(h) ? (type *)NULL : list_entry((h)->n.next, type, member))
#define list_last(h, type, member)                                                                 \
	(list_empty(h) ? (type *)NULL : list_entry((h)->n.prev, type, member))

#define LIST_CONCAT_(a, b) a##b
#define LIST_CONCAT(a, b)  LIST_CONCAT_(a, b)
#define LIST_UNIQUE_(name) LIST_CONCAT(list_##name##_, __COUNTER__)

/*
 * For each entry of the list, front to back, with pos (a pointer to the
 * entries' type, declared by the caller) set to it; pos is NULL once the
 * loop ran out, not after a break.  The body must not remove pos:
 * list_foreach_safe() may, as it reads the next node first (and must then
 * not remove that one).
 */
#define list_foreach(pos, h, member) list_foreach_(pos, h, member, LIST_UNIQUE_(it))
#define list_foreach_(pos, h, member, it)                                                          \
	for (struct list_node *it = (h)->n.next;                                                   \
	     it != &(h)->n ? ((pos) = list_entry(it, __typeof__(*(pos)), member), true)            \
			   : ((pos) = NULL, false);                                                \
	     it = it->next)

#define list_foreach_safe(pos, h, member)                                                          \
	list_foreach_safe_(pos, h, member, LIST_UNIQUE_(it), LIST_UNIQUE_(next))
#define list_foreach_safe_(pos, h, member, it, nx)                                                 \
	for (struct list_node *it = (h)->n.next, *nx = it->next;                                   \
	     it != &(h)->n ? ((pos) = list_entry(it, __typeof__(*(pos)), member), true)            \
			   : ((pos) = NULL, false);                                                \
	     it = nx, nx = it->next)

#endif

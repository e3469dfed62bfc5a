/* SPDX-License-Identifier: MIT */
/* common/list.h: order, removal anywhere, the safe loop, and a node's state. */
#include <check.h>
#include <stdlib.h>

#include "../lib/test-util.h"
#include "common/list.h"

struct item {
	int value;
	struct list_node node;	/* not the first member: list_entry() must subtract */
	struct list_node other; /* a second list the same item is in */
};

/* The values of the list, front to back, as digits ("" when empty). */
static const char *values(const struct list_head *h)
{
	static char text[64];
	struct item *it;
	size_t n = 0;

	list_foreach(it, h, node) {
		ck_assert_uint_lt(n, sizeof(text) - 1);
		text[n++] = (char)('0' + it->value);
	}
	text[n] = '\0';
	return text;
}

/* The same, back to front through the prev links. */
static const char *values_backwards(const struct list_head *h)
{
	static char text[64];
	size_t n = 0;

	for (const struct list_node *p = h->n.prev; p != &h->n; p = p->prev) {
		ck_assert_uint_lt(n, sizeof(text) - 1);
		text[n++] = (char)('0' + list_entry(p, struct item, node)->value);
	}
	text[n] = '\0';
	return text;
}

START_TEST(test_empty)
{
	struct list_head h;
	struct item dummy = {0}, *it = &dummy; /* anything but NULL */
	int rounds = 0;

	list_head_init(&h);
	ck_assert(list_empty(&h));
	ck_assert_ptr_null(list_first(&h, struct item, node));
	ck_assert_ptr_null(list_last(&h, struct item, node));
	list_foreach(it, &h, node)
		rounds++;
	ck_assert_int_eq(rounds, 0);
	ck_assert_ptr_null(it);
	ck_assert_str_eq(values(&h), "");
}
END_TEST

START_TEST(test_static_head)
{
	static struct list_head h = LIST_HEAD_INIT(h);
	struct item a = {.value = 1};

	ck_assert(list_empty(&h));
	list_insert_tail(&h, &a.node);
	ck_assert(!list_empty(&h));
	list_remove(&a.node);
	ck_assert(list_empty(&h));
}
END_TEST

START_TEST(test_order)
{
	struct list_head h;
	struct item items[6];

	list_head_init(&h);
	for (int i = 0; i < 6; i++)
		items[i] = (struct item){.value = i};
	list_insert_tail(&h, &items[3].node);
	list_insert_tail(&h, &items[4].node);
	list_insert_head(&h, &items[2].node);
	list_insert_tail(&h, &items[5].node);
	list_insert_head(&h, &items[1].node);
	ck_assert_str_eq(values(&h), "12345");
	ck_assert_str_eq(values_backwards(&h), "54321");
	ck_assert_ptr_eq(list_first(&h, struct item, node), &items[1]);
	ck_assert_ptr_eq(list_last(&h, struct item, node), &items[5]);
	ck_assert(!list_linked(&items[0].node));
}
END_TEST

START_TEST(test_move_all)
{
	struct list_head a, b;
	struct item items[6];

	list_head_init(&a);
	list_head_init(&b);
	for (int i = 0; i < 6; i++)
		items[i] = (struct item){.value = i};
	/* Empty to empty, empty to full: nothing moves. */
	list_move_all(&a, &b);
	ck_assert(list_empty(&a) && list_empty(&b));
	list_insert_tail(&a, &items[1].node);
	list_move_all(&a, &b);
	ck_assert_str_eq(values(&a), "1");
	/* Full to full: behind what dst holds, in order, both ways round. */
	list_insert_tail(&b, &items[2].node);
	list_insert_tail(&b, &items[3].node);
	list_insert_tail(&b, &items[4].node);
	list_move_all(&a, &b);
	ck_assert_str_eq(values(&a), "1234");
	ck_assert_str_eq(values_backwards(&a), "4321");
	ck_assert(list_empty(&b));
	/* Full to empty; src usable again at once. */
	list_move_all(&b, &a);
	ck_assert_str_eq(values(&b), "1234");
	ck_assert_str_eq(values_backwards(&b), "4321");
	ck_assert(list_empty(&a));
	list_insert_tail(&a, &items[5].node);
	ck_assert_str_eq(values(&a), "5");
	list_remove(&items[3].node);
	ck_assert_str_eq(values(&b), "124");
}
END_TEST

START_TEST(test_remove)
{
	struct list_head h;
	struct item items[5];

	list_head_init(&h);
	for (int i = 0; i < 5; i++) {
		items[i] = (struct item){.value = i};
		list_insert_tail(&h, &items[i].node);
		ck_assert(list_linked(&items[i].node));
	}
	list_remove(&items[2].node); /* the middle */
	ck_assert_str_eq(values(&h), "0134");
	list_remove(&items[0].node); /* the first */
	ck_assert_str_eq(values(&h), "134");
	list_remove(&items[4].node); /* the last */
	ck_assert_str_eq(values(&h), "13");
	ck_assert_str_eq(values_backwards(&h), "31");
	ck_assert(!list_linked(&items[0].node));
	ck_assert(!list_linked(&items[2].node));

	/* Removing what is in no list does nothing, twice as once. */
	list_remove(&items[2].node);
	list_remove(&items[2].node);
	ck_assert_str_eq(values(&h), "13");

	/* A removed node goes back in, anywhere. */
	list_insert_head(&h, &items[4].node);
	ck_assert_str_eq(values(&h), "413");
	list_remove(&items[1].node);
	list_remove(&items[3].node);
	list_remove(&items[4].node);
	ck_assert(list_empty(&h));
	ck_assert_str_eq(values_backwards(&h), "");
}
END_TEST

START_TEST(test_zeroed_node)
{
	struct item *it = calloc(1, sizeof(*it));

	ck_assert_ptr_nonnull(it);
	ck_assert(!list_linked(&it->node));
	list_remove(&it->node);
	ck_assert(!list_linked(&it->node));
	free(it);
}
END_TEST

START_TEST(test_foreach_safe_frees)
{
	struct list_head h;
	struct item *it;
	int freed = 0;

	list_head_init(&h);
	for (int i = 0; i < 8; i++) {
		it = calloc(1, sizeof(*it));
		ck_assert_ptr_nonnull(it);
		it->value = i;
		list_insert_tail(&h, &it->node);
	}
	/* Every other one, then the rest: freed under the loop (ASan and
	 * valgrind see a read of a freed node). */
	list_foreach_safe(it, &h, node) {
		if (it->value % 2) {
			list_remove(&it->node);
			free(it);
			freed++;
		}
	}
	ck_assert_ptr_null(it);
	ck_assert_str_eq(values(&h), "0246");
	list_foreach_safe(it, &h, node) {
		list_remove(&it->node);
		free(it);
		freed++;
	}
	ck_assert_int_eq(freed, 8);
	ck_assert(list_empty(&h));
}
END_TEST

START_TEST(test_break_keeps_pos)
{
	struct list_head h;
	struct item items[4], *it;

	list_head_init(&h);
	for (int i = 0; i < 4; i++) {
		items[i] = (struct item){.value = i};
		list_insert_tail(&h, &items[i].node);
	}
	list_foreach(it, &h, node) {
		if (it->value == 2)
			break;
	}
	ck_assert_ptr_eq(it, &items[2]);
	list_foreach_safe(it, &h, node) {
		if (it->value == 3)
			break;
	}
	ck_assert_ptr_eq(it, &items[3]);
}
END_TEST

START_TEST(test_two_lists_nested)
{
	struct list_head evens, all;
	struct item items[6], *a, *b;
	int pairs = 0, sum = 0;

	list_head_init(&evens);
	list_head_init(&all);
	for (int i = 0; i < 6; i++) {
		items[i] = (struct item){.value = i};
		list_insert_head(&all, &items[i].other);
		if (i % 2 == 0)
			list_insert_tail(&evens, &items[i].node);
	}
	ck_assert_str_eq(values(&evens), "024");
	/* One item in two lists, two loops one inside the other. */
	list_foreach(a, &evens, node) {
		list_foreach(b, &all, other) {
			pairs++;
			sum += a->value * b->value;
		}
	}
	ck_assert_int_eq(pairs, 3 * 6);
	ck_assert_int_eq(sum, (0 + 2 + 4) * (0 + 1 + 2 + 3 + 4 + 5));
	list_remove(&items[2].node);
	ck_assert_str_eq(values(&evens), "04");
	ck_assert(list_linked(&items[2].other));
	ck_assert_ptr_eq(list_first(&all, struct item, other), &items[5]);
}
END_TEST

static Suite *list_suite(void)
{
	Suite *s = suite_create("list");
	TCase *tc = tcase_create("list");

	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_static_head);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_remove);
	tcase_add_test(tc, test_move_all);
	tcase_add_test(tc, test_zeroed_node);
	tcase_add_test(tc, test_foreach_safe_frees);
	tcase_add_test(tc, test_break_keeps_pos);
	tcase_add_test(tc, test_two_lists_nested);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(list_suite());
}

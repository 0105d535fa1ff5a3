/* SPDX-License-Identifier: MIT */
/*
 * json.h - a small JSON reader for the traces libpto writes.  Internal.
 *
 * Values live in an arena owned by the caller, so a whole document (or one
 * element of a huge array at a time, see pto__json_parse_stream()) is freed
 * in one go.  Strings are decoded (escapes, \uXXXX with surrogate pairs to
 * UTF-8) and NUL-terminated.  Errors name the line and column.
 */
#ifndef PTO_TOOLS_PTO_TRACE_JSON_H
#define PTO_TOOLS_PTO_TRACE_JSON_H

#include <stddef.h>
#include <stdint.h>

enum pto__json_type {
	PTO__JSON_NULL,
	PTO__JSON_BOOL,
	PTO__JSON_NUMBER,
	PTO__JSON_STRING,
	PTO__JSON_ARRAY,
	PTO__JSON_OBJECT,
};

/**
 * struct pto__json - one value.
 * @type: enum pto__json_type.
 * @is_int: a NUMBER written without fraction or exponent that fits @i.
 * @boolean: BOOL value.
 * @len: STRING bytes (without the NUL) or ARRAY/OBJECT element count.
 * @num: NUMBER value.
 * @i: NUMBER value when @is_int.
 * @str: STRING value (NUL-terminated; may contain NULs from \u0000).
 * @key: member name when this value is inside an OBJECT, else NULL.
 * @child: first element of an ARRAY/OBJECT.
 * @next: next sibling.
 */
struct pto__json {
	uint8_t type;
	uint8_t is_int;
	uint8_t boolean;
	uint32_t len;
	double num;
	int64_t i;
	const char *str;
	const char *key;
	struct pto__json *child;
	struct pto__json *next;
};

struct pto__json_arena_block;

struct pto__json_arena {
	struct pto__json_arena_block *head;
};

/* Where and why parsing failed. */
struct pto__json_error {
	uint32_t line;
	uint32_t col;
	char msg[128];
};

void pto__json_arena_init(struct pto__json_arena *a);
/* Forget every value but keep the first block for reuse. */
void pto__json_arena_reset(struct pto__json_arena *a);
void pto__json_arena_free(struct pto__json_arena *a);

/*
 * Parse the whole of @buf (one value, surrounding whitespace allowed) into
 * @a.  Returns 0 and *@out, or -EINVAL with @err filled in, -ENOMEM.
 */
int pto__json_parse(const char *buf, size_t len, struct pto__json_arena *a,
		    struct pto__json **out, struct pto__json_error *err);

/*
 * Called for each element of the streamed array (@v lives until the
 * callback returns) and for every other top-level member.  A non-zero
 * return stops parsing and is returned by pto__json_parse_stream().
 */
typedef int (*pto__json_elem_fn)(void *ctx, const struct pto__json *v, size_t index);
typedef int (*pto__json_member_fn)(void *ctx, const char *key, const struct pto__json *v);

/*
 * Parse a top-level object whose member @array_key is a (possibly huge)
 * array, one element at a time so memory stays bounded: @elem sees each
 * element of it, @member every other member.  Either callback may be NULL.
 * Returns 0, the first non-zero callback return, or -EINVAL/-ENOMEM as
 * pto__json_parse() (also -EINVAL when @array_key is missing or not an
 * array).
 */
int pto__json_parse_stream(const char *buf, size_t len, const char *array_key,
			   pto__json_elem_fn elem, pto__json_member_fn member, void *ctx,
			   struct pto__json_error *err);

/* Member @key of OBJECT @obj, or NULL (also for a non-object @obj). */
const struct pto__json *pto__json_get(const struct pto__json *obj, const char *key);

/* NUMBER @v as an integer, or @def when @v is NULL or not a NUMBER. */
int64_t pto__json_int(const struct pto__json *v, int64_t def);

/* STRING @v, or @def when @v is NULL or not a STRING. */
const char *pto__json_string(const struct pto__json *v, const char *def);

/*
 * Read a whole file into a NUL-terminated malloc()ed buffer.  Returns 0 and
 * *@buf / *@len, or -errno.
 */
int pto__json_read_file(const char *path, char **buf, size_t *len);

#endif /* PTO_TOOLS_PTO_TRACE_JSON_H */

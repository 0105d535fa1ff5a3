// SPDX-License-Identifier: MIT
/*
 * json.c - a small, strict JSON reader (RFC 8259) for trace files.
 *
 * Recursive descent with a depth limit, so hostile input can only fail
 * with a message, never overflow the stack or read past the buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/pto-trace/json.h"

#define JSON_MAX_DEPTH		256
#define ARENA_BLOCK		(64u * 1024)

struct pto__json_arena_block {
	struct pto__json_arena_block *next;
	size_t used;
	size_t size;
	max_align_t data[];
};

void pto__json_arena_init(struct pto__json_arena *a)
{
	a->head = NULL;
}

static void free_blocks(struct pto__json_arena_block *b)
{
	while (b) {
		struct pto__json_arena_block *n = b->next;

		free(b);
		b = n;
	}
}

void pto__json_arena_reset(struct pto__json_arena *a)
{
	struct pto__json_arena_block *b = a->head;

	if (!b)
		return;
	/* keep only the oldest block (the list runs newest first) */
	while (b->next) {
		struct pto__json_arena_block *n = b->next;

		free(b);
		b = n;
	}
	b->used = 0;
	a->head = b;
}

void pto__json_arena_free(struct pto__json_arena *a)
{
	free_blocks(a->head);
	a->head = NULL;
}

static void *arena_alloc(struct pto__json_arena *a, size_t size)
{
	struct pto__json_arena_block *b = a->head;

	size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!b || b->size - b->used < size) {
		size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->size = cap;
		b->next = a->head;
		a->head = b;
	}
	void *p = (char *)b->data + b->used;

	b->used += size;
	return p;
}

struct parser {
	const char *p;
	const char *end;
	const char *line_start;
	uint32_t line;
	unsigned int depth;
	struct pto__json_arena *a;
	struct pto__json_error *err;
	int failed;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->failed)
		return ps->failed;
	ps->failed = -EINVAL;
	if (ps->err) {
		ps->err->line = ps->line;
		ps->err->col = (uint32_t)(ps->p - ps->line_start) + 1;
		va_start(ap, fmt);
		vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
		va_end(ap);
	}
	return ps->failed;
}

static int fail_nomem(struct parser *ps)
{
	fail(ps, "out of memory");
	ps->failed = -ENOMEM;
	return -ENOMEM;
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == '\n') {
			ps->line++;
			ps->line_start = ps->p + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		ps->p++;
	}
}

/* "'x'" for a printable byte, else its hex value, for error messages. */
static const char *show_char(char c, char buf[8])
{
	unsigned char u = (unsigned char)c;

	if (u >= 0x20 && u < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "0x%02x", u);
	return buf;
}

static int hex4(const char *s, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static char *put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | (cp >> 6));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | (cp >> 12));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | (cp >> 18));
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* At the opening quote; decodes into the arena.  Decoded text is never longer than the raw. */
static int parse_string(struct parser *ps, const char **out, uint32_t *out_len)
{
	const char *s = ++ps->p;
	const char *q = s;

	while (q < ps->end && *q != '"') {
		if (*q == '\\')
			q++;
		q++;
	}
	if (q >= ps->end)
		return fail(ps, "unterminated string");

	char *dst = arena_alloc(ps->a, (size_t)(q - s) + 1);
	char *o = dst;

	if (!dst)
		return fail_nomem(ps);
	while (ps->p < q) {
		char c = *ps->p;

		if ((unsigned char)c < 0x20)
			return fail(ps, "raw control character 0x%02x in string", (unsigned char)c);
		if (c != '\\') {
			*o++ = c;
			ps->p++;
			continue;
		}
		char e = ps->p[1];
		uint32_t cp;

		switch (e) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (q - ps->p < 6 || hex4(ps->p + 2, &cp))
				return fail(ps, "bad \\u escape");
			if (cp >= 0xd800 && cp < 0xdc00) {
				uint32_t lo;

				if (q - ps->p < 12 || ps->p[6] != '\\' || ps->p[7] != 'u' ||
				    hex4(ps->p + 8, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return fail(ps, "unpaired UTF-16 surrogate in \\u escape");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				ps->p += 6;
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				return fail(ps, "unpaired UTF-16 surrogate in \\u escape");
			}
			o = put_utf8(o, cp);
			ps->p += 4;
			break;
		default: {
			char b[8];

			ps->p++;
			return fail(ps, "bad escape \\%s in string", show_char(e, b));
		}
		}
		ps->p += 2;
	}
	*o = '\0';
	ps->p = q + 1;
	*out = dst;
	*out_len = (uint32_t)(o - dst);
	return 0;
}

static int parse_number(struct parser *ps, struct pto__json *v)
{
	const char *s = ps->p, *q = s;
	int is_int = 1;
	char tmp[72];

	if (q < ps->end && *q == '-')
		q++;
	if (q >= ps->end || *q < '0' || *q > '9')
		return fail(ps, "bad number");
	if (*q == '0')
		q++;
	else
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	if (q < ps->end && *q == '.') {
		is_int = 0;
		q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, "bad number: digits expected after '.'");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		is_int = 0;
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, "bad number: digits expected in exponent");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if ((size_t)(q - s) >= sizeof(tmp))
		return fail(ps, "number too long");
	memcpy(tmp, s, (size_t)(q - s));
	tmp[q - s] = '\0';
	v->type = PTO__JSON_NUMBER;
	v->num = strtod(tmp, NULL);
	if (is_int) {
		errno = 0;
		long long ll = strtoll(tmp, NULL, 10);

		if (errno == 0) {
			v->is_int = 1;
			v->i = ll;
		}
	}
	/* a double past int64's range (1e300) saturates: the cast alone is undefined */
	if (!v->is_int)
		v->i = v->num >= 9223372036854775807.0 ? INT64_MAX :
		       v->num <= -9223372036854775808.0 ? INT64_MIN : (int64_t)v->num;
	ps->p = q;
	return 0;
}

static int parse_literal(struct parser *ps, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return fail(ps, "bad literal (expected %s)", word);
	ps->p += n;
	return 0;
}

static int parse_value(struct parser *ps, struct pto__json **out);

/* A member name (skipping space before it) and its ':'. */
static int parse_member_name(struct parser *ps, const char **key)
{
	uint32_t key_len;
	char b[8];
	int rc;

	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of input in object");
	if (*ps->p != '"')
		return fail(ps, "expected a member name, got %s", show_char(*ps->p, b));
	rc = parse_string(ps, key, &key_len);
	if (rc)
		return rc;
	skip_ws(ps);
	if (ps->p >= ps->end || *ps->p != ':')
		return fail(ps, "expected ':' after member name \"%s\"", *key);
	ps->p++;
	return 0;
}

/* After an element of a container closed by @close: 1 past a ',', 0 past @close, or a failure. */
static int next_elem(struct parser *ps, char close)
{
	char b[8];

	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of input in %s", close == '}' ? "object" : "array");
	if (*ps->p == ',') {
		ps->p++;
		return 1;
	}
	if (*ps->p == close) {
		ps->p++;
		return 0;
	}
	return fail(ps, "expected ',' or '%c', got %s", close, show_char(*ps->p, b));
}

/* At '[' or '{': parse elements (members when @object) up to the matching close. */
static int parse_container(struct parser *ps, struct pto__json *v, int object)
{
	char close = object ? '}' : ']';
	struct pto__json **link = &v->child;
	int rc;

	if (++ps->depth > JSON_MAX_DEPTH)
		return fail(ps, "nesting deeper than %d", JSON_MAX_DEPTH);
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return 0;
	}
	do {
		const char *key = NULL;
		struct pto__json *e;

		if (object) {
			rc = parse_member_name(ps, &key);
			if (rc)
				return rc;
		}
		rc = parse_value(ps, &e);
		if (rc)
			return rc;
		e->key = key;
		*link = e;
		link = &e->next;
		v->len++;
		rc = next_elem(ps, close);
	} while (rc > 0);
	if (!rc)
		ps->depth--;
	return rc;
}

static int parse_value(struct parser *ps, struct pto__json **out)
{
	struct pto__json *v;
	char b[8];

	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end of input");
	v = arena_alloc(ps->a, sizeof(*v));
	if (!v)
		return fail_nomem(ps);
	memset(v, 0, sizeof(*v));
	*out = v;
	switch (*ps->p) {
	case '{':
		v->type = PTO__JSON_OBJECT;
		return parse_container(ps, v, 1);
	case '[':
		v->type = PTO__JSON_ARRAY;
		return parse_container(ps, v, 0);
	case '"':
		v->type = PTO__JSON_STRING;
		return parse_string(ps, &v->str, &v->len);
	case 't':
		v->type = PTO__JSON_BOOL;
		v->boolean = 1;
		return parse_literal(ps, "true");
	case 'f':
		v->type = PTO__JSON_BOOL;
		return parse_literal(ps, "false");
	case 'n':
		v->type = PTO__JSON_NULL;
		return parse_literal(ps, "null");
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return parse_number(ps, v);
		return fail(ps, "unexpected %s", show_char(*ps->p, b));
	}
}

static void parser_init(struct parser *ps, const char *buf, size_t len, struct pto__json_arena *a,
			struct pto__json_error *err)
{
	memset(ps, 0, sizeof(*ps));
	ps->p = buf;
	ps->end = buf + len;
	ps->line_start = buf;
	ps->line = 1;
	ps->a = a;
	ps->err = err;
	if (err)
		memset(err, 0, sizeof(*err));
}

static int expect_end(struct parser *ps)
{
	char b[8];

	skip_ws(ps);
	if (ps->p < ps->end)
		return fail(ps, "trailing %s after the document", show_char(*ps->p, b));
	return 0;
}

int pto__json_parse(const char *buf, size_t len, struct pto__json_arena *a,
		    struct pto__json **out, struct pto__json_error *err)
{
	struct parser ps;
	int rc;

	parser_init(&ps, buf, len, a, err);
	rc = parse_value(&ps, out);
	if (!rc)
		rc = expect_end(&ps);
	return rc;
}

int pto__json_parse_stream(const char *buf, size_t len, const char *array_key,
			   pto__json_elem_fn elem, pto__json_member_fn member, void *ctx,
			   struct pto__json_error *err)
{
	struct pto__json_arena a;
	struct parser ps;
	int found = 0, rc;

	pto__json_arena_init(&a);
	parser_init(&ps, buf, len, &a, err);
	skip_ws(&ps);
	if (ps.p >= ps.end || *ps.p != '{') {
		rc = fail(&ps, "expected a JSON object at the top level");
		goto out;
	}
	ps.p++;
	ps.depth = 1;
	skip_ws(&ps);
	rc = 1;
	if (ps.p < ps.end && *ps.p == '}') {
		ps.p++;
		rc = 0;
	}
	while (rc > 0) {
		const char *key;

		pto__json_arena_reset(&a);
		rc = parse_member_name(&ps, &key);
		if (rc)
			goto out;
		skip_ws(&ps);
		if (!strcmp(key, array_key)) {
			size_t index = 0;

			if (ps.p >= ps.end || *ps.p != '[') {
				rc = fail(&ps, "\"%s\" is not an array", array_key);
				goto out;
			}
			found = 1;
			ps.p++;
			skip_ws(&ps);
			rc = 1;
			if (ps.p < ps.end && *ps.p == ']') {
				ps.p++;
				rc = 0;
			}
			while (rc > 0) {
				struct pto__json *v;

				pto__json_arena_reset(&a);
				rc = parse_value(&ps, &v);
				if (rc)
					goto out;
				if (elem) {
					rc = elem(ctx, v, index);
					if (rc)
						goto out;
				}
				index++;
				rc = next_elem(&ps, ']');
			}
			if (rc)
				goto out;
		} else {
			struct pto__json *v;

			rc = parse_value(&ps, &v);
			if (rc)
				goto out;
			v->key = key;
			if (member) {
				rc = member(ctx, key, v);
				if (rc)
					goto out;
			}
		}
		rc = next_elem(&ps, '}');
	}
	if (rc)
		goto out;
	rc = expect_end(&ps);
	if (!rc && !found)
		rc = fail(&ps, "no \"%s\" array in the top-level object", array_key);
out:
	pto__json_arena_free(&a);
	return rc;
}

const struct pto__json *pto__json_get(const struct pto__json *obj, const char *key)
{
	if (!obj || obj->type != PTO__JSON_OBJECT)
		return NULL;
	for (const struct pto__json *m = obj->child; m; m = m->next)
		if (!strcmp(m->key, key))
			return m;
	return NULL;
}

int64_t pto__json_int(const struct pto__json *v, int64_t def)
{
	if (!v || v->type != PTO__JSON_NUMBER)
		return def;
	return v->i;
}

const char *pto__json_string(const struct pto__json *v, const char *def)
{
	if (!v || v->type != PTO__JSON_STRING)
		return def;
	return v->str;
}

int pto__json_read_file(const char *path, char **buf, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *b = NULL;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (!b || n + 1 >= cap) {
			char *nb;

			if (b)
				cap *= 2;
			nb = realloc(b, cap);
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			b = nb;
		}
		ssize_t r = read(fd, b + n, cap - n - 1);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (rc) {
		free(b);
		return rc;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

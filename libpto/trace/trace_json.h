/* SPDX-License-Identifier: MIT */
/* trace_json.h - the JSON exporter behind pto_trace_write().  Internal. */
#ifndef PTO_TRACE_TRACE_JSON_H
#define PTO_TRACE_TRACE_JSON_H

#include "libpto/trace/trace.h"

/*
 * Write @tr as Chrome/Perfetto JSON to @path (format: docs/tracing.md).
 * Return: 0, or -errno of the failing file operation / -ENOMEM, with the
 * message recorded.
 */
int pto__trace_write_json(const struct pto_trace *tr, const char *path);
/* The same, naming the process lanes after @device ("pto host (a)") unless NULL or "mock". */
int pto__trace_write_json_named(const struct pto_trace *tr, const char *device,
				const char *path);

/*
 * Several runs in one file on one time axis (the earliest start): trace i
 * gets processes 2i+1 (host) and 2i+2 (device), named after @names[i].
 */
int pto__trace_write_json_multi(const struct pto_trace *const *trs, const char *const *names,
				uint32_t n, const char *path);

#endif /* PTO_TRACE_TRACE_JSON_H */

// SPDX-License-Identifier: MIT
/* trace.c - one trace of every device of a group (pto_group_trace_write()). */
#include <errno.h>

#include "libpto/api.h"
#include "libpto/error_impl.h"
#include "libpto/host/group_impl.h"
#include "libpto/core/run.h"
#include "libpto/trace/trace_json.h"
#include "pto/host.h"

PTO_API int pto_group_trace_write(const struct pto_group *g, const char *path)
{
	const struct pto_trace *trs[PTO_GROUP_MAX_DEVICES];
	const char *names[PTO_GROUP_MAX_DEVICES];

	if (!g)
		return pto__fail(-EINVAL, "pto_group_trace_write: NULL group");
	if (!path || !*path)
		return pto__fail(-EINVAL, "pto_group_trace_write: path is NULL or empty");
	for (uint32_t d = 0; d < g->n; d++) {
		trs[d] = pto__trace_last(g->dev[d].rt);
		if (!trs[d])
			return pto__fail(-EINVAL, "pto_group_trace_write: device %u (%s) has no "
					 "trace: runtimes created without PTO_RT_TRACE, or it ran "
					 "no program", d, g->dev[d].info.name);
		names[d] = g->dev[d].info.name;
	}
	return pto__trace_write_json_multi(trs, names, g->n, path);
}

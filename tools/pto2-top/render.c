// SPDX-License-Identifier: MIT
/*
 * render.c - a sample as text (the live screen, or plain frames when stdout
 * is not a terminal) and as the --json object (schema in docs/device.md).
 */
#include <stdio.h>
#include <string.h>

#include "tools/pto2-top/top.h"

#define MIB	(1024.0 * 1024.0)

static double pct(double num, double den)
{
	return den > 0 ? 100.0 * num / den : 0;
}

/* Cluster @cl's three shares: AIC, AIV lane 0, AIV lane 1. */
static void cluster_busy(const struct top_dev *d, uint32_t cl, double out[3])
{
	out[0] = d->busy[PTO2_AIC_CORE(cl)];
	out[1] = d->busy[PTO2_AIV_CORE(d->clusters, cl, 0)];
	out[2] = d->busy[PTO2_AIV_CORE(d->clusters, cl, 1)];
}

static void text_procs(FILE *f, const struct top_dev *d)
{
	fprintf(f, "  processes: ");
	if (!d->num_procs)
		fprintf(f, "none");
	for (uint32_t i = 0; i < d->num_procs; i++)
		fprintf(f, "%s%d %s", i ? ", " : "", d->procs[i].pid, d->procs[i].comm);
	if (d->procs_partial)
		fprintf(f, " (others' processes not readable)");
	fprintf(f, "\n");
}

static void text_rings(FILE *f, const struct top_dev *d)
{
	if (!d->rings_ok) {
		fprintf(f, "  rings:     unavailable: %s\n", d->rings_why);
		return;
	}
	if (!d->num_rt)
		fprintf(f, "  rings:     no runtime\n");
	for (uint32_t i = 0; i < d->num_rt; i++) {
		const struct top_rt *rt = &d->rt[i];

		fprintf(f, "  runtime @0x%llx run %llu  live tasks/window:",
			(unsigned long long)rt->addr, (unsigned long long)rt->run_seq);
		for (int r = 0; r < PTO2_NUM_RINGS; r++)
			fprintf(f, "  r%d %llu/%u", r, (unsigned long long)(rt->cur[r] - rt->la[r]),
				rt->window[r]);
		fprintf(f, "\n");
	}
}

static void text_busy(FILE *f, const struct top_dev *d)
{
	double aic = 0, aiv = 0;

	if (!d->busy_ok) {
		fprintf(f, "  busy:      unavailable: %s\n", d->busy_why);
		return;
	}
	if (!d->rate_ok) {
		fprintf(f, "  busy:      (after the first interval)\n");
		return;
	}
	for (uint32_t c = 0; c < d->cores; c++)
		*(PTO2_CORE_TYPE(d->clusters, c) == PTO2_CORE_AIC ? &aic : &aiv) += d->busy[c];
	fprintf(f, "  busy:      AIC %5.1f%%  AIV %5.1f%%   per cluster: AIC AIV0 AIV1 %%\n",
		pct(aic, d->clusters), pct(aiv, 2.0 * d->clusters));
	for (uint32_t cl = 0; cl < d->clusters; cl++) {
		double b[3];

		cluster_busy(d, cl, b);
		fprintf(f, "%s c%02u %3.0f %3.0f %3.0f", cl % 4 ? "  " : "   ", cl,
			100 * b[0], 100 * b[1], 100 * b[2]);
		if (cl % 4 == 3 || cl + 1 == d->clusters)
			fprintf(f, "\n");
	}
}

void top_render_text(FILE *f, const struct top_sample *s, double interval_s)
{
	fprintf(f, "pto2-top - every %.2fs - %u device%s\n", interval_s, s->num_devs,
		s->num_devs == 1 ? "" : "s");
	if (!s->num_devs)
		fprintf(f, "no pto2 device\n");
	for (uint32_t i = 0; i < s->num_devs; i++) {
		const struct top_dev *d = &s->devs[i];

		fprintf(f, "\n%s  %s  %s  %s: %u clusters, %u cores", d->name, d->dev_name, d->spec,
			d->platform, d->clusters, d->cores);
		if (d->workers)
			fprintf(f, ", %u workers", d->workers);
		fprintf(f, "\n");
		text_procs(f, d);
		fprintf(f, "  memory:    %.1f MiB used of %.1f MiB (%.1f%%)\n", d->mem_used / MIB,
			d->mem_size / MIB, pct((double)d->mem_used, (double)d->mem_size));
		if (d->opens >= 0)
			fprintf(f, "  module:    %lld open files, %lld objects, %lld mappings, emulator %s\n",
				d->opens, d->objects, d->mappings,
				d->attached > 0 ? "attached" : "not attached");
		if (d->rate_ok)
			fprintf(f, "  tasks/s:   %.0f\n", d->tasks_per_s);
		else
			fprintf(f, "  tasks/s:   (after the first interval)\n");
		text_rings(f, d);
		text_busy(f, d);
	}
}

/* @str as a JSON string. */
static void json_str(FILE *f, const char *str)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_part(FILE *f, const char *key, int ok, const char *why)
{
	fprintf(f, "\"%s\":{\"available\":%s", key, ok ? "true" : "false");
	if (!ok) {
		fprintf(f, ",\"reason\":");
		json_str(f, why);
	}
}

static void json_dev(FILE *f, const struct top_dev *d)
{
	fprintf(f, "{\"name\":");
	json_str(f, d->name);
	fprintf(f, ",\"kind\":\"%s\",\"path\":", d->kind);
	json_str(f, d->path);
	fprintf(f, ",\"device\":");
	json_str(f, d->dev_name);
	fprintf(f, ",\"spec\":");
	json_str(f, d->spec);
	fprintf(f, ",\"platform\":");
	json_str(f, d->platform);
	fprintf(f, ",\"clusters\":%u,\"cores\":%u,\"workers\":%u", d->clusters, d->cores,
		d->workers);
	fprintf(f, ",\"processes\":[");
	for (uint32_t i = 0; i < d->num_procs; i++) {
		fprintf(f, "%s{\"pid\":%d,\"comm\":", i ? "," : "", d->procs[i].pid);
		json_str(f, d->procs[i].comm);
		fprintf(f, "}");
	}
	fprintf(f, "],\"processes_complete\":%s", d->procs_partial ? "false" : "true");
	fprintf(f, ",\"memory\":{\"total\":%llu,\"used\":%llu}", (unsigned long long)d->mem_size,
		(unsigned long long)d->mem_used);
	if (d->opens >= 0)
		fprintf(f, ",\"module\":{\"opens\":%lld,\"objects\":%lld,\"mappings\":%lld,\"attached\":%s}",
			d->opens, d->objects, d->mappings, d->attached > 0 ? "true" : "false");
	fprintf(f, ",\"tasks\":%llu,\"tasks_per_s\":", (unsigned long long)d->tasks);
	if (d->rate_ok)
		fprintf(f, "%.1f", d->tasks_per_s);
	else
		fprintf(f, "null");
	fprintf(f, ",");
	json_part(f, "busy", d->busy_ok && d->rate_ok, d->busy_ok ? "no previous sample" : d->busy_why);
	if (d->busy_ok && d->rate_ok) {
		fprintf(f, ",\"cores\":[");
		for (uint32_t c = 0; c < d->cores; c++)
			fprintf(f, "%s%.4f", c ? "," : "", d->busy[c]);
		fprintf(f, "],\"clusters\":[");
		for (uint32_t cl = 0; cl < d->clusters; cl++) {
			double b[3];

			cluster_busy(d, cl, b);
			fprintf(f, "%s%.4f", cl ? "," : "", (b[0] + b[1] + b[2]) / 3);
		}
		fprintf(f, "]");
	}
	fprintf(f, "},");
	json_part(f, "rings", d->rings_ok, d->rings_why);
	if (d->rings_ok) {
		fprintf(f, ",\"runtimes\":[");
		for (uint32_t i = 0; i < d->num_rt; i++) {
			const struct top_rt *rt = &d->rt[i];

			fprintf(f, "%s{\"addr\":%llu,\"run_seq\":%llu,\"rings\":[", i ? "," : "",
				(unsigned long long)rt->addr, (unsigned long long)rt->run_seq);
			for (int r = 0; r < PTO2_NUM_RINGS; r++)
				fprintf(f, "%s{\"current_task_index\":%llu,\"last_task_alive\":%llu,"
					"\"live\":%llu,\"task_window\":%u,\"occupancy\":%.4f,"
					"\"heap_top\":%llu,\"heap_size\":%llu}", r ? "," : "",
					(unsigned long long)rt->cur[r], (unsigned long long)rt->la[r],
					(unsigned long long)(rt->cur[r] - rt->la[r]), rt->window[r],
					(double)(rt->cur[r] - rt->la[r]) / rt->window[r],
					(unsigned long long)rt->heap_top[r],
					(unsigned long long)rt->heap_size[r]);
			fprintf(f, "]}");
		}
		fprintf(f, "]");
	}
	fprintf(f, "}}");
}

void top_render_json(FILE *f, const struct top_sample *s, double interval_s)
{
	fprintf(f, "{\"schema\":\"pto2-top/1\",\"interval_s\":%.3f,\"time_ns\":%llu,\"devices\":[",
		interval_s, (unsigned long long)s->t_ns);
	for (uint32_t i = 0; i < s->num_devs; i++) {
		if (i)
			fputc(',', f);
		json_dev(f, &s->devs[i]);
	}
	fprintf(f, "]}\n");
}

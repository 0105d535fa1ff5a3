// SPDX-License-Identifier: MIT
/*
 * pto2-load - load, unload and inspect the pto2 kernel module with libkmod.
 *
 *   pto2-load insert PATH.ko [param=value ...]
 *   pto2-load remove [NAME]          (default: pto2)
 *   pto2-load status [NAME]
 *   pto2-load --help | --version
 *
 * Exit status (tools/cli/cli.h): 0 on success; 2 for bad usage or input (a
 * module file that is missing, unreadable or not a module for this kernel,
 * module parameters the kernel refuses); 1 when the operation failed (busy,
 * already loaded, not loaded, not permitted, ...) and for `status` of a
 * module that is not loaded.  Errors are printed in words.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libkmod.h>

#include "tools/cli/cli.h"

#define DEFAULT_MODULE "pto2"

static void usage(FILE *f)
{
	fprintf(f, "Usage: pto2-load insert PATH.ko [param=value ...]\n"
		   "  or:  pto2-load remove [NAME]\n"
		   "  or:  pto2-load status [NAME]\n"
		   "  or:  pto2-load --help | --version\n"
		   "NAME: the module's name (default %s).\n"
		   "exit status: 0 done (status: loaded); 1 the operation failed (busy, already\n"
		   "loaded, not loaded, not permitted; status: not loaded); 2 bad usage, or a\n"
		   "module file or parameters that are wrong\n", DEFAULT_MODULE);
}

/* What a failed insert means, in the words insmod(8) uses. */
static const char *insert_error(int err)
{
	switch (err) {
	case ENOEXEC:
		return "invalid module format (built for another kernel?)";
	case ENOENT:
		return "unknown symbol in module, or missing file";
	case ESRCH:
		return "module has a wrong symbol version";
	case EEXIST:
		return "module already loaded";
	case EINVAL:
		return "invalid module parameters (see dmesg)";
	case EPERM:
		return "operation not permitted (needs CAP_SYS_MODULE)";
	case EBUSY:
		return "device or resource busy";
	case ENOMEM:
		return "out of memory";
	default:
		return strerror(err);
	}
}

static int join_params(int argc, char **argv, char **out)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return -ENOMEM;
	for (i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	*out = s;
	return 0;
}

static int do_insert(struct kmod_ctx *ctx, const char *path, int argc, char **argv)
{
	struct kmod_module *mod = NULL;
	char *params = NULL;
	int ret;

	if (access(path, R_OK) != 0) {
		ret = -errno;
		fprintf(stderr, "pto2-load: %s: %s\n", path, strerror(-ret));
		return ret;
	}
	ret = join_params(argc, argv, &params);
	if (ret)
		goto out;
	ret = kmod_module_new_from_path(ctx, path, &mod);
	if (ret < 0) {
		fprintf(stderr, "pto2-load: %s: %s\n", path, strerror(-ret));
		goto out;
	}
	ret = kmod_module_insert_module(mod, 0, params);
	if (ret < 0) {
		fprintf(stderr, "pto2-load: cannot insert %s: %s\n", path, insert_error(-ret));
		goto out;
	}
	printf("pto2-load: inserted %s (%s)%s%s\n", kmod_module_get_name(mod), path,
	       *params ? " with " : "", params);
out:
	kmod_module_unref(mod);
	free(params);
	return ret;
}

static int do_remove(struct kmod_ctx *ctx, const char *name)
{
	struct kmod_module *mod = NULL;
	int ret, refs;

	ret = kmod_module_new_from_name(ctx, name, &mod);
	if (ret < 0) {
		fprintf(stderr, "pto2-load: %s: %s\n", name, strerror(-ret));
		return ret;
	}
	if (kmod_module_get_initstate(mod) < 0) {
		fprintf(stderr, "pto2-load: cannot remove %s: module is not loaded\n", name);
		ret = -ENOENT;
		goto out;
	}
	/*
	 * The kernel answers EWOULDBLOCK for a module with references; ask
	 * first, so the caller gets the honest "busy" and a count.
	 */
	refs = kmod_module_get_refcnt(mod);
	if (refs > 0) {
		fprintf(stderr, "pto2-load: cannot remove %s: module is busy "
			"(%d references: open files or mappings)\n", name, refs);
		ret = -EBUSY;
		goto out;
	}
	ret = kmod_module_remove_module(mod, KMOD_REMOVE_NOWAIT);
	if (ret == -EWOULDBLOCK)
		ret = -EBUSY;
	if (ret < 0) {
		fprintf(stderr, "pto2-load: cannot remove %s: %s\n", name,
			ret == -EBUSY ? "module is busy" : strerror(-ret));
		goto out;
	}
	printf("pto2-load: removed %s\n", name);
out:
	kmod_module_unref(mod);
	return ret;
}

static void print_params(const char *name)
{
	char dir[256], path[512], val[256];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/module/%s/parameters", name);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(val, sizeof(val), f)) {
			val[strcspn(val, "\n")] = 0;
			printf("  param %s=%s\n", de->d_name, val);
		}
		fclose(f);
	}
	closedir(d);
}

static int do_status(struct kmod_ctx *ctx, const char *name)
{
	static const char *const states[] = {
		[KMOD_MODULE_BUILTIN] = "builtin",
		[KMOD_MODULE_LIVE] = "live",
		[KMOD_MODULE_COMING] = "coming",
		[KMOD_MODULE_GOING] = "going",
	};
	struct kmod_module *mod = NULL;
	int ret, state;

	ret = kmod_module_new_from_name(ctx, name, &mod);
	if (ret < 0) {
		fprintf(stderr, "pto2-load: %s: %s\n", name, strerror(-ret));
		return ret;
	}
	state = kmod_module_get_initstate(mod);
	if (state < 0) {
		printf("%s: not loaded\n", name);
		ret = -ENOENT;
		goto out;
	}
	printf("%s: %s, %d references, %ld bytes\n", name,
	       state < (int)(sizeof(states) / sizeof(states[0])) ? states[state] : "?",
	       kmod_module_get_refcnt(mod), kmod_module_get_size(mod));
	print_params(name);
	ret = 0;
out:
	kmod_module_unref(mod);
	return ret;
}

/* The exit status of a failed insert: the file or its parameters are bad input. */
static int insert_status(int ret)
{
	switch (-ret) {
	case ENOENT:	/* the file (checked first) or an unknown symbol: a wrong module */
	case EACCES:
	case EISDIR:
	case ENOEXEC:
	case ESRCH:
	case EINVAL:
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_FAIL;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_OPTIONS_COMMON,
		{ NULL, 0, NULL, 0 },
	};
	const char *null_config = NULL;
	struct kmod_ctx *ctx;
	const char *cmd, *name;
	int ret, nargs;

	cli_init("pto2-load", usage);
	/* "+": options only before the command; module parameters are operands */
	while (cli_next(argc, argv, "+:h", longopts) != -1)
		;
	argc -= optind;
	argv += optind;
	if (argc < 1)
		cli_usage_error("no command given (insert, remove or status)");
	cmd = argv[0];
	nargs = argc - 1;
	if (!strcmp(cmd, "insert") && nargs < 1)
		cli_usage_error("insert needs the module file (PATH.ko)");
	if ((!strcmp(cmd, "remove") || !strcmp(cmd, "status")) && nargs > 1)
		cli_usage_error("%s takes at most one module name, got '%s' too", cmd, argv[2]);
	if (strcmp(cmd, "insert") && strcmp(cmd, "remove") && strcmp(cmd, "status"))
		cli_usage_error("unknown command '%s' (insert, remove or status)", cmd);
	/* an empty config list: no modprobe.d, aliases or blacklists */
	ctx = kmod_new(NULL, &null_config);
	if (!ctx) {
		cli_error("cannot create a libkmod context");
		return CLI_EXIT_FAIL;
	}

	name = nargs >= 1 ? argv[1] : DEFAULT_MODULE;
	if (!strcmp(cmd, "insert")) {
		ret = do_insert(ctx, argv[1], nargs - 1, argv + 2);
		ret = ret < 0 ? insert_status(ret) : 0;
	} else if (!strcmp(cmd, "remove")) {
		ret = do_remove(ctx, name) < 0 ? CLI_EXIT_FAIL : 0;
	} else {
		ret = do_status(ctx, name) < 0 ? CLI_EXIT_FAIL : 0;
	}
	kmod_unref(ctx);
	return ret;
}

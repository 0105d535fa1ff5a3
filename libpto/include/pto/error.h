/* SPDX-License-Identifier: MIT */
/*
 * pto/error.h - status codes and error messages of libpto.
 *
 * Every libpto call that can fail returns 0 (or a non-negative value) on
 * success and a negative status on failure: a negated errno value for
 * generic failures, or one of the PTO_E* codes below for runtime-specific
 * ones.  The failing call also records a message naming what was wrong
 * (the argument, the task, the kernel, the core or the ring involved); read
 * it with pto_last_error() on the same thread.
 */
#ifndef PTO_ERROR_H
#define PTO_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

enum pto_status {
	PTO_OK = 0,
	/* runtime-specific codes live below the errno range */
	PTO_E_SCOPE_DEADLOCK = -1001,	/* a scope can never fit its ring */
	PTO_E_RING_STALL = -1002,	/* back-pressure made no progress */
	PTO_E_KERNEL_FAILED = -1003,	/* a kernel returned an error */
	PTO_E_CORE_HANG = -1004,	/* a core never finished a task */
	PTO_E_SYNC_START = -1005,	/* sync-start task can never fit */
	PTO_E_DEP_POOL = -1006,		/* dependency pool exhausted */
	PTO_E_ABORTED = -1007,		/* run stopped by an earlier error */
	PTO_E_MANUAL_SCOPE = -1008,	/* misuse of a manual scope */
	PTO_E_TENSOR_WAIT = -1009,	/* blocking tensor access timed out */
	PTO_E_NO_KERNEL = -1010,	/* reserved: unregistered ids are -EINVAL at submit */
	/*
	 * Misuses of scopes and explicit edges, one code each so a program can
	 * tell them apart (PTO_E_MANUAL_SCOPE stays for an edge declared
	 * outside any manual scope in AUTO mode).
	 */
	PTO_E_NESTED_MANUAL = -1020,	/* a scope opened inside a manual scope */
	PTO_E_SELF_DEP = -1021,		/* a task made to depend on itself */
	PTO_E_DEP_SCOPE = -1022,	/* edge consumer not a task of the current scope */
	PTO_E_DEP_PUBLISHED = -1023,	/* edge consumer already published */
	PTO_E_MANUAL_BLOCKING = -1024,	/* blocking tensor access inside a manual scope */
	PTO_E_WAIT_UNPUBLISHED = -1025,	/* blocking access would wait for an unpublished task */
	PTO_E_RUN_STALL = -1011,	/* after the orchestration returned, no task completed */
	PTO_E_HAZARD = -1030,		/* unordered write after a live read/write (hazards=check) */
	/* several devices and ranks (pto/host.h, libpto-mpi; docs/scale-out.md) */
	PTO_E_REMOTE = -1301,		/* another device or rank of the workload failed */
	PTO_E_WAIT_TIMEOUT = -1302,	/* a wait for another device or rank hit its backstop */
	PTO_E_TRANSFER = -1303,		/* moving a buffer between devices or ranks failed */
};

/**
 * pto_strerror() - a short description of a status code.
 * @status: a value returned by a libpto call.
 *
 * Return: a static string; never NULL, also for unknown codes.
 */
const char *pto_strerror(int status);

/**
 * pto_last_error() - the message of the last failure on this thread.
 *
 * Return: a thread-local string naming what was wrong in the most recent
 * libpto call on this thread that failed; "" if none failed yet.  Valid
 * until the next failing libpto call on this thread.
 */
const char *pto_last_error(void);

/**
 * pto_error_set() - record a failure for pto_last_error() on this thread.
 * @status: the status to return.
 * @fmt: printf format of the message naming what was wrong.
 *
 * For libraries layered on libpto (libpto-mpi), so their callers read one
 * pto_last_error().  The arguments may include pto_last_error() itself, to
 * wrap the cause ("opening the device: %s"): the message is formatted
 * before it replaces the old one.
 *
 * Return: @status.
 */
int pto_error_set(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* PTO_ERROR_H */

/* SPDX-License-Identifier: MIT */
/*
 * regs.h - ordered access to register-window fields, shared by the core
 * executor (runtime/) and the schedulers (libpto/).  Internal.
 *
 * Pairing, as in io_uring: the scheduler writes the dispatch payload, then
 * reg_store_release(DATA_MAIN_BASE); the core reg_load_acquire()s it before
 * reading the payload.  The core writes status and timestamps, then
 * reg_store_release(COND); the scheduler reg_load_acquire()s COND before
 * reading them.
 */
#ifndef PTO_RUNTIME_REGS_H
#define PTO_RUNTIME_REGS_H

#include <stdint.h>

#define reg_load_acquire(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define reg_load_relaxed(p)		__atomic_load_n((p), __ATOMIC_RELAXED)
#define reg_store_release(p, v)		__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define reg_store_relaxed(p, v)		__atomic_store_n((p), (v), __ATOMIC_RELAXED)

#endif /* PTO_RUNTIME_REGS_H */

/* SPDX-License-Identifier: MIT */
/* api.h - marks the functions libpto.so exports (everything else is hidden). */
#ifndef PTO_API_H
#define PTO_API_H

#define PTO_API __attribute__((visibility("default")))

#endif /* PTO_API_H */

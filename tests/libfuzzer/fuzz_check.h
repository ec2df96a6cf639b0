/* SPDX-License-Identifier: GPL-2.0 */
/* fuzz_check.h - the libFuzzer targets' invariant check: a failed condition
 * names itself and aborts, which libFuzzer reports with the input. */
#ifndef TIU_FUZZ_CHECK_H
#define TIU_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                     \
	do {                                                                         \
		if (!(c)) {                                                          \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #c);      \
			abort();                                                     \
		}                                                                    \
	} while (0)

#endif

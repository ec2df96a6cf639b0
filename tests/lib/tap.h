/* SPDX-License-Identifier: GPL-2.0 */
/* tap.h - TAP output for the C tests (read by prove). */
#ifndef TIU_TEST_TAP_H
#define TIU_TEST_TAP_H

/* One test line: "ok N - ..." or "not ok N - ...". */
void tap(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "ok N - name # SKIP why" */
void tap_skip(const char *name, const char *why);
/* Print the plan ("1..N") and return the exit code: 1 if any test failed. */
int tap_done(void);

#endif

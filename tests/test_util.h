/* A few assertion helpers for the C unit tests. A failed check prints where
 * and what, and the test goes on to report every failure; main() returns
 * test_result(). Exit code 77 means "skipped" to meson. */
#pragma once

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"

static int test_failures __attribute__((unused));

#define TEST_FAIL(...) do { \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
        fprintf(stderr, __VA_ARGS__); \
        fputc('\n', stderr); \
        test_failures++; \
    } while (0)

#define CHECK(cond) do { if (!(cond)) TEST_FAIL("check failed: %s", #cond); } while (0)

#define CHECK_INT_EQ(a, b) do { \
        long long a_ = (long long) (a), b_ = (long long) (b); \
        if (a_ != b_) TEST_FAIL("%s == %lld, expected %s == %lld", #a, a_, #b, b_); \
    } while (0)

#define CHECK_STR_EQ(a, b) do { \
        const char *a_ = (a), *b_ = (b); \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) \
            TEST_FAIL("%s is \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    } while (0)

static inline int
test_result(void)
{
    if (test_failures)
        fprintf(stderr, "%d check(s) failed\n", test_failures);
    return test_failures ? 1 : 0;
}

/* Path of a file under tests/data, from the source tree. */
#define TEST_DATA_DIR SRCDIR "/tests/data"

/* Expected files: read, write, compare (REGENERATE=1 rewrites them). */
static inline char *
test_read_file(const char *path)
{
    FILE *f = fopen(path, "re");
    char *data = NULL;
    size_t len = 0, cap = 0, n;

    if (!f)
        return NULL;
    do {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            data = xrealloc(data, cap);
        }
        n = fread(data + len, 1, cap - len - 1, f);
        len += n;
    } while (n > 0);
    data[len] = '\0';
    fclose(f);
    return data;
}

static inline void
test_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");

    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        TEST_FAIL("cannot write %s", path);
}

/* Compares @got with the file at @path; REGENERATE=1 rewrites the file. */
static inline void
test_compare_file(const char *what, const char *path, const char *got)
{
    char *expected;

    if (getenv("REGENERATE"))
        test_write_file(path, got);
    expected = test_read_file(path);
    if (!expected)
        TEST_FAIL("%s: cannot read %s", what, path);
    else if (strcmp(expected, got) != 0)
        TEST_FAIL("%s: output differs from %s:\n%s", what, path, got);
    free(expected);
}

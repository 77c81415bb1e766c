/* Reading and writing expected files for the virtnetworkd unit tests. */
#pragma once

#include <stdio.h>
#include <string.h>

#include "macros.h"
#include "test_util.h"

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

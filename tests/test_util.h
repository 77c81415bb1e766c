/* A few assertion helpers for the C unit tests. A failed check prints where
 * and what, and the test goes on to report every failure; main() returns
 * test_result(). Exit code 77 means "skipped" to meson. */
#pragma once

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
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

/* Round trips of a definition type over a folder of tests/data: NAME.xml is
 * parsed (and its generated values pinned) and formatted, and compared with
 * NAME.out.xml, or with NAME.xml itself when it is canonical; the output
 * must then parse and format to itself again. A failing case has NAME.err:
 * the expected code, a newline, the message, a newline. REGENERATE=1
 * rewrites the expected files. Every definition type's test uses these. */
/* Parse @xml into an opaque definition, format it, free it. */
typedef int (*RtParse)(const char *xml, void **ret, Error *error);
typedef char *(*RtFormat)(void *def);
typedef void (*RtFree)(void *def);

typedef struct RtOps {
    const char *dir;
    RtParse parse;
    RtFormat format;
    RtFree free;
    void (*pin)(void *def);   /* may be NULL: pins generated values (UUIDs, MACs) */
    const char *fail_prefix;  /* may be NULL: failing cases are PREFIXNAME.xml/.err */
} RtOps;

/* Defines @var, the RtOps of definitions of type @Type: @parse_call is
 * the parse with `xml`, `def` (a Type ** to fill) and `error` in scope,
 * @format_call the format of `d` (a Type *), @free_fn the free; the rest
 * initializes the other fields (.dir, .pin, .fail_prefix). */
#define RT_DEFINE_OPS(var, Type, parse_call, format_call, free_fn, ...) \
    static int \
    var##_parse(const char *xml, void **ret, Error *error) \
    { \
        Type *def_ = NULL, **def = &def_; \
        int r_ = (parse_call); \
        *ret = def_; \
        return r_; \
    } \
    static char * \
    var##_format(void *obj_) \
    { \
        Type *d = obj_; \
        return (format_call); \
    } \
    static void \
    var##_free(void *obj_) \
    { \
        free_fn(obj_); \
    } \
    static const RtOps var = { .parse = var##_parse, .format = var##_format, \
                               .free = var##_free, __VA_ARGS__ }

static inline bool
rt_regenerate(void)
{
    const char *r = getenv("REGENERATE");

    return r && *r && !STREQ(r, "0");
}

static inline void
rt_round_trip(const RtOps *ops, const char *name)
{
    auto_cleanup(free_ptr) char *in_path = xasprintf("%s/%s.xml", ops->dir, name);
    auto_cleanup(free_ptr) char *out_path = xasprintf("%s/%s.out.xml", ops->dir, name);
    auto_cleanup(free_ptr) char *input = test_read_file(in_path);
    auto_cleanup(free_ptr) char *expected = NULL;
    auto_cleanup(free_ptr) char *out = NULL;
    auto_cleanup(free_ptr) char *out2 = NULL;
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    void *def = NULL, *def2 = NULL;

    if (!input) {
        TEST_FAIL("%s: cannot read %s", name, in_path);
        return;
    }
    /* Blank lines at the end of a file are not part of the document. */
    for (size_t len = strlen(input); len > 1 && input[len - 1] == '\n' &&
         input[len - 2] == '\n'; len--)
        input[len - 1] = '\0';
    if (ops->parse(input, &def, &error) < 0) {
        TEST_FAIL("%s: parse failed: %d %s", name, error.code, error.message);
        return;
    }
    if (ops->pin)
        ops->pin(def);
    out = ops->format(def);
    ops->free(def);
    if (rt_regenerate()) {
        if (STREQ(out, input))
            unlink(out_path);
        else
            test_write_file(out_path, out);
    }
    expected = test_read_file(out_path);
    if (!expected)
        expected = xstrdup(input);
    if (!STREQ(out, expected))
        TEST_FAIL("%s: output differs from %s:\n%s", name,
                  access(out_path, F_OK) == 0 ? out_path : in_path, out);
    if (ops->parse(out, &def2, &error) < 0) {
        TEST_FAIL("%s: parse of the output failed: %d %s", name, error.code, error.message);
        return;
    }
    if (ops->pin)
        ops->pin(def2);
    out2 = ops->format(def2);
    ops->free(def2);
    if (!STREQ(out, out2))
        TEST_FAIL("%s: second round trip differs:\n%s\n---\n%s", name, out, out2);
}

static inline void
rt_parse_fails(const RtOps *ops, const char *name, int code)
{
    const char *prefix = ops->fail_prefix ? ops->fail_prefix : "";
    auto_cleanup(free_ptr) char *in_path = xasprintf("%s/%s%s.xml", ops->dir, prefix, name);
    auto_cleanup(free_ptr) char *err_path = xasprintf("%s/%s%s.err", ops->dir, prefix, name);
    auto_cleanup(free_ptr) char *input = test_read_file(in_path);
    auto_cleanup(free_ptr) char *expected = NULL;
    auto_cleanup(free_ptr) char *got = NULL;
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    void *def = NULL;
    int r;

    if (!input) {
        TEST_FAIL("%s: cannot read %s", name, in_path);
        return;
    }
    r = ops->parse(input, &def, &error);
    if (r >= 0) {
        ops->free(def);
        TEST_FAIL("%s: parse succeeded, expected error %d", name, code);
        return;
    }
    if (r != -EINVAL && r != -ERANGE && r != -EFBIG)
        TEST_FAIL("%s: unexpected errno %d", name, r);
    got = xasprintf("%d\n%s\n", error.code, error.message);
    if (rt_regenerate())
        test_write_file(err_path, got);
    expected = test_read_file(err_path);
    if (!expected)
        TEST_FAIL("%s: no %s", name, err_path);
    else if (!STREQ(got, expected))
        TEST_FAIL("%s: error is\n%sexpected\n%s", name, got, expected);
    if (error.code != code)
        TEST_FAIL("%s: error code %d, expected %d", name, error.code, code);
}

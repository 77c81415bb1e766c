/* Round trips over a tests/data folder for the storage definitions, as in
 * tests/test_domain_def.c: NAME.xml is parsed and formatted and compared with
 * NAME.out.xml (or NAME.xml when canonical), and formatted again from its own
 * output without change. A failing case has NAME.err (code, newline,
 * message, newline). REGENERATE=1 rewrites the expected files. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "error.h"
#include "test_util.h"

/* Parse @xml into an opaque definition, format it, free it. */
typedef int (*RtParse)(const char *xml, void **ret, Error *error);
typedef char *(*RtFormat)(void *def);
typedef void (*RtFree)(void *def);

typedef struct RtOps {
    const char *dir;
    RtParse parse;
    RtFormat format;
    RtFree free;
} RtOps;

static bool
rt_regenerate(void)
{
    const char *r = getenv("REGENERATE");

    return r && *r && !STREQ(r, "0");
}

static void
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
    if (ops->parse(input, &def, &error) < 0) {
        TEST_FAIL("%s: parse failed: %d %s", name, error.code, error.message);
        return;
    }
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
    out2 = ops->format(def2);
    ops->free(def2);
    if (!STREQ(out, out2))
        TEST_FAIL("%s: second round trip differs:\n%s\n---\n%s", name, out, out2);
}

static void
rt_parse_fails(const RtOps *ops, const char *name, int code)
{
    auto_cleanup(free_ptr) char *in_path = xasprintf("%s/%s.xml", ops->dir, name);
    auto_cleanup(free_ptr) char *err_path = xasprintf("%s/%s.err", ops->dir, name);
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
    if (r != -EINVAL && r != -ERANGE)
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

/* storage_pool_def: round trips over tests/data/storage_pool_def, failure
 * cases with their messages, and the path cleaner. */
#include "config.h"
#include "test_util.h"
#include "storage_pool_def.h"

RT_DEFINE_OPS(ops, StoragePoolDef, storage_pool_def_parse(xml, def, error),
              storage_pool_def_format(d), storage_pool_def_free,
              .dir = TEST_DATA_DIR "/storage_pool_def");

static void
check_clean(const char *in, const char *out)
{
    auto_cleanup(free_ptr) char *got = storage_path_clean(in);

    if (!out)
        CHECK(got == NULL);
    else
        CHECK_STR_EQ(got, out);
}

static void
test_defaults(void)
{
    auto_cleanup(storage_pool_def_freep) StoragePoolDef *def = NULL;
    auto_cleanup(storage_pool_def_freep) StoragePoolDef *copy = NULL;
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    auto_cleanup(free_ptr) char *a = NULL;
    auto_cleanup(free_ptr) char *b = NULL;

    CHECK_INT_EQ(storage_pool_def_parse("<pool type='dir'><name>p</name><target><path>/a/b/"
                                        "</path></target></pool>", &def, &error), 0);
    if (!def)
        return;
    CHECK(def->uuid_generated);
    CHECK(!uuid_is_null(&def->uuid));
    CHECK_STR_EQ(def->target_path, "/a/b");
    CHECK_INT_EQ(def->perms.mode, -1);
    CHECK_INT_EQ(def->perms.uid, -1);
    copy = storage_pool_def_copy(def);
    a = storage_pool_def_format(def);
    b = storage_pool_def_format(copy);
    CHECK_STR_EQ(a, b);
    CHECK_STR_EQ(storage_pool_type_to_string(STORAGE_POOL_DIR), "dir");
    CHECK(storage_pool_type_to_string(_STORAGE_POOL_TYPE_MAX) == NULL);
}

int
main(void)
{
    rt_round_trip(&ops, "dir-full");
    rt_round_trip(&ops, "dir-minimal");
    rt_round_trip(&ops, "dir-live-ignored");

    rt_parse_fails(&ops, "malformed", VIR_ERR_XML_DETAIL);
    rt_parse_fails(&ops, "wrong-root", VIR_ERR_XML_ERROR);
    rt_parse_fails(&ops, "type-logical", VIR_ERR_CONFIG_UNSUPPORTED);
    rt_parse_fails(&ops, "no-name", VIR_ERR_NO_NAME);
    rt_parse_fails(&ops, "no-target", VIR_ERR_XML_ERROR);
    rt_parse_fails(&ops, "relative-path", VIR_ERR_XML_ERROR);
    rt_parse_fails(&ops, "dotdot-path", VIR_ERR_XML_ERROR);
    rt_parse_fails(&ops, "name-slash", VIR_ERR_XML_ERROR);
    rt_parse_fails(&ops, "bad-uuid", VIR_ERR_XML_ERROR);
    rt_parse_fails(&ops, "bad-mode", VIR_ERR_XML_ERROR);
    rt_parse_fails(&ops, "bad-owner", VIR_ERR_XML_ERROR);

    check_clean("/a//b/", "/a/b");
    check_clean("///", "/");
    check_clean("/a/./b", NULL);
    check_clean("/a/../b", NULL);
    check_clean("a/b", NULL);
    check_clean("/a/..b/c", "/a/..b/c");
    test_defaults();
    return test_result();
}

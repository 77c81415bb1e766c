/* storage_vol_def: round trips over tests/data/storage_vol_def, failure
 * cases with their messages (overflow, units, formats), name checks. */
#include "config.h"
#include "test_util.h"
#include "storage_vol_def.h"

RT_DEFINE_OPS(ops, StorageVolDef, storage_vol_def_parse(xml, 0, def, error),
              storage_vol_def_format(d), storage_vol_def_free,
              .dir = TEST_DATA_DIR "/storage_vol_def");

static void
test_values(void)
{
    auto_cleanup(storage_vol_def_freep) StorageVolDef *def = NULL;
    auto_cleanup(error_clear) Error error = ERROR_INIT;

    CHECK_INT_EQ(storage_vol_def_parse("<volume><name>v</name><capacity unit='KB'>3</capacity>"
                                       "</volume>", 0, &def, &error), 0);
    if (def) {
        CHECK_INT_EQ(def->capacity, 3000);
        CHECK(!def->has_allocation);
        CHECK_INT_EQ(def->allocation, 3000); /* libvirt: fully allocated by default */
        CHECK_INT_EQ(def->format, STORAGE_VOL_FORMAT_RAW);
        CHECK(def->backing_path == NULL);
    }
    storage_vol_def_free(steal_ptr(def));
    CHECK_INT_EQ(storage_vol_def_parse("<volume><name>c</name></volume>",
                                       STORAGE_VOL_DEF_PARSE_NO_CAPACITY, &def, &error), 0);
    if (def)
        CHECK(!def->has_capacity);
    storage_vol_def_free(steal_ptr(def));
    CHECK_INT_EQ(storage_vol_def_parse("<volume><name>v</name><capacity unit='EiB'>7</capacity>"
                                       "</volume>", 0, &def, &error), 0);
    if (def)
        CHECK(def->capacity == 7ULL << 60);
    storage_vol_def_free(steal_ptr(def));
    CHECK(storage_vol_def_parse("<volume><name>v</name><capacity unit='EiB'>8</capacity>"
                                "</volume>", 0, &def, &error) == -ERANGE);
    CHECK_INT_EQ(error.code, VIR_ERR_OVERFLOW);
    CHECK_INT_EQ(storage_vol_format_from_string("qcow2"), STORAGE_VOL_FORMAT_QCOW2);
    CHECK_INT_EQ(storage_vol_format_from_string("vmdk"), -1);
}

static void
check_name(const char *name, int code)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    int r = storage_vol_name_check(name, &error);

    if (code == 0) {
        CHECK_INT_EQ(r, 0);
    } else {
        CHECK_INT_EQ(r, -EINVAL);
        CHECK_INT_EQ(error.code, code);
    }
}

int
main(void)
{
    rt_round_trip(&ops, "raw-sparse");
    rt_round_trip(&ops, "raw-full");
    rt_round_trip(&ops, "qcow2-backing");
    /* Empty allocations are no value, as libvirt reads them. */
    rt_round_trip(&ops, "allocation-empty");
    rt_round_trip(&ops, "allocation-blank");

    rt_parse_fails(&ops, "malformed", VIR_ERR_XML_DETAIL);
    rt_parse_fails(&ops, "capacity-overflow", VIR_ERR_OVERFLOW);
    rt_parse_fails(&ops, "capacity-huge-number", VIR_ERR_OVERFLOW);
    rt_parse_fails(&ops, "capacity-bad-unit", VIR_ERR_INVALID_ARG);
    rt_parse_fails(&ops, "capacity-negative", VIR_ERR_XML_ERROR);
    rt_parse_fails(&ops, "no-capacity", VIR_ERR_XML_ERROR);
    rt_parse_fails(&ops, "no-name", VIR_ERR_NO_NAME);
    rt_parse_fails(&ops, "format-unknown", VIR_ERR_CONFIG_UNSUPPORTED);
    rt_parse_fails(&ops, "allocation-over", VIR_ERR_XML_ERROR);
    rt_parse_fails(&ops, "backing-relative", VIR_ERR_XML_ERROR);
    rt_parse_fails(&ops, "type-block", VIR_ERR_CONFIG_UNSUPPORTED);

    test_values();
    check_name("disk.img", 0);
    check_name("a b", 0);
    check_name("a/b", VIR_ERR_OPERATION_INVALID);
    check_name("..", VIR_ERR_OPERATION_INVALID);
    check_name("../x", VIR_ERR_OPERATION_INVALID);
    check_name(".hidden", VIR_ERR_OPERATION_INVALID);
    check_name("", VIR_ERR_INVALID_ARG);
    return test_result();
}

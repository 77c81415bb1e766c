#include <errno.h>

#include "error.h"
#include "test_util.h"

static void
test_table(void)
{
    CHECK_STR_EQ(error_code_to_name(VIR_ERR_NO_DOMAIN), "NoDomain");
    CHECK_INT_EQ(VIR_ERR_NO_DOMAIN, 42);
    CHECK_INT_EQ(VIR_ERR_OPERATION_INVALID, 55);
    CHECK_INT_EQ(VIR_ERR_XML_ERROR, 27);
    CHECK_INT_EQ(error_code_from_name("org.libvirt.Error.NoDomain"), 42);
    CHECK_INT_EQ(error_code_from_name("OperationInvalid"), 55);
    CHECK_INT_EQ(error_code_from_name("org.freedesktop.DBus.Error.Failed"), -1);
    CHECK(error_code_to_name(4242) == NULL);

    /* Every name maps back to its own code. */
#define X(sym, num, name) CHECK_INT_EQ(error_code_from_name(name), num);
    ERROR_CODES(X)
#undef X
}

static void
test_first_wins(void)
{
    Error e = ERROR_INIT;

    CHECK(!error_is_set(&e));
    CHECK_INT_EQ(error_set(&e, -ENOENT, VIR_ERR_NO_DOMAIN, "domain '%s' not found", "a"), -ENOENT);
    CHECK_INT_EQ(error_set(&e, -EINVAL, VIR_ERR_XML_ERROR, "second"), -EINVAL);
    CHECK_INT_EQ(e.code, VIR_ERR_NO_DOMAIN);
    CHECK_STR_EQ(e.message, "domain 'a' not found");
    error_clear(&e);
    CHECK(!error_is_set(&e));
    error_set_errno(&e, -ENOENT, VIR_ERR_SYSTEM_ERROR, "cannot open '%s'", "/x");
    CHECK_STR_EQ(e.message, "cannot open '/x': No such file or directory");
    error_clear(&e);
}

static void
test_bus_round_trip(void)
{
    Error e = ERROR_INIT, back = ERROR_INIT;
    sd_bus_error be = SD_BUS_ERROR_NULL;

    error_set(&e, -ENOENT, VIR_ERR_NO_DOMAIN, "no domain with matching name 'x'");
    CHECK(error_to_bus(&e, -ENOENT, &be) < 0);
    CHECK_STR_EQ(be.name, "org.libvirt.Error.NoDomain");
    CHECK_STR_EQ(be.message, "no domain with matching name 'x'");
    error_from_bus(&back, &be);
    CHECK_INT_EQ(back.code, VIR_ERR_NO_DOMAIN);
    CHECK_STR_EQ(back.message, "no domain with matching name 'x'");
    sd_bus_error_free(&be);
    error_clear(&back);

    /* A bare errno becomes InternalError. */
    CHECK(error_to_bus(NULL, -EIO, &be) < 0);
    CHECK_STR_EQ(be.name, "org.libvirt.Error.InternalError");
    sd_bus_error_free(&be);
    error_clear(&e);
}

int
main(void)
{
    test_table();
    test_first_wins();
    test_bus_round_trip();
    return test_result();
}

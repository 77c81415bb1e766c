#include "test_util.h"
#include "uuid.h"

int
main(void)
{
    char buf[UUID_STRING_LEN];
    Uuid a, b;

    CHECK_INT_EQ(uuid_parse("2f6260bf-1283-4933-aaef-fa82148537ba", &a), 0);
    CHECK_STR_EQ(uuid_format(&a, buf), "2f6260bf-1283-4933-aaef-fa82148537ba");
    /* libvirt also takes the digits without dashes, and upper case. */
    CHECK_INT_EQ(uuid_parse("2F6260BF12834933AAEFFA82148537BA", &b), 0);
    CHECK(uuid_equal(&a, &b));
    CHECK(uuid_parse("2f6260bf-1283-4933-aaef-fa82148537b", &b) < 0);
    CHECK(uuid_parse("2f6260bf-1283-4933-aaef-fa82148537baa", &b) < 0);
    CHECK(uuid_parse("2f6260bf-1283-4933-aaef-fa82148537bx", &b) < 0);
    CHECK(uuid_parse("", &b) < 0);

    uuid_generate(&a);
    uuid_generate(&b);
    CHECK(!uuid_equal(&a, &b));
    CHECK(!uuid_is_null(&a));
    CHECK_INT_EQ(a.bytes[6] >> 4, 4);
    uuid_format(&a, buf);
    CHECK_INT_EQ(uuid_parse(buf, &b), 0);
    CHECK(uuid_equal(&a, &b));
    return test_result();
}

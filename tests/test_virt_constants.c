/* Every constant of common/virt_constants.h against Debian's libvirt
 * headers (libvirt-dev), by libvirt's own name: a number that drifts from
 * libvirt's fails here. */
#include <libvirt/libvirt.h>
#include <libvirt/libvirt-qemu.h>

#include "test_util.h"
#include "virt_constants.h"

static int checked;

#define CHECK_ONE(sym, value, virname) \
    do { \
        /* As flag words: (int) (1u << 31) and libvirt's 1U << 31 agree. */ \
        if ((unsigned) (sym) != (unsigned) (virname)) \
            TEST_FAIL("%s is %u, libvirt's %s is %u", #sym, (unsigned) (sym), #virname, \
                      (unsigned) (virname)); \
        checked++; \
    } while (0);
#define CHECK_GROUP(group) group(CHECK_ONE)

int
main(void)
{
    VIRT_CONSTANT_GROUPS(CHECK_GROUP)

    /* The derived masks and the pair filter. */
    CHECK_INT_EQ(LIST_POOLS_TYPES, 0xfffc0);
    CHECK_INT_EQ(LIST_POOLS_KNOWN, 0xfffff);
    CHECK(list_flags_pair_ok(0, LIST_POOLS_ACTIVE, LIST_POOLS_INACTIVE, false));
    CHECK(list_flags_pair_ok(LIST_POOLS_ACTIVE, LIST_POOLS_ACTIVE, LIST_POOLS_INACTIVE, true));
    CHECK(!list_flags_pair_ok(LIST_POOLS_ACTIVE, LIST_POOLS_ACTIVE, LIST_POOLS_INACTIVE, false));
    CHECK(list_flags_pair_ok(LIST_POOLS_INACTIVE, LIST_POOLS_ACTIVE, LIST_POOLS_INACTIVE, false));
    CHECK(list_flags_pair_ok(LIST_POOLS_ACTIVE | LIST_POOLS_INACTIVE, LIST_POOLS_ACTIVE,
                             LIST_POOLS_INACTIVE, false));
    CHECK(list_flags_pair_ok((uint32_t) NODEDEV_LIST_ACTIVE, (uint32_t) NODEDEV_LIST_ACTIVE,
                             NODEDEV_LIST_INACTIVE, true));

    printf("%d constants checked against libvirt's headers\n", checked);
    CHECK(checked > 250);
    return test_result();
}

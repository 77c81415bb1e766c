/* Object paths: UUID paths as libvirt-dbus writes them, and names of every
 * byte value escaped into one valid path segment and back. */
#include <errno.h>
#include <systemd/sd-bus.h>

#include "object_path.h"
#include "test_util.h"

static void
test_uuid_paths(void)
{
    Uuid u, back;
    char buf[OBJECT_PATH_UUID_MAX];
    auto_cleanup(free_ptr) char *path = NULL;

    CHECK_INT_EQ(uuid_parse("0123abcd-4567-89ef-fedc-ba9876543210", &u), 0);
    path = object_path_from_uuid("/org/libvirt/QEMU/domain", &u);
    CHECK_STR_EQ(path, "/org/libvirt/QEMU/domain/_0123abcd_4567_89ef_fedc_ba9876543210");
    CHECK(sd_bus_object_path_is_valid(path));
    CHECK_INT_EQ(object_path_uuid_into("/org/libvirt/QEMU/domain", &u, buf, sizeof(buf)), 0);
    CHECK_STR_EQ(buf, path);
    CHECK_INT_EQ(object_path_uuid_into("/org/libvirt/QEMU/domain", &u, buf, 40), -ENAMETOOLONG);
    CHECK_INT_EQ(object_path_to_uuid(path, &back), 0);
    CHECK(uuid_equal(&u, &back));
    /* Upper-case digits are read; anything else is refused. */
    CHECK_INT_EQ(object_path_to_uuid("/x/_0123ABCD_4567_89EF_FEDC_BA9876543210", &back), 0);
    CHECK(uuid_equal(&u, &back));
    CHECK_INT_EQ(object_path_to_uuid("/x/0123abcd_4567_89ef_fedc_ba9876543210", &back), -EINVAL);
    CHECK_INT_EQ(object_path_to_uuid("/x/_0123abcd_4567_89ef_fedc_ba987654321", &back), -EINVAL);
    CHECK_INT_EQ(object_path_to_uuid("/x/_0123abcd_4567_89ef_fedc_ba98765432100", &back),
                 -EINVAL);
    CHECK_INT_EQ(object_path_to_uuid("/x/_0123abcd__4567_89ef_fedc_ba9876543210", &back),
                 -EINVAL);
    CHECK_INT_EQ(object_path_to_uuid("/x/_0123abcg_4567_89ef_fedc_ba9876543210", &back),
                 -EINVAL);
    CHECK_INT_EQ(object_path_to_uuid("nothing", &back), -EINVAL);
}

static void
round_trip(const char *name)
{
    auto_cleanup(free_ptr) char *seg = object_path_escape(name);
    auto_cleanup(free_ptr) char *back = object_path_unescape(seg);
    auto_cleanup(free_ptr) char *path = object_path_from_name("/org/libvirt/QEMU/nodedev", name);

    CHECK(sd_bus_object_path_is_valid(path));
    CHECK(object_path_has_prefix(path, "/org/libvirt/QEMU/nodedev"));
    CHECK_STR_EQ(back, name);
    for (const char *p = seg; *p; p++)
        CHECK((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_');
}

static void
test_names(void)
{
    char name[3] = { 0 };
    auto_cleanup(free_ptr) char *seg = NULL;

    /* Every byte value alone and beside a letter: letters and digits stay,
     * everything else (punctuation, '_', '/', '.', space, controls, UTF-8
     * bytes) is escaped. */
    for (int c = 1; c < 256; c++) {
        name[0] = (char) c;
        name[1] = '\0';
        round_trip(name);
        name[1] = 'a';
        round_trip(name);
    }
    round_trip("");
    round_trip("pci_0000_00_01_1");
    round_trip("/var/lib/libvirt/images/disk one.qcow2");
    round_trip("caf\xc3\xa9-\xe2\x82\xac");
    seg = object_path_escape("pci_0000:00.0");
    CHECK_STR_EQ(seg, "pci_5f0000_3a00_2e0");
    /* libvirt-dbus's own (virtDBusUtilEncodeStr) for node device names. */
    free(seg);
    seg = object_path_escape("pci_0000_00_1f_2");
    CHECK_STR_EQ(seg, "pci_5f0000_5f00_5f1f_5f2");
    free(seg);
    seg = object_path_escape("a-b.c");
    CHECK_STR_EQ(seg, "a_2db_2ec");
    /* Not escapes: a stray '_', a short or bad escape, an escaped NUL, '/'. */
    CHECK(object_path_unescape("a_") == NULL);
    CHECK(object_path_unescape("a_4") == NULL);
    CHECK(object_path_unescape("a_zz") == NULL);
    CHECK(object_path_unescape("a_00b") == NULL);
    CHECK(object_path_unescape("a/b") == NULL);
    CHECK(!object_path_has_prefix("/org/libvirt/QEMU/nodedev/a/b", "/org/libvirt/QEMU/nodedev"));
    CHECK(!object_path_has_prefix("/org/libvirt/QEMU/nodedevx/a", "/org/libvirt/QEMU/nodedev"));
    CHECK(!object_path_has_prefix("/org/libvirt/QEMU/nodedev/", "/org/libvirt/QEMU/nodedev"));
}

int
main(void)
{
    test_uuid_paths();
    test_names();
    return test_result();
}

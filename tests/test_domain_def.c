/* domain_def: round trips over tests/data/domain_def and unit checks.
 *
 * NAME.xml is parsed, validated and formatted (live data kept, passwords
 * kept: DOMAIN_DEF_FORMAT_SECURE) and compared with NAME.out.xml, or with
 * NAME.xml itself when there is no .out.xml; the output is then parsed and
 * formatted again and must not change. A failing case has NAME.err: the
 * expected error code, a newline, the message. REGENERATE=1 rewrites the
 * expected files. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "domain_def.h"
#include "test_util.h"
#include "xml_util.h"

#define DATA_DIR TEST_DATA_DIR "/domain_def"

/* Generated values would change from run to run: pin them for the files. */
static void
pin_generated(DomainDef *def)
{
    if (def->uuid_generated)
        uuid_parse("00000000-0000-4000-8000-000000000001", &def->uuid);
    for (size_t i = 0; i < def->n_nets; i++)
        if (def->nets[i].mac_generated)
            snprintf(def->nets[i].mac, sizeof(def->nets[i].mac), "52:54:00:00:00:%02x",
                     (unsigned) (i & 0xff));
}

static void
rt_pin_domain(void *def)
{
    pin_generated(def);
}

/* Live data kept, passwords kept. */
RT_DEFINE_OPS(domain_ops, DomainDef, domain_def_parse(xml, def, error),
              domain_def_format(d, -1, DOMAIN_DEF_FORMAT_SECURE), domain_def_free,
              .dir = DATA_DIR, .pin = rt_pin_domain);

#define TEST_ROUND_TRIP(name) rt_round_trip(&domain_ops, name)
#define TEST_PARSE_FAILS(name, code) rt_parse_fails(&domain_ops, name, code)

#define MINIMAL_HEAD "<domain type='qemu'>\n  <name>unit</name>\n"
#define MINIMAL_TAIL "  <memory unit='KiB'>65536</memory>\n" \
    "  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n  </os>\n"

static DomainDef *
parse_ok(const char *xml)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    DomainDef *def = NULL;

    if (domain_def_parse(xml, &def, &error) < 0) {
        TEST_FAIL("parse failed: %d %s", error.code, error.message);
        return NULL;
    }
    return def;
}

static void
test_uuid_generated(void)
{
    const char *xml = MINIMAL_HEAD MINIMAL_TAIL "</domain>\n";
    auto_cleanup(domain_def_freep) DomainDef *a = parse_ok(xml);
    auto_cleanup(domain_def_freep) DomainDef *b = parse_ok(xml);
    auto_cleanup(domain_def_freep) DomainDef *again = NULL;
    auto_cleanup(free_ptr) char *out = NULL;
    char buf[UUID_STRING_LEN], line[64];

    if (!a || !b)
        return;
    CHECK(a->uuid_generated);
    CHECK(!uuid_is_null(&a->uuid));
    CHECK(!uuid_equal(&a->uuid, &b->uuid));
    out = domain_def_format(a, -1, 0);
    snprintf(line, sizeof(line), "<uuid>%s</uuid>", uuid_format(&a->uuid, buf));
    CHECK(strstr(out, line) != NULL);
    /* Kept from then on: the output parses to the same UUID. */
    again = parse_ok(out);
    if (again) {
        CHECK(!again->uuid_generated);
        CHECK(uuid_equal(&again->uuid, &a->uuid));
    }
}

static void
test_mac_generated(void)
{
    const char *xml = MINIMAL_HEAD MINIMAL_TAIL
        "  <devices>\n    <interface type='user'/>\n    <interface type='user'/>\n"
        "  </devices>\n</domain>\n";
    auto_cleanup(domain_def_freep) DomainDef *a = parse_ok(xml);
    auto_cleanup(domain_def_freep) DomainDef *b = parse_ok(xml);
    auto_cleanup(free_ptr) char *out = NULL;
    auto_cleanup(free_ptr) char *line = NULL;
    char mac[18];

    if (!a || !b)
        return;
    CHECK_INT_EQ(a->n_nets, 2);
    CHECK(a->nets[0].mac_generated);
    CHECK(strncmp(a->nets[0].mac, "52:54:00:", 9) == 0);
    CHECK_INT_EQ(strlen(a->nets[0].mac), 17);
    CHECK_INT_EQ(domain_net_parse_mac(a->nets[0].mac, mac), 0);
    CHECK(!STREQ(a->nets[0].mac, b->nets[0].mac));
    CHECK(!STREQ(a->nets[0].mac, a->nets[1].mac));
    out = domain_def_format(a, -1, 0);
    line = xasprintf("<mac address='%s'/>", a->nets[0].mac);
    CHECK(strstr(out, line) != NULL);
}

static void
test_metadata_verbatim(void)
{
    const char *xml = "<domain type='qemu' xmlns:ns1='http://example.org/ns1'>\n"
        "  <name>unit</name>\n"
        "  <metadata>\n"
        "    <app1:foo xmlns:app1='http://app1.org/app1/'>fooish &amp; more</app1:foo>\n"
        "    <ns1:conf a='1'><ns1:item>x</ns1:item></ns1:conf>\n"
        "  </metadata>\n" MINIMAL_TAIL "</domain>\n";
    auto_cleanup(domain_def_freep) DomainDef *def = parse_ok(xml);
    auto_cleanup(free_ptr) char *out = NULL;

    if (!def)
        return;
    CHECK_STR_EQ(def->metadata,
                 "<app1:foo xmlns:app1=\"http://app1.org/app1/\">fooish &amp; more</app1:foo>\n"
                 "<ns1:conf xmlns:ns1=\"http://example.org/ns1\" a=\"1\">\n"
                 "  <ns1:item>x</ns1:item>\n"
                 "</ns1:conf>\n");
    out = domain_def_format(def, -1, 0);
    CHECK(strstr(out, "  <metadata>\n"
                      "    <app1:foo xmlns:app1=\"http://app1.org/app1/\">fooish &amp; more"
                      "</app1:foo>\n") != NULL);
}

static void
test_inactive(void)
{
    auto_cleanup(free_ptr) char *path = xasprintf("%s/live-status.xml", DATA_DIR);
    auto_cleanup(free_ptr) char *xml = test_read_file(path);
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    auto_cleanup(free_ptr) char *live = NULL;
    auto_cleanup(free_ptr) char *inactive = NULL;
    auto_cleanup(free_ptr) char *insecure = NULL;

    if (!xml || !(def = parse_ok(xml)))
        return;
    CHECK_INT_EQ(def->id, 7);
    live = domain_def_format(def, 7, 0);
    CHECK(strstr(live, "<domain type='kvm' id='7'>") != NULL);
    CHECK(strstr(live, "<alias name='virtio-disk0'/>") != NULL);
    CHECK(strstr(live, "<target dev='vnet3'/>") != NULL);
    CHECK(strstr(live, "tty='/dev/pts/5'") != NULL);
    CHECK(strstr(live, "port='5900' autoport='yes'") != NULL);

    inactive = domain_def_format(def, 7, DOMAIN_DEF_FORMAT_INACTIVE);
    CHECK(strstr(inactive, "<domain type='kvm'>") != NULL);
    CHECK(strstr(inactive, "<alias") == NULL);
    CHECK(strstr(inactive, "vnet3") == NULL);
    CHECK(strstr(inactive, "/dev/pts") == NULL);
    CHECK(strstr(inactive, "port='-1' autoport='yes'") != NULL);

    /* The VNC password only with DOMAIN_DEF_FORMAT_SECURE. */
    free(def->graphics[0].passwd);
    def->graphics[0].passwd = xstrdup("hunter2");
    insecure = domain_def_format(def, -1, 0);
    CHECK(strstr(insecure, "hunter2") == NULL);
    free(live);
    live = domain_def_format(def, -1, DOMAIN_DEF_FORMAT_SECURE);
    CHECK(strstr(live, "passwd='hunter2'") != NULL);
}

static void
test_copy(void)
{
    const char *names[] = { "seed-centos7u2-1", "live-status", "metadata", "features-hyperv",
                            "qemu-commandline-multi", "chardev-types" };

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        auto_cleanup(free_ptr) char *path = xasprintf("%s/%s.xml", DATA_DIR, names[i]);
        auto_cleanup(free_ptr) char *xml = test_read_file(path);
        auto_cleanup(domain_def_freep) DomainDef *def = NULL;
        auto_cleanup(domain_def_freep) DomainDef *copy = NULL;
        auto_cleanup(free_ptr) char *a = NULL;
        auto_cleanup(free_ptr) char *b = NULL;

        if (!xml || !(def = parse_ok(xml)))
            continue;
        copy = domain_def_copy(def);
        CHECK(copy != NULL && copy != def);
        if (!copy)
            continue;
        CHECK(copy->name != def->name);
        a = domain_def_format(def, 3, DOMAIN_DEF_FORMAT_SECURE);
        b = domain_def_format(copy, 3, DOMAIN_DEF_FORMAT_SECURE);
        if (!STREQ(a, b))
            TEST_FAIL("%s: copy differs:\n%s\n---\n%s", names[i], a, b);
        CHECK_INT_EQ(copy->id, def->id);
    }
}

static void
test_size_limit(void)
{
    size_t n = DOMAIN_DEF_MAX_XML_BYTES + 1;
    auto_cleanup(free_ptr) char *big = xmalloc(n + 1);
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    const char *head = MINIMAL_HEAD "<description>";

    memset(big, 'x', n);
    memcpy(big, head, strlen(head));
    big[n] = '\0';
    CHECK(domain_def_parse(big, &def, &error) == -EFBIG);
    CHECK_INT_EQ(error.code, VIR_ERR_XML_ERROR);
    CHECK_STR_EQ(error.message, "XML error: document is larger than the limit of 10485760 bytes");
}

static void
test_entity_bomb_fast(void)
{
    auto_cleanup(free_ptr) char *path = xasprintf("%s/fail-entity-bomb.xml", DATA_DIR);
    auto_cleanup(free_ptr) char *xml = test_read_file(path);
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    DomainDef *def = NULL;
    struct timespec t0, t1;
    double ms;

    if (!xml) {
        TEST_FAIL("cannot read %s", path);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 100; i++) {
        error_clear(&error);
        CHECK(domain_def_parse(xml, &def, &error) < 0);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (double) (t1.tv_sec - t0.tv_sec) * 1e3 + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6;
    /* Refused at the DOCTYPE: 100 refusals take well under a second. */
    if (ms > 1000)
        TEST_FAIL("100 entity bombs took %.0f ms", ms);
}

static void
test_helpers(void)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    unsigned long long v;
    long long s;
    bool b;
    char mac[18];
    XmlWriter w = XML_WRITER_INIT;
    auto_cleanup(free_ptr) char *text = NULL;

    CHECK(domain_def_name_is_valid("guest-1.example"));
    CHECK(!domain_def_name_is_valid(""));
    CHECK(!domain_def_name_is_valid("a/b"));
    CHECK(!domain_def_name_is_valid("."));
    CHECK(!domain_def_name_is_valid(".."));
    CHECK(!domain_def_name_is_valid("tab\there"));
    CHECK(domain_def_name_is_valid("..."));

    CHECK_INT_EQ(xml_parse_ull("42", 10, 100, &v), 0);
    CHECK_INT_EQ(v, 42);
    CHECK_INT_EQ(xml_parse_ull("0x1f", 0, 100, &v), 0);
    CHECK_INT_EQ(v, 31);
    CHECK_INT_EQ(xml_parse_ull("-1", 10, 100, &v), -EINVAL);
    CHECK_INT_EQ(xml_parse_ull("101", 10, 100, &v), -ERANGE);
    CHECK_INT_EQ(xml_parse_ull("18446744073709551616", 10, ~0ULL, &v), -ERANGE);
    CHECK_INT_EQ(xml_parse_ull("12x", 10, 100, &v), -EINVAL);
    CHECK_INT_EQ(xml_parse_ull("", 10, 100, &v), -EINVAL);
    CHECK_INT_EQ(xml_parse_ll("-5", 10, -10, 10, &s), 0);
    CHECK_INT_EQ(s, -5);
    CHECK_INT_EQ(xml_parse_ll("-11", 10, -10, 10, &s), -ERANGE);
    CHECK_INT_EQ(xml_parse_bool("on", &b), 0);
    CHECK(b);
    CHECK_INT_EQ(xml_parse_bool("no", &b), 0);
    CHECK(!b);
    CHECK_INT_EQ(xml_parse_bool("true", &b), -EINVAL);

    /* libvirt's units: KB is 1000, KiB and k are 1024. */
    v = 3;
    CHECK_INT_EQ(xml_scale_integer(&v, "KB", 1024, ~0ULL, &error), 0);
    CHECK_INT_EQ(v, 3000);
    v = 3;
    CHECK_INT_EQ(xml_scale_integer(&v, "k", 1024, ~0ULL, &error), 0);
    CHECK_INT_EQ(v, 3072);
    v = 2;
    CHECK_INT_EQ(xml_scale_integer(&v, "TiB", 1024, ~0ULL, &error), 0);
    CHECK_INT_EQ(v, 2ULL << 40);
    v = 5;
    CHECK_INT_EQ(xml_scale_integer(&v, NULL, 1024, ~0ULL, &error), 0);
    CHECK_INT_EQ(v, 5120);
    v = 1;
    CHECK_INT_EQ(xml_scale_integer(&v, "bytes", 1024, ~0ULL, &error), 0);
    CHECK_INT_EQ(v, 1);
    v = 1;
    CHECK(xml_scale_integer(&v, "KiBB", 1024, ~0ULL, &error) < 0);
    CHECK_INT_EQ(error.code, VIR_ERR_INVALID_ARG);

    CHECK_INT_EQ(domain_net_parse_mac("52:54:0:A:b:c", mac), 0);
    CHECK_STR_EQ(mac, "52:54:00:0a:0b:0c");
    CHECK(domain_net_parse_mac("52:54:00:0a:0b", mac) < 0);
    CHECK(domain_net_parse_mac("52:54:00:0a:0b:0c:0d", mac) < 0);
    CHECK(domain_net_parse_mac("52:54:00:0a:0b:123", mac) < 0);

    xml_writer_start(&w, "a");
    xml_writer_attr(&w, "x", "it's <&> \"q\"");
    xml_writer_start(&w, "b");
    xml_writer_text(&w, "t & t");
    xml_writer_end(&w);
    xml_writer_start(&w, "c");
    xml_writer_end(&w);
    xml_writer_end(&w);
    text = xml_writer_steal(&w);
    CHECK_STR_EQ(text, "<a x='it&apos;s &lt;&amp;&gt; &quot;q&quot;'>\n"
                       "  <b>t &amp; t</b>\n"
                       "  <c/>\n"
                       "</a>\n");

    CHECK_STR_EQ(domain_lifecycle_action_to_string(DOMAIN_LIFECYCLE_RENAME_RESTART),
                 "rename-restart");
    CHECK_INT_EQ(domain_lifecycle_action_from_string("coredump-destroy"),
                 DOMAIN_LIFECYCLE_COREDUMP_DESTROY);
    CHECK_STR_EQ(domain_virt_type_to_string(DOMAIN_VIRT_KVM), "kvm");
    CHECK_STR_EQ(disk_bus_to_string(DISK_BUS_SATA), "sata");
    CHECK(disk_bus_to_string(DISK_BUS_NONE) == NULL);
}

/* Every named value of an enumeration reads back as itself, and its unset
 * value (0, where it has one) has no name. */
#define CHECK_ENUM_ROUND_TRIP(prefix, max, first) \
    do { \
        for (int v_ = (first); v_ < (max); v_++) { \
            const char *name_ = prefix##_to_string(v_); \
            CHECK(name_ != NULL); \
            if (name_) \
                CHECK_INT_EQ(prefix##_from_string(name_), v_); \
        } \
        CHECK(prefix##_from_string("no-such-value") < 0); \
        CHECK(prefix##_from_string(NULL) < 0); \
    } while (0)

static void
test_enums(void)
{
    CHECK_ENUM_ROUND_TRIP(disk_cache, _DISK_CACHE_MAX, 1);
    CHECK_ENUM_ROUND_TRIP(disk_io, _DISK_IO_MAX, 1);
    CHECK_ENUM_ROUND_TRIP(disk_discard, _DISK_DISCARD_MAX, 1);
    CHECK_ENUM_ROUND_TRIP(chr_target_type, _CHR_TARGET_MAX, 1);
    CHECK_ENUM_ROUND_TRIP(chr_source_mode, _CHR_MODE_MAX, 1);
    CHECK_ENUM_ROUND_TRIP(cpu_mode, _CPU_MODE_MAX, 1);
    CHECK_ENUM_ROUND_TRIP(clock_offset, _CLOCK_OFFSET_MAX, 0);
    CHECK_ENUM_ROUND_TRIP(graphics_type, _GRAPHICS_TYPE_MAX, 0);
    CHECK_ENUM_ROUND_TRIP(chr_type, _CHR_TYPE_MAX, 0);
    CHECK(disk_cache_to_string(DISK_CACHE_UNSET) == NULL);
    CHECK(chr_target_type_to_string(CHR_TARGET_UNSET) == NULL);
    CHECK(cpu_mode_to_string(CPU_MODE_NONE) == NULL);
    CHECK_STR_EQ(chr_target_type_to_string(CHR_TARGET_GUESTFWD), "guestfwd");
    CHECK_STR_EQ(disk_io_to_string(DISK_IO_URING), "io_uring");
}

/* One device alone, as attach-device reads it. */
static void
test_device_parse(void)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    DomainDef *devs = NULL;
    const char *type = NULL;

    CHECK_INT_EQ(domain_device_parse("<disk type='file' device='disk'><source file='/a,b.img' "
                                     "index='3'/><target dev='vdb'/></disk>", &devs, &type,
                                     &error), 0);
    if (devs) {
        CHECK_STR_EQ(type, "disk");
        CHECK_INT_EQ(domain_def_device_count(devs), 1);
        CHECK_INT_EQ(devs->n_disks, 1);
        CHECK_STR_EQ(devs->disks[0].source, "/a,b.img");
        CHECK_INT_EQ(devs->disks[0].target_bus, DISK_BUS_VIRTIO);
        CHECK_INT_EQ(devs->disks[0].source_index, 3);
        domain_def_free(steal_ptr(devs));
    }
    CHECK_INT_EQ(domain_device_parse("<serial type='pty'/>", &devs, &type, &error), 0);
    if (devs) {
        CHECK_STR_EQ(type, "chr");
        CHECK_INT_EQ(devs->n_serials, 1);
        domain_def_free(steal_ptr(devs));
    }
    CHECK_INT_EQ(domain_device_parse("<watchdog model='i6300esb'/>", &devs, &type, &error), 0);
    if (devs) {
        CHECK_STR_EQ(type, "watchdog");
        CHECK(devs->watchdog && devs->watchdog->action == WATCHDOG_ACTION_RESET);
        domain_def_free(steal_ptr(devs));
    }
    /* Known to libvirt, not read here: an empty definition. */
    CHECK_INT_EQ(domain_device_parse("<rng model='virtio'/>", &devs, &type, &error), 0);
    if (devs) {
        CHECK_STR_EQ(type, "rng");
        CHECK_INT_EQ(domain_def_device_count(devs), 0);
        domain_def_free(steal_ptr(devs));
    }
    CHECK(domain_device_parse("<emulator>/bin/sh</emulator>", &devs, &type, &error) < 0);
    CHECK_INT_EQ(error.code, VIR_ERR_CONFIG_UNSUPPORTED);
    CHECK_STR_EQ(error.message, "unsupported configuration: unknown device type 'emulator'");
    error_clear(&error);
    CHECK(domain_device_parse("<disk type='file'><source file='/a'/></disk>", &devs, &type,
                              &error) < 0);
    CHECK_INT_EQ(error.code, VIR_ERR_NO_TARGET);
    error_clear(&error);
    CHECK(domain_device_parse("<disk", &devs, &type, &error) < 0);
    CHECK_INT_EQ(error.code, VIR_ERR_XML_DETAIL);
    CHECK(error.message && strncmp(error.message, "(device_definition):1:", 22) == 0);
}

/* <source index='N'> is live data: shown in the live XML, not the inactive. */
static void
test_source_index(void)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    auto_cleanup(free_ptr) char *live = NULL, *inactive = NULL;
    const char *xml = "<domain type='qemu'><name>i</name><memory>65536</memory><os>"
                      "<type>hvm</type></os><devices><disk type='file'><source file='/a' "
                      "index='7'/><target dev='vda'/></disk></devices></domain>";

    CHECK_INT_EQ(domain_def_parse(xml, &def, &error), 0);
    if (!def)
        return;
    live = domain_def_format(def, 1, 0);
    inactive = domain_def_format(def, -1, DOMAIN_DEF_FORMAT_INACTIVE);
    CHECK(strstr(live, "<source file='/a' index='7'/>") != NULL);
    CHECK(strstr(inactive, "<source file='/a'/>") != NULL);
}

/* The plugged vCPUs (live only) and a tray left open survive a round trip
 * through the live XML, as the status file keeps them. */
static void
test_live_vcpus_and_tray(void)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    auto_cleanup(domain_def_freep) DomainDef *def = NULL, *again = NULL;
    auto_cleanup(free_ptr) char *live = NULL, *inactive = NULL, *live2 = NULL;
    const char *xml = "<domain type='qemu'><name>v</name><memory>65536</memory>"
                      "<vcpu current='2'>3</vcpu><vcpus><vcpu id='0' enabled='yes' "
                      "hotpluggable='no'/><vcpu id='1' enabled='yes' hotpluggable='yes'/>"
                      "<vcpu id='2' enabled='no' hotpluggable='yes'/></vcpus><os>"
                      "<type>hvm</type></os><devices><disk type='file' device='cdrom'>"
                      "<target dev='hdc' bus='ide' tray='open'/></disk></devices></domain>";

    CHECK_INT_EQ(domain_def_parse(xml, &def, &error), 0);
    if (!def)
        return;
    CHECK_INT_EQ(domain_def_vcpus_hotplugged(def), 1);
    CHECK(def->disks[0].tray_open);
    live = domain_def_format(def, 1, 0);
    inactive = domain_def_format(def, -1, DOMAIN_DEF_FORMAT_INACTIVE);
    CHECK(strstr(live, "<vcpu id='1' enabled='yes' hotpluggable='yes' order='2'/>") != NULL);
    CHECK(strstr(live, "<vcpu id='2' enabled='no' hotpluggable='yes'/>") != NULL);
    CHECK(strstr(inactive, "<vcpus>") == NULL);
    CHECK(strstr(live, "tray='open'") != NULL);
    CHECK_INT_EQ(domain_def_parse(live, &again, &error), 0);
    if (!again)
        return;
    live2 = domain_def_format(again, 1, 0);
    CHECK_STR_EQ(live2, live);
}

/* SetMetadata/GetMetadata on a definition: one element per namespace,
 * read back without its prefix, replaced, removed; a title's newline and
 * a bad prefix refused. */
static void
test_metadata_calls(void)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    const char *a = "http://a.example/1", *b = "http://b.example/1";
    char *got = NULL;

    CHECK_INT_EQ(domain_def_parse(MINIMAL_HEAD MINIMAL_TAIL "</domain>", &def, &error), 0);
    if (!def)
        return;
    CHECK_INT_EQ(domain_def_get_metadata(def, DOMAIN_METADATA_ELEMENT, a, &got, &error),
                 -ENOENT);
    CHECK_INT_EQ(error.code, VIR_ERR_NO_DOMAIN_METADATA);
    error_clear(&error);
    CHECK_INT_EQ(domain_def_set_metadata(def, DOMAIN_METADATA_ELEMENT, "<x y='1'><z/></x>", "pa",
                                         a, &error), 0);
    CHECK_INT_EQ(domain_def_set_metadata(def, DOMAIN_METADATA_ELEMENT, "<w/>", "pb", b, &error),
                 0);
    CHECK(def->metadata &&
          strstr(def->metadata, "<pa:x xmlns:pa=\"http://a.example/1\" y=\"1\">") != NULL &&
          strstr(def->metadata, "<pa:z/>") != NULL);
    CHECK_INT_EQ(domain_def_get_metadata(def, DOMAIN_METADATA_ELEMENT, a, &got, &error), 0);
    CHECK_STR_EQ(got, "<x y=\"1\">\n  <z/>\n</x>");
    free(got);
    CHECK_INT_EQ(domain_def_set_metadata(def, DOMAIN_METADATA_ELEMENT, "<v/>", "pa", a, &error),
                 0);
    CHECK(strstr(def->metadata, "<pa:x") == NULL && strstr(def->metadata, "<pa:v") != NULL);
    CHECK_INT_EQ(domain_def_set_metadata(def, DOMAIN_METADATA_ELEMENT, NULL, NULL, a, &error),
                 0);
    CHECK(strstr(def->metadata, "pa:") == NULL && strstr(def->metadata, "<pb:w") != NULL);
    CHECK_INT_EQ(domain_def_set_metadata(def, DOMAIN_METADATA_ELEMENT, "<v/>", "9x", a, &error),
                 -EINVAL);
    error_clear(&error);
    CHECK_INT_EQ(domain_metadata_check(DOMAIN_METADATA_TITLE, "a\nb", NULL, NULL, true, &error),
                 -EINVAL);
    error_clear(&error);
    CHECK_INT_EQ(domain_def_set_metadata(def, DOMAIN_METADATA_TITLE, "T", NULL, NULL, &error), 0);
    CHECK_STR_EQ(def->title, "T");
    CHECK_INT_EQ(domain_def_set_metadata(def, DOMAIN_METADATA_TITLE, "", NULL, NULL, &error), 0);
    CHECK(def->title == NULL);
}

/* A disk's IOThread must exist and the disk be virtio, as libvirt checks. */
#define IOTHREAD_XML(id, dev) \
    MINIMAL_HEAD "<iothreads>1</iothreads>" MINIMAL_TAIL \
    "<devices><disk type='file' device='disk'><driver name='qemu' iothread='" id "'/>" \
    "<source file='/a'/><target dev='" dev "'/></disk></devices></domain>"

static void
test_iothread_rules(void)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    DomainDef *def = NULL;

    CHECK_INT_EQ(domain_def_parse(IOTHREAD_XML("2", "vda"), &def, &error), -EINVAL);
    CHECK_INT_EQ(error.code, VIR_ERR_CONFIG_UNSUPPORTED);
    CHECK(error.message && strstr(error.message, "Disk iothread '2' not defined") != NULL);
    error_clear(&error);
    CHECK_INT_EQ(domain_def_parse(IOTHREAD_XML("1", "hda"), &def, &error), -EINVAL);
    CHECK(error.message && strstr(error.message, "IOThreads not available for bus ide") != NULL);
    error_clear(&error);
    CHECK_INT_EQ(domain_def_parse(IOTHREAD_XML("1", "vda"), &def, &error), 0);
    domain_def_free(def);
}

/* The initial memory is what the NUMA cells hold; the dimms come on top
 * and <memory> is recomputed from both, as libvirt's post-parse. */
static void
test_memory_initial(void)
{
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    auto_cleanup(free_ptr) char *path = xasprintf("%s/memory-dimm.xml", DATA_DIR);
    auto_cleanup(free_ptr) char *xml = test_read_file(path);
    DomainDef *def = NULL;
    DomainMemoryDevice match = { .target_node = 0, .size_kib = 131072, .discard = -1 };

    CHECK_INT_EQ(domain_def_parse(xml, &def, &error), 0);
    if (!def)
        return;
    CHECK_INT_EQ((long long) def->memory_kib, 786432);
    CHECK_INT_EQ((long long) domain_def_memory_initial(def), 524288);
    CHECK_INT_EQ((long long) domain_memory_device_find(def, &match, false), 1);
    match.target_node = 1;
    CHECK_INT_EQ((long long) domain_memory_device_find(def, &match, false), -1);
    domain_def_free(def);
}

int
main(void)
{
    test_enums();
    test_live_vcpus_and_tray();
    test_metadata_calls();
    test_iothread_rules();
    TEST_ROUND_TRIP("tuning");
    TEST_ROUND_TRIP("memory-dimm");
    TEST_ROUND_TRIP("perf");
    TEST_PARSE_FAILS("fail-perf-twice", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-perf-unknown", VIR_ERR_XML_ERROR);
    test_memory_initial();
    TEST_PARSE_FAILS("fail-numa-overlap", VIR_ERR_CONFIG_UNSUPPORTED);
    TEST_PARSE_FAILS("fail-numa-vcpus", VIR_ERR_INTERNAL_ERROR);
    TEST_PARSE_FAILS("fail-memory-nvdimm", VIR_ERR_CONFIG_UNSUPPORTED);
    TEST_PARSE_FAILS("fail-memory-total", VIR_ERR_XML_ERROR);
    test_device_parse();
    test_source_index();
    TEST_PARSE_FAILS("fail-disk-bad-cache", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-disk-bad-io", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-chr-bad-mode", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-chr-bad-target", VIR_ERR_CONFIG_UNSUPPORTED);
    TEST_PARSE_FAILS("fail-cpu-bad-mode", VIR_ERR_CONFIG_UNSUPPORTED);
    TEST_PARSE_FAILS("fail-clock-bad-offset", VIR_ERR_CONFIG_UNSUPPORTED);
    TEST_ROUND_TRIP("seed-ubuntu_20_04");
    TEST_ROUND_TRIP("seed-centos7u2-1");
    TEST_ROUND_TRIP("seed-cputune");
    TEST_ROUND_TRIP("interface-bandwidth");
    TEST_ROUND_TRIP("interface-models");
    TEST_PARSE_FAILS("fail-interface-model-chars", VIR_ERR_INVALID_ARG);
    TEST_PARSE_FAILS("fail-controller-bad-type", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-controller-bad-model", VIR_ERR_CONFIG_UNSUPPORTED);
    TEST_PARSE_FAILS("fail-video-bad-model", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-input-bad-bus", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-sound-bad-model", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-graphics-bad-type", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-memballoon-bad-model", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-bandwidth-floor-bridge", VIR_ERR_CONFIG_UNSUPPORTED);
    TEST_PARSE_FAILS("fail-bandwidth-no-average", VIR_ERR_XML_DETAIL);
    TEST_ROUND_TRIP("seed-qemu-commandline");
    TEST_PARSE_FAILS("seed-bad-graphics-unclosed", VIR_ERR_XML_DETAIL);
    TEST_PARSE_FAILS("seed-cputune-fragment", VIR_ERR_XML_ERROR);
    TEST_ROUND_TRIP("channel-guest-agent");
    TEST_ROUND_TRIP("chardev-types");
    TEST_ROUND_TRIP("clock-variable");
    TEST_ROUND_TRIP("controllers");
    TEST_ROUND_TRIP("cpu-custom");
    TEST_ROUND_TRIP("cpu-host-model");
    TEST_ROUND_TRIP("cpu-host-passthrough");
    TEST_ROUND_TRIP("cputune-quota-only");
    TEST_ROUND_TRIP("disk-block");
    TEST_ROUND_TRIP("disk-bus-derived");
    TEST_ROUND_TRIP("disk-cdrom-empty");
    TEST_ROUND_TRIP("disk-network");
    TEST_ROUND_TRIP("disk-options");
    TEST_ROUND_TRIP("disk-volume");
    TEST_ROUND_TRIP("features-hyperv");
    TEST_ROUND_TRIP("graphics-spice-sdl");
    TEST_ROUND_TRIP("graphics-vnc-listen-child");
    TEST_ROUND_TRIP("graphics-vnc");
    TEST_ROUND_TRIP("interface-bridge-boot");
    TEST_ROUND_TRIP("interface-ethernet");
    TEST_ROUND_TRIP("interface-mac-uppercase");
    TEST_ROUND_TRIP("interface-user");
    TEST_ROUND_TRIP("isa-usb-address");
    TEST_ROUND_TRIP("lifecycle");
    TEST_ROUND_TRIP("live-status");
    TEST_ROUND_TRIP("memballoon-none");
    TEST_ROUND_TRIP("memory-bytes");
    TEST_ROUND_TRIP("memory-current-over");
    TEST_ROUND_TRIP("memory-no-unit");
    TEST_ROUND_TRIP("memory-units");
    TEST_ROUND_TRIP("metadata-ns-on-root");
    TEST_ROUND_TRIP("metadata");
    TEST_ROUND_TRIP("minimal");
    TEST_ROUND_TRIP("os-bootmenu");
    TEST_ROUND_TRIP("os-direct-kernel");
    TEST_ROUND_TRIP("os-loader-nvram");
    TEST_ROUND_TRIP("pm");
    TEST_ROUND_TRIP("qemu-commandline-multi");
    TEST_ROUND_TRIP("redirdev-memballoon-stats");
    TEST_ROUND_TRIP("title-description");
    TEST_ROUND_TRIP("unknown-elements");
    TEST_ROUND_TRIP("vcpu-placement-auto");
    TEST_ROUND_TRIP("video-sound");
    TEST_ROUND_TRIP("hostdev-pci");
    TEST_PARSE_FAILS("fail-not-well-formed", VIR_ERR_XML_DETAIL);
    TEST_PARSE_FAILS("fail-entity-bomb", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-external-entity", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-doctype", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-missing-name", VIR_ERR_NO_NAME);
    TEST_PARSE_FAILS("fail-name-slash", VIR_ERR_XML_DETAIL);
    TEST_PARSE_FAILS("fail-name-dotdot", VIR_ERR_XML_DETAIL);
    TEST_PARSE_FAILS("fail-bad-uuid", VIR_ERR_INTERNAL_ERROR);
    TEST_PARSE_FAILS("fail-memory-bad-unit", VIR_ERR_INVALID_ARG);
    TEST_PARSE_FAILS("fail-memory-overflow", VIR_ERR_OVERFLOW);
    TEST_PARSE_FAILS("fail-memory-number-overflow", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-memory-not-number", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-memory-missing", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-vcpu-current", VIR_ERR_INTERNAL_ERROR);
    TEST_PARSE_FAILS("fail-vcpu-zero", VIR_ERR_CONFIG_UNSUPPORTED);
    TEST_PARSE_FAILS("fail-duplicate-disk-target", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-boot-both", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-boot-order-duplicate", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-mac-invalid", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-mac-multicast", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-pci-slot-32", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-pci-function-8", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-pci-slot-not-number", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-address-type-unknown", VIR_ERR_CONFIG_UNSUPPORTED);
    TEST_PARSE_FAILS("fail-lifecycle-unknown", VIR_ERR_INTERNAL_ERROR);
    TEST_PARSE_FAILS("fail-os-type-xen", VIR_ERR_OS_TYPE);
    TEST_PARSE_FAILS("fail-os-type-missing", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-virt-type-xen", VIR_ERR_CONFIG_UNSUPPORTED);
    TEST_PARSE_FAILS("fail-virt-type-bogus", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-root-not-domain", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-title-newline", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-disk-no-target", VIR_ERR_NO_TARGET);
    TEST_PARSE_FAILS("fail-interface-type-direct", VIR_ERR_CONFIG_UNSUPPORTED);
    TEST_PARSE_FAILS("fail-vcpupin-out-of-range", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("fail-empty-document", VIR_ERR_XML_DETAIL);
    TEST_PARSE_FAILS("fail-hostdev-twice", VIR_ERR_XML_ERROR);

    test_uuid_generated();
    test_mac_generated();
    test_metadata_verbatim();
    test_inactive();
    test_copy();
    test_size_limit();
    test_entity_bomb_fast();
    test_helpers();

    return test_result();
}

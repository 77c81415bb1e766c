/* xml_util: parsing with limits and without entities, typed attributes with
 * libvirt's messages, libvirt's unit scaling, and the writer. */
#include <errno.h>

#include "test_util.h"
#include "xml_util.h"

static xmlDoc *
parse_ok(const char *xml)
{
    Error error = ERROR_INIT;
    xmlDoc *doc = NULL;

    if (xml_parse_document(xml, 1 << 20, NULL, &doc, &error) < 0)
        TEST_FAIL("parse failed: %s", error.message);
    error_clear(&error);
    return doc;
}

static void
test_parse_limits(void)
{
    Error error = ERROR_INIT;
    xmlDoc *doc = NULL;
    static const char bomb[] =
        "<!DOCTYPE d [<!ENTITY a 'aaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
        "<d>&b;</d>";

    CHECK_INT_EQ(xml_parse_document("<a><b></a>", 100, NULL, &doc, &error), -EINVAL);
    /* libvirt's detail: the document's name, the line, libxml2's first fatal
     * error, the line's text and a pointer under the place. */
    CHECK_INT_EQ(error.code, VIR_ERR_XML_DETAIL);
    CHECK_STR_EQ(error.message, "(xml_document):1: Opening and ending tag mismatch: b line 1 "
                                "and a\n<a><b></a>\n----------^");
    error_clear(&error);
    CHECK(doc == NULL);
    CHECK_INT_EQ(xml_parse_document("<domain>\n  <name>x</name>\n  <disk device=disk/>\n",
                                    100, "domain", &doc, &error), -EINVAL);
    CHECK_STR_EQ(error.message, "(domain_definition):3: AttValue: \" or ' expected\n"
                                "  <disk device=disk/>\n---------------^");
    error_clear(&error);
    /* Over the size limit: refused before parsing. */
    CHECK(xml_parse_document("<aaaa/>", 5, NULL, &doc, &error) < 0);
    CHECK_INT_EQ(error.code, VIR_ERR_XML_ERROR);
    error_clear(&error);
    /* Entities and DOCTYPEs are refused, never expanded. */
    CHECK(xml_parse_document(bomb, 1 << 20, NULL, &doc, &error) < 0);
    CHECK_INT_EQ(error.code, VIR_ERR_XML_ERROR);
    error_clear(&error);
    CHECK(xml_parse_document("<!DOCTYPE x SYSTEM 'file:///etc/passwd'><x/>", 1 << 20, NULL,
                             &doc, &error) < 0);
    error_clear(&error);
    /* The root must be the one asked for. */
    CHECK(xml_parse_document("<network/>", 100, "domain", &doc, &error) < 0);
    CHECK_INT_EQ(error.code, VIR_ERR_XML_ERROR);
    error_clear(&error);
    CHECK(doc == NULL);
}

static void
test_attributes(void)
{
    auto_cleanup(xmlFreeDocp) xmlDoc *doc =
        parse_ok("<address slot='0x1f' bus='zz' neg='-3' big='70000' on='yes' bad='maybe'>"
                 "<child>text</child><child>second</child></address>");
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    auto_cleanup(free_ptr) char *content = NULL;
    Error error = ERROR_INIT;
    unsigned u = 7;
    int i = 7, n = 0;
    bool b = false;

    if (!root)
        return;
    CHECK(xml_node_is(root, "address"));
    CHECK_INT_EQ(xml_prop_uint(root, "slot", 0, 31, &u, &error), 1);
    CHECK_INT_EQ(u, 31);
    CHECK_INT_EQ(xml_prop_uint(root, "absent", 0, 31, &u, &error), 0);
    CHECK_INT_EQ(u, 31);
    CHECK(xml_prop_uint(root, "bus", 0, 255, &u, &error) < 0);
    CHECK_STR_EQ(error.message,
                 "XML error: Invalid value for attribute 'bus' in element 'address': 'zz'.");
    error_clear(&error);
    CHECK(xml_prop_uint(root, "big", 10, 65535, &u, &error) < 0);
    error_clear(&error);
    CHECK(xml_prop_uint(root, "neg", 10, 100, &u, &error) < 0);
    error_clear(&error);
    CHECK_INT_EQ(xml_prop_int(root, "neg", -5, 5, &i, &error), 1);
    CHECK_INT_EQ(i, -3);
    CHECK_INT_EQ(xml_prop_bool(root, "on", &b, &error), 1);
    CHECK(b);
    CHECK(xml_prop_bool(root, "bad", &b, &error) < 0);
    error_clear(&error);
    content = xml_child_content(root, "child");
    CHECK_STR_EQ(content, "text");
    xml_foreach_child(c, root)
        n++;
    CHECK_INT_EQ(n, 2);
}

static void
test_numbers_and_units(void)
{
    unsigned long long v = 0;
    long long s = 0;
    Error error = ERROR_INIT;

    CHECK_INT_EQ(xml_parse_ull(" 42 ", 10, 100, &v), 0);
    CHECK_INT_EQ(v, 42);
    CHECK_INT_EQ(xml_parse_ull("-1", 10, 100, &v), -EINVAL);
    CHECK_INT_EQ(xml_parse_ull("101", 10, 100, &v), -ERANGE);
    CHECK_INT_EQ(xml_parse_ull("12abc", 10, 1000, &v), -EINVAL);
    CHECK_INT_EQ(xml_parse_ull("0x10", 0, 100, &v), 0);
    CHECK_INT_EQ(v, 16);
    CHECK_INT_EQ(xml_parse_ll("-9", 10, -10, 10, &s), 0);
    CHECK_INT_EQ(s, -9);
    CHECK_INT_EQ(xml_parse_ll("-11", 10, -10, 10, &s), -ERANGE);

    v = 2;
    CHECK_INT_EQ(xml_scale_integer(&v, "MiB", 1024, ~0ULL, &error), 0);
    CHECK_INT_EQ(v, 2 * 1024 * 1024);
    v = 3;
    CHECK_INT_EQ(xml_scale_integer(&v, "KB", 1024, ~0ULL, &error), 0);
    CHECK_INT_EQ(v, 3000);
    v = 5;
    CHECK_INT_EQ(xml_scale_integer(&v, NULL, 1024, ~0ULL, &error), 0);
    CHECK_INT_EQ(v, 5120);
    v = 1;
    CHECK(xml_scale_integer(&v, "furlongs", 1, ~0ULL, &error) < 0);
    CHECK_INT_EQ(error.code, VIR_ERR_INVALID_ARG);
    error_clear(&error);
    v = 16;
    CHECK(xml_scale_integer(&v, "EiB", 1, ~0ULL, &error) < 0);
    CHECK_INT_EQ(error.code, VIR_ERR_OVERFLOW);
    error_clear(&error);
}

static void
test_memory(void)
{
    auto_cleanup(xmlFreeDocp) xmlDoc *doc =
        parse_ok("<d><memory unit='MiB'>2</memory><currentMemory unit='b'>1025</currentMemory>"
                 "<bad unit='KiB'>x</bad></d>");
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
    unsigned long long kib = 0;
    Error error = ERROR_INIT;

    if (!root)
        return;
    CHECK_INT_EQ(xml_parse_memory(xml_child(root, "memory"), "memory", &kib, &error), 0);
    CHECK_INT_EQ(kib, 2048);
    /* Bytes are rounded up to whole KiB. */
    CHECK_INT_EQ(xml_parse_memory(xml_child(root, "currentMemory"), "currentMemory", &kib,
                                  &error), 0);
    CHECK_INT_EQ(kib, 2);
    CHECK(xml_parse_memory(xml_child(root, "bad"), "bad", &kib, &error) < 0);
    error_clear(&error);
}

static void
test_writer(void)
{
    XmlWriter w = XML_WRITER_INIT;
    auto_cleanup(free_ptr) char *out = NULL;
    auto_cleanup(free_ptr) char *inner = NULL;
    auto_cleanup(xmlFreeDocp) xmlDoc *doc =
        parse_ok("<m><x:a xmlns:x='urn:x' k='v'><x:b/></x:a></m>");

    xml_writer_start(&w, "domain");
    xml_writer_attr(&w, "type", "qemu");
    xml_writer_attr(&w, "skipped", NULL);
    xml_writer_element_text(&w, "name", "a<b>&'\"");
    xml_writer_start(&w, "devices");
    xml_writer_start(&w, "disk");
    xml_writer_attrf(&w, "n", "%d", 3);
    xml_writer_end(&w);
    xml_writer_end(&w);
    xml_writer_start(&w, "empty");
    xml_writer_end(&w);
    xml_writer_end(&w);
    out = xml_writer_steal(&w);
    CHECK_STR_EQ(out, "<domain type='qemu'>\n"
                      "  <name>a&lt;b&gt;&amp;&apos;&quot;</name>\n"
                      "  <devices>\n"
                      "    <disk n='3'/>\n"
                      "  </devices>\n"
                      "  <empty/>\n"
                      "</domain>\n");
    /* Foreign XML kept with its namespace. */
    if (doc) {
        inner = xml_inner_xml(xmlDocGetRootElement(doc));
        CHECK(inner != NULL);
        CHECK(inner && (strstr(inner, "xmlns:x=\"urn:x\"") || strstr(inner, "xmlns:x='urn:x'")));
        CHECK(inner && strstr(inner, "<x:b/>") != NULL);
    }
    xml_writer_clear(&w);
}

int
main(void)
{
    test_parse_limits();
    test_attributes();
    test_numbers_and_units();
    test_memory();
    test_writer();
    return test_result();
}

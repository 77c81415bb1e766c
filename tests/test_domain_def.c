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

static bool regenerate;

static char *
read_file(const char *path)
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

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "we");

    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        TEST_FAIL("cannot write %s", path);
}

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
test_round_trip(const char *name)
{
    auto_cleanup(free_ptr) char *in_path = xasprintf("%s/%s.xml", DATA_DIR, name);
    auto_cleanup(free_ptr) char *out_path = xasprintf("%s/%s.out.xml", DATA_DIR, name);
    auto_cleanup(free_ptr) char *input = read_file(in_path);
    auto_cleanup(free_ptr) char *expected = NULL;
    auto_cleanup(free_ptr) char *out = NULL;
    auto_cleanup(free_ptr) char *out2 = NULL;
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    auto_cleanup(domain_def_freep) DomainDef *def2 = NULL;
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    unsigned flags = DOMAIN_DEF_FORMAT_SECURE;

    if (!input) {
        TEST_FAIL("%s: cannot read %s", name, in_path);
        return;
    }
    if (domain_def_parse(input, &def, &error) < 0) {
        TEST_FAIL("%s: parse failed: %d %s", name, error.code, error.message);
        return;
    }
    pin_generated(def);
    out = domain_def_format(def, -1, flags);
    if (regenerate) {
        if (STREQ(out, input))
            unlink(out_path);
        else
            write_file(out_path, out);
    }
    expected = read_file(out_path);
    if (!expected)
        expected = xstrdup(input);
    if (!STREQ(out, expected))
        TEST_FAIL("%s: output differs from %s:\n%s", name,
                  access(out_path, F_OK) == 0 ? out_path : in_path, out);

    if (domain_def_parse(out, &def2, &error) < 0) {
        TEST_FAIL("%s: parse of the output failed: %d %s", name, error.code, error.message);
        return;
    }
    pin_generated(def2);
    out2 = domain_def_format(def2, -1, flags);
    if (!STREQ(out, out2))
        TEST_FAIL("%s: second round trip differs:\n%s\n---\n%s", name, out, out2);
}

static void
test_parse_fails(const char *name, int code)
{
    auto_cleanup(free_ptr) char *in_path = xasprintf("%s/%s.xml", DATA_DIR, name);
    auto_cleanup(free_ptr) char *err_path = xasprintf("%s/%s.err", DATA_DIR, name);
    auto_cleanup(free_ptr) char *input = read_file(in_path);
    auto_cleanup(free_ptr) char *expected = NULL;
    auto_cleanup(free_ptr) char *got = NULL;
    auto_cleanup(domain_def_freep) DomainDef *def = NULL;
    auto_cleanup(error_clear) Error error = ERROR_INIT;
    int r;

    if (!input) {
        TEST_FAIL("%s: cannot read %s", name, in_path);
        return;
    }
    r = domain_def_parse(input, &def, &error);
    if (r >= 0) {
        TEST_FAIL("%s: parse succeeded, expected error %d", name, code);
        return;
    }
    if (r != -EINVAL && r != -ERANGE && r != -EFBIG)
        TEST_FAIL("%s: unexpected errno %d", name, r);
    got = xasprintf("%d\n%s\n", error.code, error.message);
    if (regenerate)
        write_file(err_path, got);
    expected = read_file(err_path);
    if (!expected)
        TEST_FAIL("%s: no %s", name, err_path);
    else if (!STREQ(got, expected))
        TEST_FAIL("%s: error is\n%sexpected\n%s", name, got, expected);
    if (error.code != code)
        TEST_FAIL("%s: error code %d, expected %d", name, error.code, code);
}

#define TEST_ROUND_TRIP(name) test_round_trip(name)
#define TEST_PARSE_FAILS(name, code) test_parse_fails(name, code)

int
main(void)
{
    regenerate = getenv("REGENERATE") != NULL;

    TEST_ROUND_TRIP("seed-ubuntu_20_04");
    TEST_ROUND_TRIP("seed-centos7u2-1");
    TEST_ROUND_TRIP("seed-cputune");
    TEST_ROUND_TRIP("seed-qemu-commandline");
    TEST_PARSE_FAILS("seed-bad-graphics-unclosed", VIR_ERR_XML_ERROR);
    TEST_PARSE_FAILS("seed-cputune-fragment", VIR_ERR_XML_ERROR);

    return test_result();
}

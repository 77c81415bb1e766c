/* qemu_capabilities: probing real and scripted emulators, the cache, and the
 * <capabilities> and <domainCapabilities> documents. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "config.h"
#include "qemu_capabilities.h"
#include "test_util.h"

#define DATA TEST_DATA_DIR "/qemu_capabilities"
#define HOST2 TEST_DATA_DIR "/node_info/host2"

static char tmpdir[] = "/tmp/test_qemu_caps.XXXXXX";

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void
write_text(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        TEST_FAIL("cannot write '%s'", path);
        return;
    }
    chmod(path, mode);
}

static char *
read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    char *data = NULL;
    size_t len = 0;
    if (!f)
        return NULL;
    if (getdelim(&data, &len, '\0', f) < 0) {
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

/* How many times the scripted emulator ran: one line per run. */
static int
marker_runs(const char *marker)
{
    char *t = read_text(marker);
    int n = 0;
    for (char *p = t; p && *p; p++)
        n += *p == '\n';
    free(t);
    return n;
}

/* @s with every @from replaced by @to; a new string. */
static char *
replace_all(const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    for (const char *p = strstr(s, from); p; p = strstr(p + fl, from))
        n++;
    char *out = malloc(strlen(s) + n * (tl > fl ? tl - fl : 0) + 1), *o = out;
    for (const char *p = s;;) {
        const char *q = strstr(p, from);
        if (!q) {
            strcpy(o, p);
            break;
        }
        memcpy(o, p, (size_t) (q - p));
        o += q - p;
        memcpy(o, to, tl);
        o += tl;
        p = q + fl;
    }
    return out;
}

static void
check_expected_file(const char *path, const char *actual)
{
    if (getenv("REGENERATE")) {
        write_text(path, actual, 0644);
        return;
    }
    char *expected = read_text(path);
    if (!expected)
        TEST_FAIL("cannot read '%s' (REGENERATE=1 writes it)", path);
    else if (strcmp(expected, actual) != 0)
        TEST_FAIL("output differs from '%s':\n%s", path, actual);
    free(expected);
}

/* The text of the first node matching @xpath, or NULL. New string. */
static char *
xpath_text(xmlDoc *doc, const char *xpath)
{
    xmlXPathContext *ctx = xmlXPathNewContext(doc);
    xmlXPathObject *obj = xmlXPathEvalExpression((const xmlChar *) xpath, ctx);
    char *ret = NULL;
    if (obj && obj->nodesetval && obj->nodesetval->nodeNr > 0) {
        xmlChar *c = xmlNodeGetContent(obj->nodesetval->nodeTab[0]);
        ret = strdup((const char *) c);
        xmlFree(c);
    }
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    return ret;
}

#define CHECK_XPATH(doc, xpath, expected) do { \
        char *t_ = xpath_text(doc, xpath); \
        CHECK_STR_EQ(t_, expected); \
        free(t_); \
    } while (0)

static xmlDoc *
parse_xml(const char *xml, const char *root)
{
    xmlDoc *doc = xml ? xmlReadMemory(xml, (int) strlen(xml), "caps.xml", NULL,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR) : NULL;
    if (!doc) {
        TEST_FAIL("not well-formed XML:\n%s", xml ? xml : "(null)");
        return NULL;
    }
    xmlNode *r = xmlDocGetRootElement(doc);
    if (!r || strcmp((const char *) r->name, root) != 0)
        TEST_FAIL("root element is not <%s>", root);
    return doc;
}

/* A scripted qemu-system-x86_64 that prints QEMU 7.2's recorded help and
 * logs each run to @marker. */
static void
write_fake_emulator(const char *path, const char *marker)
{
    char *script = NULL;
    if (asprintf(&script,
                 "#!/bin/sh\n"
                 "echo \"$@\" >> '%s'\n"
                 "case \"$1\" in\n"
                 "-machine) exec cat '" DATA "/x86_64-machine-help.txt' ;;\n"
                 "-cpu) exec cat '" DATA "/x86_64-cpu-help.txt' ;;\n"
                 "esac\n"
                 "exit 1\n", marker) < 0)
        abort();
    write_text(path, script, 0755);
    free(script);
}

static void
test_cache(void)
{
    Error error = ERROR_INIT;
    char *bindir = NULL, *cachedir = NULL, *emu_path = NULL, *marker = NULL;
    QemuHostCaps *caps = NULL;
    const QemuEmulator *emu;
    const QemuMachine *m;

    if (asprintf(&bindir, "%s/bin", tmpdir) < 0 || asprintf(&cachedir, "%s/cache", tmpdir) < 0 ||
        asprintf(&emu_path, "%s/qemu-system-x86_64", bindir) < 0 ||
        asprintf(&marker, "%s/runs", tmpdir) < 0)
        abort();
    mkdir(bindir, 0755);
    write_fake_emulator(emu_path, marker);
    /* A variant binary, not a target: never probed. */
    char *variant = NULL;
    if (asprintf(&variant, "%s-microvm", emu_path) < 0)
        abort();
    write_fake_emulator(variant, marker);
    const char *const dirs[] = { bindir, NULL };

    /* First probe: the emulator runs (machine and cpu help) and the cache
     * is written. */
    CHECK_INT_EQ(qemu_caps_probe_dirs(HOST2, cachedir, dirs, &caps, &error), 0);
    CHECK_INT_EQ(marker_runs(marker), 2);
    CHECK_INT_EQ(caps ? caps->n_emulators : 0, 1);
    emu = qemu_caps_find_emulator(caps, emu_path, NULL);
    CHECK(emu != NULL);
    CHECK(qemu_caps_find_emulator(caps, NULL, "x86_64") == emu);
    CHECK(qemu_caps_find_emulator(caps, NULL, "aarch64") == NULL);
    if (emu) {
        CHECK_STR_EQ(emu->arch, "x86_64");
        m = qemu_emulator_find_machine(emu, "pc");
        CHECK(m && strcmp(m->name, "pc-i440fx-7.2") == 0 && m->is_default && m->max_cpus == 255);
        m = qemu_emulator_find_machine(emu, "q35");
        CHECK(m && strcmp(m->name, "pc-q35-7.2") == 0 && !m->is_default && m->max_cpus == 288);
        CHECK(qemu_emulator_find_machine(emu, "pc-q35-7.2") == m);
        CHECK(qemu_emulator_find_machine(emu, "rhel6.3.0") == NULL);
        CHECK(emu->cpu_models && emu->cpu_models[0]);
    }
    /* The host2 CPU (Skylake-SP stepping 4) named after a model QEMU 7.2 has. */
    CHECK_STR_EQ(caps ? caps->cpu->model : NULL, "Skylake-Server-IBRS");
    CHECK_STR_EQ(caps ? caps->host_uuid : NULL, "4c4c4544-005a-4810-8052-b5c04f305132");

    /* The whole document, against the expected file (KVM is the host's, so
     * pinned here). */
    if (caps && caps->n_emulators == 1) {
        caps->emulators[0].kvm = false;
        char *xml = qemu_caps_format_capabilities(caps, 64055, 64055);
        char *norm = replace_all(xml, bindir, "@BINDIR@");
        xmlDoc *doc = parse_xml(xml, "capabilities");
        xmlFreeDoc(doc);
        check_expected_file(DATA "/host2.capabilities.xml", norm);
        free(norm);
        free(xml);

        CHECK_INT_EQ(qemu_caps_format_domain_capabilities(caps, NULL, "x86_64", "q35", "qemu",
                                                          &xml, &error), 0);
        norm = xml ? replace_all(xml, bindir, "@BINDIR@") : NULL;
        if (norm)
            check_expected_file(DATA "/host2.q35.domcaps.xml", norm);
        free(norm);
        free(xml);
        xml = NULL;
        /* KVM asked for where there is none. */
        CHECK_INT_EQ(qemu_caps_format_domain_capabilities(caps, NULL, NULL, NULL, "kvm",
                                                          &xml, &error), -EINVAL);
        CHECK_INT_EQ(error.code, VIR_ERR_INVALID_ARG);
        error_clear(&error);
    }
    qemu_host_caps_free(caps);
    caps = NULL;

    /* Second probe: same binary, so the cache answers and QEMU does not run. */
    unlink(marker);
    CHECK_INT_EQ(qemu_caps_probe_dirs(HOST2, cachedir, dirs, &caps, &error), 0);
    CHECK_INT_EQ(marker_runs(marker), 0);
    emu = qemu_caps_find_emulator(caps, emu_path, "x86_64");
    m = qemu_emulator_find_machine(emu, "pc");
    CHECK(m && strcmp(m->name, "pc-i440fx-7.2") == 0 && m->is_default);
    CHECK(emu && emu->cpu_models && emu->cpu_models[0]);
    CHECK_STR_EQ(caps ? caps->cpu->model : NULL, "Skylake-Server-IBRS");
    qemu_host_caps_free(caps);
    caps = NULL;

    /* A changed binary (new mtime) makes the entry stale: QEMU runs again. */
    struct timespec times[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
    CHECK_INT_EQ(utimensat(AT_FDCWD, emu_path, times, 0), 0);
    CHECK_INT_EQ(qemu_caps_probe_dirs(HOST2, cachedir, dirs, &caps, &error), 0);
    CHECK_INT_EQ(marker_runs(marker), 2);
    CHECK_INT_EQ(caps ? caps->n_emulators : 0, 1);
    qemu_host_caps_free(caps);
    caps = NULL;

    /* An emulator that fails is left out, without failing the probe. */
    write_text(emu_path, "#!/bin/sh\nexit 3\n", 0755);
    CHECK_INT_EQ(qemu_caps_probe_dirs(HOST2, NULL, dirs, &caps, &error), 0);
    CHECK_INT_EQ(caps ? caps->n_emulators : 1, 0);
    qemu_host_caps_free(caps);
    if (error.message)
        fprintf(stderr, "error: %s\n", error.message);
    error_clear(&error);
    free(variant);
    free(bindir);
    free(cachedir);
    free(emu_path);
    free(marker);
}

static void
test_real_host(void)
{
    Error error = ERROR_INIT;
    QemuHostCaps *caps = NULL;
    char *cachedir = NULL;
    struct utsname uts;

    if (access("/usr/bin/qemu-system-x86_64", X_OK) < 0) {
        fprintf(stderr, "no /usr/bin/qemu-system-x86_64: real host checks skipped\n");
        return;
    }
    uname(&uts);
    if (asprintf(&cachedir, "%s/realcache", tmpdir) < 0)
        abort();

    CHECK_INT_EQ(qemu_caps_probe("/", cachedir, &caps, &error), 0);
    if (!caps) {
        fprintf(stderr, "error: %s\n", error.message);
        error_clear(&error);
        free(cachedir);
        return;
    }
    const QemuEmulator *emu = qemu_caps_find_emulator(caps, "/usr/bin/qemu-system-x86_64", NULL);
    CHECK(emu != NULL);
    const QemuMachine *pc = qemu_emulator_find_machine(emu, "pc");
    CHECK(pc && pc->alias && strcmp(pc->alias, "pc") == 0 && pc->is_default);
    CHECK(qemu_emulator_find_machine(emu, "q35") != NULL);
    CHECK_INT_EQ(access(TEST_DATA_DIR, F_OK), 0);
    char *cache_file = NULL;
    if (asprintf(&cache_file, "%s/usr_bin_qemu-system-x86_64.json", cachedir) < 0)
        abort();
    CHECK_INT_EQ(access(cache_file, R_OK), 0);
    free(cache_file);

    /* KVM usable means /dev/kvm opens read-write. */
    if (qemu_caps_kvm_available()) {
        int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        CHECK(fd >= 0);
        if (fd >= 0)
            close(fd);
    }
    CHECK(emu && emu->kvm == qemu_caps_kvm_available());

    char *xml = qemu_caps_format_capabilities(caps, 64055, 64055);
    xmlDoc *doc = parse_xml(xml, "capabilities");
    if (doc) {
        CHECK_XPATH(doc, "/capabilities/host/cpu/arch", uts.machine);
        CHECK_XPATH(doc, "/capabilities/guest/arch[@name='x86_64']/emulator",
                    "/usr/bin/qemu-system-x86_64");
        CHECK_XPATH(doc, "/capabilities/guest/arch[@name='x86_64']/machine[.='pc']/@canonical",
                    pc ? pc->name : "");
        CHECK_XPATH(doc, "/capabilities/guest/arch[@name='x86_64']/domain[@type='qemu']/@type",
                    "qemu");
        CHECK_XPATH(doc, "/capabilities/host/secmodel/model", "none");
        CHECK_XPATH(doc, "/capabilities/host/secmodel[model='dac']/baselabel[@type='qemu']",
                    "+64055:+64055");
        CHECK_XPATH(doc, "/capabilities/host/topology/cells/@num", "1");
        xmlFreeDoc(doc);
    }
    free(xml);

    xml = NULL;
    CHECK_INT_EQ(qemu_caps_format_domain_capabilities(caps, NULL, "x86_64", "pc", "qemu", &xml,
                                                      &error), 0);
    doc = parse_xml(xml, "domainCapabilities");
    if (doc) {
        CHECK_XPATH(doc, "/domainCapabilities/machine", pc ? pc->name : "");
        CHECK_XPATH(doc, "/domainCapabilities/arch", "x86_64");
        CHECK_XPATH(doc, "/domainCapabilities/domain", "qemu");
        CHECK_XPATH(doc, "/domainCapabilities/path", "/usr/bin/qemu-system-x86_64");
        CHECK_XPATH(doc, "/domainCapabilities/vcpu/@max", "255");
        CHECK_XPATH(doc, "/domainCapabilities/devices/disk/enum[@name='bus']/value[.='ide']",
                    "ide");
        xmlFreeDoc(doc);
    }
    free(xml);

    /* Defaults: x86_64, the default machine. */
    xml = NULL;
    CHECK_INT_EQ(qemu_caps_format_domain_capabilities(caps, "", NULL, NULL, "qemu", &xml,
                                                      &error), 0);
    doc = parse_xml(xml, "domainCapabilities");
    if (doc) {
        CHECK_XPATH(doc, "/domainCapabilities/machine", pc ? pc->name : "");
        xmlFreeDoc(doc);
    }
    free(xml);

    xml = NULL;
    CHECK_INT_EQ(qemu_caps_format_domain_capabilities(caps, NULL, "x86_64", "rhel6.3.0", "qemu",
                                                      &xml, &error), -EINVAL);
    CHECK_INT_EQ(error.code, VIR_ERR_INVALID_ARG);
    CHECK_STR_EQ(error.message, "the machine 'rhel6.3.0' is not supported by emulator "
                 "'/usr/bin/qemu-system-x86_64'");
    error_clear(&error);
    CHECK_INT_EQ(qemu_caps_format_domain_capabilities(caps, NULL, "sparc64", NULL, NULL,
                                                      &xml, &error), -EINVAL);
    CHECK_INT_EQ(error.code, VIR_ERR_INVALID_ARG);
    CHECK(error.message && strstr(error.message, "'sparc64'"));
    error_clear(&error);
    CHECK_INT_EQ(qemu_caps_format_domain_capabilities(caps, "/usr/bin/nope", NULL, NULL, NULL,
                                                      &xml, &error), -EINVAL);
    CHECK(error.message && strstr(error.message, "'/usr/bin/nope'"));
    error_clear(&error);
    CHECK_INT_EQ(qemu_caps_format_domain_capabilities(caps, "/usr/bin/qemu-system-x86_64",
                                                      "aarch64", NULL, NULL, &xml, &error),
                 -EINVAL);
    error_clear(&error);
    CHECK_INT_EQ(qemu_caps_format_domain_capabilities(caps, NULL, NULL, NULL, "xen", &xml,
                                                      &error), -EINVAL);
    CHECK(error.message && strstr(error.message, "'xen'"));
    error_clear(&error);

    qemu_host_caps_free(caps);
    free(cachedir);
}

int
main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_cache();
    test_real_host();
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return test_result();
}

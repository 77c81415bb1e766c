/* qemu_capabilities: the QEMU emulators of this host and libvirt's
 * <capabilities> and <domainCapabilities>.
 *
 * Probing runs `qemu-system-ARCH -machine help` and `-cpu help` (blocking:
 * the driver calls it at startup or from uv_queue_work). libvirt asks QEMU
 * over QMP (query-machines gives cpu-max); the help text has no CPU limit, so
 * maxCpus comes from a table of QEMU's machine classes (QEMU 7.2 values). */
#include "qemu_capabilities.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "fileutil.h"
#include "log.h"
#include "macros.h"

#define QEMU_HELP_MAX (1024 * 1024)
#define CACHE_VERSION 1

/* ---- text buffer with XML escaping ---- */

typedef struct Buf {
    char *s;
    size_t len, cap;
} Buf;

static void
buf_add(Buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* printf, where each %s argument is XML-escaped: every string this file
 * prints comes from the host or QEMU, never trusted to be clean. */
static void _printf_(2, 3)
buf_printf(Buf *b, const char *fmt, ...)
{
    va_list ap;
    char *t;
    va_start(ap, fmt);
    if (vasprintf(&t, fmt, ap) < 0)
        abort();
    va_end(ap);
    buf_add(b, t, strlen(t));
    free(t);
}

static char *
esc(const char *s)
{
    Buf b = { 0 };
    buf_add(&b, "", 0);
    for (; s && *s; s++) {
        switch (*s) {
        case '<': buf_add(&b, "&lt;", 4); break;
        case '>': buf_add(&b, "&gt;", 4); break;
        case '&': buf_add(&b, "&amp;", 5); break;
        case '\'': buf_add(&b, "&apos;", 6); break;
        case '"': buf_add(&b, "&quot;", 6); break;
        default:
            if ((unsigned char) *s < 0x20)
                buf_add(&b, " ", 1);
            else
                buf_add(&b, s, 1);
        }
    }
    return b.s;
}

/* ---- freeing ---- */

static void
machine_clear(QemuMachine *m)
{
    free(m->name);
    free(m->alias);
}

static void
emulator_clear(QemuEmulator *e)
{
    free(e->path);
    free(e->arch);
    for (size_t i = 0; i < e->n_machines; i++)
        machine_clear(&e->machines[i]);
    free(e->machines);
    strv_free(e->cpu_models);
    *e = (QemuEmulator) { 0 };
}

void
qemu_host_caps_free(QemuHostCaps *caps)
{
    if (!caps)
        return;
    host_cpu_free(caps->cpu);
    node_cells_free(caps->cells, caps->n_cells);
    for (size_t i = 0; i < caps->n_emulators; i++)
        emulator_clear(&caps->emulators[i]);
    free(caps->emulators);
    free(caps->host_uuid);
    free(caps->sysroot);
    free(caps);
}

/* ---- KVM ---- */

bool
qemu_caps_kvm_available(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    int v = ioctl(fd, KVM_GET_API_VERSION, 0);
    close(fd);
    return v == KVM_API_VERSION;
}

/* ---- arch tables ---- */

/* qemu-system-TARGET -> libvirt arch name. */
static const char *
arch_from_target(const char *target)
{
    static const struct { const char *target, *arch; } map[] = {
        { "i386", "i686" }, { "arm", "armv7l" }, { "ppc", "ppc" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(map); i++)
        if (STREQ(map[i].target, target))
            return map[i].arch;
    return target;
}

static unsigned
arch_wordsize(const char *arch)
{
    static const char *const bits32[] = {
        "i686", "armv7l", "armv6l", "ppc", "mips", "mipsel", "sparc", "riscv32", "m68k",
        "microblaze", "microblazeel", "or1k", "sh4", "sh4eb", "xtensa", "xtensaeb", "cris",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bits32); i++)
        if (STREQ(bits32[i], arch))
            return 32;
    return 64;
}

static bool
arch_is_x86(const char *arch)
{
    return arch && (STREQ(arch, "x86_64") || STREQ(arch, "i686"));
}

/* Can this host run @guest_arch with KVM? x86_64 hosts run i686 guests too. */
static bool
arch_kvm_compatible(const char *host_arch, const char *guest_arch)
{
    if (STREQ(host_arch, guest_arch))
        return true;
    if (STREQ(host_arch, "x86_64") && STREQ(guest_arch, "i686"))
        return true;
    if (STREQ(host_arch, "aarch64") && STREQ(guest_arch, "armv7l"))
        return true;
    return false;
}

/* maxCpus of a machine type, as QEMU 7.2's machine classes set it. */
static unsigned
machine_max_cpus(const char *arch, const char *name)
{
    static const struct { const char *prefix; unsigned max; } x86[] = {
        { "pc-q35-", 288 }, { "q35", 288 }, { "pc-i440fx-", 255 }, { "pc", 255 },
        { "microvm", 288 }, { "xenfv", 128 }, { "isapc", 1 }, { "none", 1 },
    };
    if (arch_is_x86(arch)) {
        for (size_t i = 0; i < ARRAY_SIZE(x86); i++)
            if (strncmp(name, x86[i].prefix, strlen(x86[i].prefix)) == 0)
                return x86[i].max;
        return 1;
    }
    if (STREQ(name, "none"))
        return 1;
    if (strncmp(name, "virt", 4) == 0)
        return STREQ(arch, "aarch64") ? 512 : 8;
    if (strncmp(name, "pseries", 7) == 0)
        return 1024;
    if (strncmp(name, "s390-ccw-virtio", 15) == 0)
        return 248;
    return 1;
}

/* ---- parsing QEMU's help ---- */

/* "-machine help": "NAME   DESCRIPTION [(alias of X)] [(default)]". The
 * alias lines become the alias of their target, as libvirt shows them. */
static int
parse_machine_help(const char *arch, const char *text, QemuMachine **ret, size_t *ret_n)
{
    QemuMachine *machines = NULL;
    size_t n = 0;
    char **alias_names = NULL, **alias_targets = NULL;
    size_t n_alias = 0;
    auto_cleanup(free_ptr) char *copy = xstrdup(text);
    char *save = NULL;

    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "Supported machines", 18) == 0 || !*line || isspace((unsigned char) *line))
            continue;
        size_t nl = strcspn(line, " \t");
        auto_cleanup(free_ptr) char *name = xstrndup(line, nl);
        const char *rest = line + nl;
        const char *al = strstr(rest, "(alias of ");
        if (al) {
            al += strlen("(alias of ");
            size_t tl = strcspn(al, ")");
            alias_names = xrealloc(alias_names, (n_alias + 1) * sizeof(char *));
            alias_targets = xrealloc(alias_targets, (n_alias + 1) * sizeof(char *));
            alias_names[n_alias] = steal_ptr(name);
            alias_targets[n_alias] = xstrndup(al, tl);
            n_alias++;
            continue;
        }
        machines = xrealloc(machines, (n + 1) * sizeof(*machines));
        machines[n] = (QemuMachine) {
            .name = steal_ptr(name),
            .is_default = strstr(rest, "(default)") != NULL,
        };
        machines[n].max_cpus = machine_max_cpus(arch, machines[n].name);
        n++;
    }
    for (size_t i = 0; i < n_alias; i++) {
        for (size_t j = 0; j < n; j++) {
            if (STREQ(machines[j].name, alias_targets[i]) && !machines[j].alias) {
                machines[j].alias = steal_ptr(alias_names[i]);
                break;
            }
        }
        free(alias_names[i]);
        free(alias_targets[i]);
    }
    free(alias_names);
    free(alias_targets);
    if (n == 0) {
        free(machines);
        return -EINVAL;
    }
    *ret = machines;
    *ret_n = n;
    return 0;
}

/* "-cpu help" on x86: "x86 NAME  (description)". Other targets print other
 * formats; only x86 is parsed. */
static char **
parse_cpu_help(const char *text)
{
    char **models = NULL;
    auto_cleanup(free_ptr) char *copy = xstrdup(text);
    char *save = NULL;

    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strncmp(line, "x86 ", 4) != 0)
            continue;
        char *p = line + 4;
        while (*p == ' ')
            p++;
        size_t nl = strcspn(p, " \t");
        if (nl == 0)
            continue;
        strv_push(&models, xstrndup(p, nl));
    }
    return models;
}

static int
run_help(const char *path, const char *opt, char **ret, Error *error)
{
    const char *argv[] = { path, opt, "help", NULL };
    auto_cleanup(free_ptr) char *out = NULL;
    int status = 0;
    int r;

    r = child_run_capture(argv, QEMU_HELP_MAX, &out, &status, error);
    if (r < 0)
        return r;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return error_set(error, -EIO, VIR_ERR_INTERNAL_ERROR,
                         "'%s %s help' failed with status %d", path, opt,
                         WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    *ret = steal_ptr(out);
    return 0;
}

/* ---- cache ---- */

static char *
cache_file(const char *cache_dir, const char *path)
{
    auto_cleanup(free_ptr) char *name = xstrdup(path[0] == '/' ? path + 1 : path);
    for (char *p = name; *p; p++)
        if (*p == '/')
            *p = '_';
    auto_cleanup(free_ptr) char *file = xasprintf("%s.json", name);
    return path_join(cache_dir, file);
}

/* Loads @emu's machines from the cache when its key (path, size, mtime)
 * matches @st. Returns 1 when loaded, 0 when absent or stale. */
static int
cache_load(const char *cache_dir, const struct stat *st, QemuEmulator *emu)
{
    auto_cleanup(free_ptr) char *file = cache_file(cache_dir, emu->path);
    auto_cleanup(free_ptr) char *data = NULL;
    Error ignored = ERROR_INIT;
    size_t len;
    json_error_t jerr;
    int ok = 0;

    if (file_read_all(file, QEMU_HELP_MAX, &data, &len, &ignored) < 0) {
        error_clear(&ignored);
        return 0;
    }
    json_t *root = json_loadb(data, len, 0, &jerr);
    if (!root) {
        log_debug("ignoring unreadable QEMU capabilities cache '%s': %s", file, jerr.text);
        return 0;
    }
    json_t *machines = json_object_get(root, "machines");
    json_t *cpus = json_object_get(root, "cpu_models");
    if (json_integer_value(json_object_get(root, "version")) != CACHE_VERSION ||
        !STREQ_NULL(json_string_value(json_object_get(root, "path")), emu->path) ||
        json_integer_value(json_object_get(root, "size")) != (json_int_t) st->st_size ||
        json_integer_value(json_object_get(root, "mtime_sec")) != (json_int_t) st->st_mtim.tv_sec ||
        json_integer_value(json_object_get(root, "mtime_nsec")) != (json_int_t) st->st_mtim.tv_nsec ||
        !json_is_array(machines) || json_array_size(machines) == 0) {
        log_debug("QEMU capabilities cache '%s' is stale", file);
        goto out;
    }

    size_t n = json_array_size(machines);
    QemuMachine *ms = xcalloc(n, sizeof(*ms));
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_array_get(machines, i);
        const char *name = json_string_value(json_object_get(m, "name"));
        if (!name) {
            for (size_t j = 0; j < i; j++)
                machine_clear(&ms[j]);
            free(ms);
            goto out;
        }
        ms[i].name = xstrdup(name);
        ms[i].alias = xstrdup(json_string_value(json_object_get(m, "alias")));
        ms[i].is_default = json_is_true(json_object_get(m, "default"));
        ms[i].max_cpus = (unsigned) json_integer_value(json_object_get(m, "max_cpus"));
    }
    emu->machines = ms;
    emu->n_machines = n;
    if (json_is_array(cpus)) {
        for (size_t i = 0; i < json_array_size(cpus); i++) {
            const char *c = json_string_value(json_array_get(cpus, i));
            if (c)
                strv_push(&emu->cpu_models, xstrdup(c));
        }
    }
    ok = 1;
out:
    json_decref(root);
    return ok;
}

static void
cache_store(const char *cache_dir, const struct stat *st, const QemuEmulator *emu)
{
    auto_cleanup(free_ptr) char *file = cache_file(cache_dir, emu->path);
    Error error = ERROR_INIT;
    json_t *machines = json_array();
    json_t *cpus = json_array();

    for (size_t i = 0; i < emu->n_machines; i++) {
        const QemuMachine *m = &emu->machines[i];
        json_t *o = json_pack("{s:s, s:b, s:i}", "name", m->name, "default", m->is_default,
                              "max_cpus", (json_int_t) m->max_cpus);
        if (m->alias)
            json_object_set_new(o, "alias", json_string(m->alias));
        json_array_append_new(machines, o);
    }
    for (size_t i = 0; emu->cpu_models && emu->cpu_models[i]; i++)
        json_array_append_new(cpus, json_string(emu->cpu_models[i]));

    json_t *root = json_pack("{s:i, s:s, s:s, s:I, s:I, s:I, s:o, s:o}",
                             "version", CACHE_VERSION, "path", emu->path, "arch", emu->arch,
                             "size", (json_int_t) st->st_size,
                             "mtime_sec", (json_int_t) st->st_mtim.tv_sec,
                             "mtime_nsec", (json_int_t) st->st_mtim.tv_nsec,
                             "machines", machines, "cpu_models", cpus);
    char *text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    /* A cache that cannot be written only costs a probe at the next start. */
    if (!text || mkdir_p(cache_dir, 0755, &error) < 0 ||
        file_write_atomic(file, text, strlen(text), 0644, &error) < 0)
        log_debug("cannot write QEMU capabilities cache '%s': %s", file,
                  error.message ? error.message : "out of memory");
    error_clear(&error);
    free(text);
    json_decref(root);
}

/* ---- probing ---- */

static int
probe_emulator(const char *cache_dir, const char *path, const char *arch, QemuEmulator *ret,
               Error *error)
{
    QemuEmulator emu = { .path = xstrdup(path), .arch = xstrdup(arch) };
    struct stat st;
    int r;

    if (stat(path, &st) < 0) {
        r = error_set_errno(error, -errno, VIR_ERR_INTERNAL_ERROR,
                            "cannot check QEMU binary '%s'", path);
        emulator_clear(&emu);
        return r;
    }

    if (!cache_dir || cache_load(cache_dir, &st, &emu) <= 0) {
        auto_cleanup(free_ptr) char *machine_help = NULL;
        auto_cleanup(free_ptr) char *cpu_help = NULL;

        r = run_help(path, "-machine", &machine_help, error);
        if (r >= 0 && parse_machine_help(arch, machine_help, &emu.machines, &emu.n_machines) < 0)
            r = error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                          "no machine types in the output of '%s -machine help'", path);
        if (r >= 0 && arch_is_x86(arch)) {
            /* The CPU list only refines the model names: not fatal. */
            Error cpu_error = ERROR_INIT;
            if (run_help(path, "-cpu", &cpu_help, &cpu_error) >= 0)
                emu.cpu_models = parse_cpu_help(cpu_help);
            error_clear(&cpu_error);
        }
        if (r < 0) {
            emulator_clear(&emu);
            return r;
        }
        if (cache_dir)
            cache_store(cache_dir, &st, &emu);
    }

    *ret = emu;
    return 0;
}

/* "3d1219c7c4c5404aaa1f6d2a48adfda4" -> "3d1219c7-c4c5-404a-aa1f-6d2a48adfda4" */
static char *
host_uuid(const char *sysroot)
{
    static const char *const files[] = { "sys/class/dmi/id/product_uuid", "etc/machine-id" };

    for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
        auto_cleanup(free_ptr) char *path = path_join(sysroot, files[i]);
        auto_cleanup(free_ptr) char *data = NULL;
        Error ignored = ERROR_INIT;
        size_t len;
        char hex[33];
        size_t nh = 0;

        if (file_read_all(path, 4096, &data, &len, &ignored) < 0) {
            error_clear(&ignored);
            continue;
        }
        for (char *p = data; *p && nh < 33; p++) {
            if (isxdigit((unsigned char) *p))
                hex[nh++] = (char) tolower((unsigned char) *p);
            else if (*p != '-' && !isspace((unsigned char) *p))
                nh = 33;
        }
        if (nh != 32)
            continue;
        /* Firmware placeholders are not identities. */
        if (strspn(hex, "0") == 32 || strspn(hex, "f") == 32)
            continue;
        return xasprintf("%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
                         hex + 20);
    }
    return NULL;
}

int
qemu_caps_probe_dirs(const char *sysroot, const char *cache_dir, const char *const *dirs,
                     QemuHostCaps **ret, Error *error)
{
    auto_cleanup(qemu_host_caps_freep) QemuHostCaps *caps = xcalloc(1, sizeof(*caps));
    int r;

    r = node_get_host_cpu(sysroot, &caps->cpu, error);
    if (r < 0)
        return r;
    r = node_get_cells(sysroot, &caps->cells, &caps->n_cells, error);
    if (r < 0)
        return r;
    caps->host_uuid = host_uuid(sysroot);
    caps->sysroot = xstrdup(sysroot && *sysroot ? sysroot : "/");

    bool kvm = qemu_caps_kvm_available();
    for (size_t d = 0; dirs && dirs[d]; d++) {
        DIR *dir = opendir(dirs[d]);
        struct dirent *de;
        auto_cleanup(strv_freep) char **names = NULL;

        if (!dir)
            continue;
        while ((de = readdir(dir)))
            if (strncmp(de->d_name, "qemu-system-", 12) == 0)
                strv_push(&names, xstrdup(de->d_name));
        closedir(dir);
        if (!names)
            continue;
        strv_sort(names);

        for (size_t i = 0; names[i]; i++) {
            const char *target = names[i] + 12;
            /* qemu-system-x86_64-microvm and friends are variants of a
             * target, not targets: libvirt looks for qemu-system-ARCH only. */
            if (!*target || strchr(target, '-') || strchr(target, '.'))
                continue;
            const char *arch = arch_from_target(target);
            if (qemu_caps_find_emulator(caps, NULL, arch))
                continue; /* the first folder wins, as PATH lookup does */
            auto_cleanup(free_ptr) char *path = path_join(dirs[d], names[i]);
            if (access(path, X_OK) < 0)
                continue;

            QemuEmulator emu;
            Error probe_error = ERROR_INIT;
            r = probe_emulator(cache_dir, path, arch, &emu, &probe_error);
            if (r < 0) {
                /* One broken emulator does not hide the others. */
                log_debug("skipping QEMU binary '%s': %s", path, probe_error.message);
                error_clear(&probe_error);
                continue;
            }
            emu.kvm = kvm && arch_kvm_compatible(caps->cpu->arch, arch);
            caps->emulators = xrealloc(caps->emulators,
                                       (caps->n_emulators + 1) * sizeof(*caps->emulators));
            caps->emulators[caps->n_emulators++] = emu;
        }
    }

    /* Name the host CPU after a model this QEMU knows. */
    const QemuEmulator *host_emu = qemu_caps_find_emulator(caps, NULL, caps->cpu->arch);
    if (host_emu && host_emu->cpu_models)
        host_cpu_pick_model(caps->cpu, (const char *const *) host_emu->cpu_models);

    *ret = steal_ptr(caps);
    return 0;
}

int
qemu_caps_probe(const char *sysroot, const char *cache_dir, QemuHostCaps **ret, Error *error)
{
    auto_cleanup(strv_freep) char **dirs = NULL;
    const char *env = getenv("PATH");

    strv_push(&dirs, xstrdup("/usr/bin"));
    strv_push(&dirs, xstrdup("/usr/local/bin"));
    if (env) {
        auto_cleanup(free_ptr) char *copy = xstrdup(env);
        char *save = NULL;
        for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
            if (*p == '/' && !strv_contains(dirs, p))
                strv_push(&dirs, xstrdup(p));
    }
    return qemu_caps_probe_dirs(sysroot, cache_dir, (const char *const *) dirs, ret, error);
}

/* ---- lookups ---- */

const QemuEmulator *
qemu_caps_find_emulator(const QemuHostCaps *caps, const char *path_or_null,
                        const char *arch_or_null)
{
    if (!caps)
        return NULL;
    if (path_or_null && !*path_or_null)
        path_or_null = NULL;
    if (arch_or_null && !*arch_or_null)
        arch_or_null = NULL;
    for (size_t i = 0; i < caps->n_emulators; i++) {
        const QemuEmulator *e = &caps->emulators[i];
        if (path_or_null && !STREQ(e->path, path_or_null))
            continue;
        if (arch_or_null && !STREQ(e->arch, arch_or_null))
            continue;
        return e;
    }
    return NULL;
}

const QemuMachine *
qemu_emulator_find_machine(const QemuEmulator *emu, const char *name)
{
    if (!emu || !name)
        return NULL;
    for (size_t i = 0; i < emu->n_machines; i++)
        if (STREQ(emu->machines[i].name, name) ||
            (emu->machines[i].alias && STREQ(emu->machines[i].alias, name)))
            return &emu->machines[i];
    return NULL;
}

static const QemuMachine *
emulator_default_machine(const QemuEmulator *emu)
{
    for (size_t i = 0; i < emu->n_machines; i++)
        if (emu->machines[i].is_default)
            return &emu->machines[i];
    /* No default (aarch64, for one): libvirt then takes the first. */
    for (size_t i = 0; i < emu->n_machines; i++)
        if (!STREQ(emu->machines[i].name, "none"))
            return &emu->machines[i];
    return emu->n_machines ? &emu->machines[0] : NULL;
}

/* ---- <capabilities> ---- */

static void
format_host_cpu(Buf *b, const HostCpu *cpu, const char *sysroot)
{
    auto_cleanup(free_ptr) char *arch = esc(cpu->arch);
    buf_printf(b, "    <cpu>\n");
    buf_printf(b, "      <arch>%s</arch>\n", arch);
    if (cpu->model && arch_is_x86(cpu->arch)) {
        auto_cleanup(free_ptr) char *model = esc(cpu->model);
        buf_printf(b, "      <model>%s</model>\n", model);
    }
    if (cpu->vendor) {
        auto_cleanup(free_ptr) char *vendor = esc(cpu->vendor);
        buf_printf(b, "      <vendor>%s</vendor>\n", vendor);
    }
    if (cpu->microcode)
        buf_printf(b, "      <microcode version='%" PRIu64 "'/>\n", cpu->microcode);
    if (cpu->family)
        buf_printf(b, "      <signature family='%u' model='%u' stepping='%u'/>\n",
                   cpu->family, cpu->model_number, cpu->stepping);
    buf_printf(b, "      <topology sockets='%u' dies='%u' cores='%u' threads='%u'/>\n",
               cpu->sockets, cpu->dies, cpu->cores, cpu->threads);
    if (cpu->phys_bits)
        buf_printf(b, "      <maxphysaddr mode='emulate' bits='%u'/>\n", cpu->phys_bits);
    for (size_t i = 0; i < cpu->n_features; i++) {
        auto_cleanup(free_ptr) char *f = esc(cpu->features[i]);
        buf_printf(b, "      <feature name='%s'/>\n", f);
    }

    /* Page sizes: the base page and every huge page size the kernel offers. */
    buf_printf(b, "      <pages unit='KiB' size='%ld'/>\n", sysconf(_SC_PAGESIZE) / 1024);
    auto_cleanup(free_ptr) char *hp = path_join(sysroot, "sys/kernel/mm/hugepages");
    DIR *d = opendir(hp);
    if (d) {
        auto_cleanup(free_ptr) unsigned long *sizes = NULL;
        size_t n = 0;
        struct dirent *de;
        while ((de = readdir(d))) {
            unsigned long kib;
            if (sscanf(de->d_name, "hugepages-%lukB", &kib) == 1) {
                sizes = xrealloc(sizes, (n + 1) * sizeof(*sizes));
                sizes[n++] = kib;
            }
        }
        closedir(d);
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (sizes[j] < sizes[i]) {
                    unsigned long t = sizes[i];
                    sizes[i] = sizes[j];
                    sizes[j] = t;
                }
        for (size_t i = 0; i < n; i++)
            buf_printf(b, "      <pages unit='KiB' size='%lu'/>\n", sizes[i]);
    }
    buf_printf(b, "    </cpu>\n");
}

static bool
sysroot_has_entries(const char *sysroot, const char *rel)
{
    auto_cleanup(free_ptr) char *path = path_join(sysroot, rel);
    DIR *d = opendir(path);
    struct dirent *de;
    bool found = false;
    if (!d)
        return false;
    while (!found && (de = readdir(d)))
        found = de->d_name[0] != '.';
    closedir(d);
    return found;
}

static void
format_power_management(Buf *b, const char *sysroot)
{
    /* What the kernel offers (libvirt asks pm-utils or logind, which answer
     * from the same file). */
    auto_cleanup(free_ptr) char *data = NULL;
    size_t len;
    Error ignored = ERROR_INIT;
    bool mem = false, disk = false;

    auto_cleanup(free_ptr) char *path = path_join(sysroot, "sys/power/state");

    if (file_read_all(path, 4096, &data, &len, &ignored) == 0) {
        char *save = NULL;
        for (char *w = strtok_r(data, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
            mem |= STREQ(w, "mem");
            disk |= STREQ(w, "disk");
        }
    }
    error_clear(&ignored);
    if (!mem && !disk) {
        buf_printf(b, "    <power_management/>\n");
        return;
    }
    buf_printf(b, "    <power_management>\n");
    if (mem)
        buf_printf(b, "      <suspend_mem/>\n");
    if (disk)
        buf_printf(b, "      <suspend_disk/>\n");
    if (mem && disk)
        buf_printf(b, "      <suspend_hybrid/>\n");
    buf_printf(b, "    </power_management>\n");
}

static void
format_cells(Buf *b, const QemuHostCaps *caps, const char *sysroot)
{
    long page_kib = sysconf(_SC_PAGESIZE) / 1024;

    buf_printf(b, "    <topology>\n");
    buf_printf(b, "      <cells num='%zu'>\n", caps->n_cells);
    for (size_t c = 0; c < caps->n_cells; c++) {
        const NodeCell *cell = &caps->cells[c];
        buf_printf(b, "        <cell id='%u'>\n", cell->id);
        buf_printf(b, "          <memory unit='KiB'>%" PRIu64 "</memory>\n", cell->memory_kib);

        /* Huge pages reserved on this node, and the base pages left. */
        uint64_t huge_kib = 0;
        Buf pages = { 0 };
        buf_add(&pages, "", 0);
        auto_cleanup(free_ptr) char *rel =
            xasprintf("sys/devices/system/node/node%u/hugepages", cell->id);
        auto_cleanup(free_ptr) char *hp = path_join(sysroot, rel);
        DIR *d = opendir(hp);
        if (d) {
            struct dirent *de;
            unsigned long sizes[16], counts[16];
            size_t n = 0;
            while ((de = readdir(d)) && n < ARRAY_SIZE(sizes)) {
                unsigned long kib;
                if (sscanf(de->d_name, "hugepages-%lukB", &kib) != 1)
                    continue;
                auto_cleanup(free_ptr) char *nr = xasprintf("%s/%s/nr_hugepages", hp,
                                                            de->d_name);
                auto_cleanup(free_ptr) char *data = NULL;
                size_t len;
                Error ignored = ERROR_INIT;
                unsigned long count = 0;
                if (file_read_all(nr, 64, &data, &len, &ignored) == 0)
                    count = strtoul(data, NULL, 10);
                error_clear(&ignored);
                sizes[n] = kib;
                counts[n] = count;
                n++;
            }
            closedir(d);
            for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++)
                    if (sizes[j] < sizes[i]) {
                        unsigned long t = sizes[i];
                        sizes[i] = sizes[j];
                        sizes[j] = t;
                        t = counts[i];
                        counts[i] = counts[j];
                        counts[j] = t;
                    }
            for (size_t i = 0; i < n; i++) {
                huge_kib += (uint64_t) sizes[i] * counts[i];
                buf_printf(&pages, "          <pages unit='KiB' size='%lu'>%lu</pages>\n",
                           sizes[i], counts[i]);
            }
        }
        uint64_t base = cell->memory_kib > huge_kib ? cell->memory_kib - huge_kib : 0;
        buf_printf(b, "          <pages unit='KiB' size='%ld'>%" PRIu64 "</pages>\n", page_kib,
                   base / (uint64_t) page_kib);
        buf_add(b, pages.s, pages.len);
        free(pages.s);

        /* Distances, in the order of the cells. */
        auto_cleanup(free_ptr) char *drel =
            xasprintf("sys/devices/system/node/node%u/distance", cell->id);
        auto_cleanup(free_ptr) char *dpath = path_join(sysroot, drel);
        auto_cleanup(free_ptr) char *dist = NULL;
        size_t dlen;
        Error ignored = ERROR_INIT;
        if (file_read_all(dpath, 4096, &dist, &dlen, &ignored) == 0) {
            char *p = dist;
            buf_printf(b, "          <distances>\n");
            for (size_t i = 0; i < caps->n_cells; i++) {
                char *end;
                unsigned long v = strtoul(p, &end, 10);
                if (end == p)
                    break;
                p = end;
                buf_printf(b, "            <sibling id='%u' value='%lu'/>\n",
                           caps->cells[i].id, v);
            }
            buf_printf(b, "          </distances>\n");
        }
        error_clear(&ignored);

        buf_printf(b, "          <cpus num='%zu'>\n", cell->n_cpus);
        for (size_t i = 0; i < cell->n_cpus; i++) {
            buf_printf(b, "            <cpu id='%u'", cell->cpus[i]);
            if (cell->cpu_socket_ids && cell->cpu_socket_ids[i] >= 0)
                buf_printf(b, " socket_id='%d'", cell->cpu_socket_ids[i]);
            if (cell->cpu_die_ids && cell->cpu_die_ids[i] >= 0)
                buf_printf(b, " die_id='%d'", cell->cpu_die_ids[i]);
            if (cell->cpu_core_ids && cell->cpu_core_ids[i] >= 0)
                buf_printf(b, " core_id='%d'", cell->cpu_core_ids[i]);
            if (cell->cpu_siblings && cell->cpu_siblings[i]) {
                auto_cleanup(free_ptr) char *s = esc(cell->cpu_siblings[i]);
                buf_printf(b, " siblings='%s'", s);
            }
            buf_printf(b, "/>\n");
        }
        buf_printf(b, "          </cpus>\n");
        buf_printf(b, "        </cell>\n");
    }
    buf_printf(b, "      </cells>\n");
    buf_printf(b, "    </topology>\n");
}

static void
format_guest(Buf *b, const QemuEmulator *emu)
{
    auto_cleanup(free_ptr) char *arch = esc(emu->arch);
    auto_cleanup(free_ptr) char *path = esc(emu->path);

    buf_printf(b, "  <guest>\n");
    buf_printf(b, "    <os_type>hvm</os_type>\n");
    buf_printf(b, "    <arch name='%s'>\n", arch);
    buf_printf(b, "      <wordsize>%u</wordsize>\n", arch_wordsize(emu->arch));
    buf_printf(b, "      <emulator>%s</emulator>\n", path);

    /* libvirt lists the default machine first, each alias after its target. */
    const QemuMachine *def = emulator_default_machine(emu);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < emu->n_machines; i++) {
            const QemuMachine *m = &emu->machines[i];
            if ((pass == 0) != (m == def))
                continue;
            auto_cleanup(free_ptr) char *name = esc(m->name);
            buf_printf(b, "      <machine maxCpus='%u'>%s</machine>\n", m->max_cpus, name);
            if (m->alias) {
                auto_cleanup(free_ptr) char *alias = esc(m->alias);
                buf_printf(b, "      <machine canonical='%s' maxCpus='%u'>%s</machine>\n",
                           name, m->max_cpus, alias);
            }
        }
    }
    buf_printf(b, "      <domain type='qemu'/>\n");
    if (emu->kvm)
        buf_printf(b, "      <domain type='kvm'/>\n");
    buf_printf(b, "    </arch>\n");

    buf_printf(b, "    <features>\n");
    if (STREQ(emu->arch, "i686")) {
        buf_printf(b, "      <pae/>\n");
        buf_printf(b, "      <nonpae/>\n");
    }
    if (arch_is_x86(emu->arch)) {
        buf_printf(b, "      <acpi default='on' toggle='yes'/>\n");
        buf_printf(b, "      <apic default='on' toggle='no'/>\n");
    }
    buf_printf(b, "      <cpuselection/>\n");
    buf_printf(b, "      <deviceboot/>\n");
    buf_printf(b, "      <disksnapshot default='on' toggle='no'/>\n");
    buf_printf(b, "    </features>\n");
    buf_printf(b, "  </guest>\n");
}

/* Huge pages, distances and the IOMMU are read from caps->sysroot here:
 * they change at run time, so they are not part of the probe. */
char *
qemu_caps_format_capabilities(const QemuHostCaps *caps, uid_t qemu_user, gid_t qemu_group)
{
    const char *sysroot = caps->sysroot ? caps->sysroot : "/";
    Buf b = { 0 };

    buf_printf(&b, "<capabilities>\n\n");
    buf_printf(&b, "  <host>\n");
    if (caps->host_uuid) {
        auto_cleanup(free_ptr) char *u = esc(caps->host_uuid);
        buf_printf(&b, "    <uuid>%s</uuid>\n", u);
    }
    if (caps->cpu)
        format_host_cpu(&b, caps->cpu, sysroot);
    format_power_management(&b, sysroot);
    buf_printf(&b, "    <iommu support='%s'/>\n",
               sysroot_has_entries(sysroot, "sys/kernel/iommu_groups") ? "yes" : "no");
    buf_printf(&b, "    <migration_features>\n");
    buf_printf(&b, "      <live/>\n");
    buf_printf(&b, "      <uri_transports>\n");
    buf_printf(&b, "        <uri_transport>tcp</uri_transport>\n");
    buf_printf(&b, "        <uri_transport>rdma</uri_transport>\n");
    buf_printf(&b, "      </uri_transports>\n");
    buf_printf(&b, "    </migration_features>\n");
    if (caps->n_cells)
        format_cells(&b, caps, sysroot);
    /* libvirt's two models without SELinux or AppArmor: none, and DAC with
     * the ids QEMU runs as. */
    buf_printf(&b, "    <secmodel>\n");
    buf_printf(&b, "      <model>none</model>\n");
    buf_printf(&b, "      <doi>0</doi>\n");
    buf_printf(&b, "    </secmodel>\n");
    buf_printf(&b, "    <secmodel>\n");
    buf_printf(&b, "      <model>dac</model>\n");
    buf_printf(&b, "      <doi>0</doi>\n");
    buf_printf(&b, "      <baselabel type='kvm'>+%u:+%u</baselabel>\n", (unsigned) qemu_user,
               (unsigned) qemu_group);
    buf_printf(&b, "      <baselabel type='qemu'>+%u:+%u</baselabel>\n", (unsigned) qemu_user,
               (unsigned) qemu_group);
    buf_printf(&b, "    </secmodel>\n");
    buf_printf(&b, "  </host>\n\n");

    /* One guest per arch; the emulator list already holds one per arch. */
    for (size_t i = 0; i < caps->n_emulators; i++) {
        format_guest(&b, &caps->emulators[i]);
        buf_printf(&b, "\n");
    }
    buf_printf(&b, "</capabilities>\n");
    return b.s;
}

/* ---- <domainCapabilities> ---- */

static void
format_enum(Buf *b, const char *indent, const char *name, const char *const *values)
{
    if (!values || !values[0]) {
        buf_printf(b, "%s<enum name='%s'/>\n", indent, name);
        return;
    }
    buf_printf(b, "%s<enum name='%s'>\n", indent, name);
    for (size_t i = 0; values[i]; i++) {
        auto_cleanup(free_ptr) char *v = esc(values[i]);
        buf_printf(b, "%s  <value>%s</value>\n", indent, v);
    }
    buf_printf(b, "%s</enum>\n", indent);
}

/* Firmware images Debian's ovmf package installs, best first. */
static const char *const ovmf_codes[] = {
    "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_CODE.fd",
    "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", "/usr/share/OVMF/OVMF_CODE.secboot.fd",
};

static void
format_os(Buf *b, const QemuHostCaps *caps, const QemuEmulator *emu)
{
    const char *loaders[ARRAY_SIZE(ovmf_codes) + 1] = { 0 };
    size_t n = 0;
    bool secure = false;

    if (STREQ(emu->arch, "x86_64")) {
        for (size_t i = 0; i < ARRAY_SIZE(ovmf_codes); i++) {
            auto_cleanup(free_ptr) char *p = path_join(caps->sysroot ? caps->sysroot : "/",
                                                       ovmf_codes[i]);
            if (file_exists(p)) {
                loaders[n++] = ovmf_codes[i];
                secure |= strstr(ovmf_codes[i], "secboot") != NULL;
            }
        }
    }
    const char *firmware[3] = { 0 };
    size_t nf = 0;
    if (n)
        firmware[nf++] = "efi";
    if (arch_is_x86(emu->arch))
        firmware[nf++] = "bios";

    buf_printf(b, "  <os supported='yes'>\n");
    format_enum(b, "    ", "firmware", firmware);
    buf_printf(b, "    <loader supported='yes'>\n");
    for (size_t i = 0; i < n; i++) {
        auto_cleanup(free_ptr) char *v = esc(loaders[i]);
        buf_printf(b, "      <value>%s</value>\n", v);
    }
    format_enum(b, "      ", "type", (const char *const[]) { "rom", "pflash", NULL });
    format_enum(b, "      ", "readonly", (const char *const[]) { "yes", "no", NULL });
    format_enum(b, "      ", "secure",
                secure ? (const char *const[]) { "yes", "no", NULL }
                       : (const char *const[]) { "no", NULL });
    buf_printf(b, "    </loader>\n");
    buf_printf(b, "  </os>\n");
}

static void
format_cpu_modes(Buf *b, const QemuHostCaps *caps, const QemuEmulator *emu, bool kvm)
{
    bool host_arch = caps->cpu && arch_kvm_compatible(caps->cpu->arch, emu->arch);

    buf_printf(b, "  <cpu>\n");
    /* host-passthrough needs KVM; TCG cannot pass the host CPU through. */
    buf_printf(b, "    <mode name='host-passthrough' supported='%s'", kvm ? "yes" : "no");
    if (kvm) {
        buf_printf(b, ">\n");
        format_enum(b, "      ", "hostPassthroughMigratable",
                    (const char *const[]) { "on", "off", NULL });
        buf_printf(b, "    </mode>\n");
    } else {
        buf_printf(b, "/>\n");
    }
    buf_printf(b, "    <mode name='maximum' supported='yes'>\n");
    format_enum(b, "      ", "maximumMigratable", (const char *const[]) { "on", "off", NULL });
    buf_printf(b, "    </mode>\n");

    if (host_arch && arch_is_x86(emu->arch) && caps->cpu->model) {
        auto_cleanup(free_ptr) char *model = esc(caps->cpu->model);
        buf_printf(b, "    <mode name='host-model' supported='yes'>\n");
        buf_printf(b, "      <model fallback='forbid'>%s</model>\n", model);
        if (caps->cpu->vendor) {
            auto_cleanup(free_ptr) char *vendor = esc(caps->cpu->vendor);
            buf_printf(b, "      <vendor>%s</vendor>\n", vendor);
        }
        for (size_t i = 0; i < caps->cpu->n_features; i++) {
            auto_cleanup(free_ptr) char *f = esc(caps->cpu->features[i]);
            buf_printf(b, "      <feature policy='require' name='%s'/>\n", f);
        }
        buf_printf(b, "    </mode>\n");
    } else {
        buf_printf(b, "    <mode name='host-model' supported='no'/>\n");
    }

    if (emu->cpu_models && emu->cpu_models[0]) {
        buf_printf(b, "    <mode name='custom' supported='yes'>\n");
        for (size_t i = 0; emu->cpu_models[i]; i++) {
            const char *m = emu->cpu_models[i];
            /* "host" and "max" are modes, not models; versioned names are
             * QEMU's internals that libvirt lists too, so keep them. */
            if (STREQ(m, "host") || STREQ(m, "max") || STREQ(m, "base"))
                continue;
            auto_cleanup(free_ptr) char *v = esc(m);
            /* Usability needs a feature comparison libvirt does with its
             * cpu_map; without one, say so. */
            buf_printf(b, "      <model usable='unknown'>%s</model>\n", v);
        }
        buf_printf(b, "    </mode>\n");
    } else {
        buf_printf(b, "    <mode name='custom' supported='no'/>\n");
    }
    buf_printf(b, "  </cpu>\n");
}

static void
format_devices(Buf *b, const QemuEmulator *emu, const QemuMachine *machine)
{
    bool x86 = arch_is_x86(emu->arch);
    bool q35 = strstr(machine->name, "q35") != NULL;
    const char *buses[8];
    size_t n = 0;

    /* The IDE controller is the PIIX one of i440fx; q35 has AHCI (sata). */
    if (x86 && !q35 && strncmp(machine->name, "microvm", 7) != 0)
        buses[n++] = "ide";
    if (x86)
        buses[n++] = "fdc";
    buses[n++] = "scsi";
    buses[n++] = "virtio";
    buses[n++] = "usb";
    if (x86 || STREQ(emu->arch, "aarch64"))
        buses[n++] = "sata";
    buses[n] = NULL;

    buf_printf(b, "  <devices>\n");
    buf_printf(b, "    <disk supported='yes'>\n");
    format_enum(b, "      ", "diskDevice",
                (const char *const[]) { "disk", "cdrom", "floppy", "lun", NULL });
    format_enum(b, "      ", "bus", buses);
    format_enum(b, "      ", "model",
                (const char *const[]) { "virtio", "virtio-transitional",
                                        "virtio-non-transitional", NULL });
    buf_printf(b, "    </disk>\n");
    buf_printf(b, "    <graphics supported='yes'>\n");
    format_enum(b, "      ", "type",
                (const char *const[]) { "sdl", "vnc", "spice", "egl-headless", "dbus", NULL });
    buf_printf(b, "    </graphics>\n");
    buf_printf(b, "    <video supported='yes'>\n");
    format_enum(b, "      ", "modelType",
                x86 ? (const char *const[]) { "vga", "cirrus", "vmvga", "qxl", "virtio", "none",
                                              "bochs", "ramfb", NULL }
                    : (const char *const[]) { "vga", "virtio", "none", "bochs", "ramfb",
                                              NULL });
    buf_printf(b, "    </video>\n");
    buf_printf(b, "    <hostdev supported='yes'>\n");
    format_enum(b, "      ", "mode", (const char *const[]) { "subsystem", NULL });
    format_enum(b, "      ", "startupPolicy",
                (const char *const[]) { "default", "mandatory", "requisite", "optional",
                                        NULL });
    format_enum(b, "      ", "subsysType",
                (const char *const[]) { "usb", "pci", "scsi", NULL });
    format_enum(b, "      ", "capsType", NULL);
    format_enum(b, "      ", "pciBackend", (const char *const[]) { "default", "vfio", NULL });
    buf_printf(b, "    </hostdev>\n");
    buf_printf(b, "    <rng supported='yes'>\n");
    format_enum(b, "      ", "model",
                (const char *const[]) { "virtio", "virtio-transitional",
                                        "virtio-non-transitional", NULL });
    format_enum(b, "      ", "backendModel",
                (const char *const[]) { "random", "egd", "builtin", NULL });
    buf_printf(b, "    </rng>\n");
    buf_printf(b, "  </devices>\n");
}

int
qemu_caps_format_domain_capabilities(const QemuHostCaps *caps, const char *emulator,
                                     const char *arch, const char *machine,
                                     const char *virttype, char **ret_xml, Error *error)
{
    const QemuEmulator *emu;
    const QemuMachine *m;
    bool kvm;

    if (emulator && !*emulator)
        emulator = NULL;
    if (arch && !*arch)
        arch = NULL;
    if (machine && !*machine)
        machine = NULL;
    if (virttype && !*virttype)
        virttype = NULL;

    if (emulator) {
        emu = qemu_caps_find_emulator(caps, emulator, NULL);
        if (!emu)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "unknown emulator '%s'", emulator);
        if (arch && !STREQ(arch, emu->arch))
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "architecture from emulator '%s' doesn't match given "
                             "architecture '%s'", emu->arch, arch);
    } else {
        if (!arch)
            arch = caps->cpu && caps->cpu->arch ? caps->cpu->arch : "x86_64";
        emu = qemu_caps_find_emulator(caps, NULL, arch);
        if (!emu)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "unable to find any emulator to serve '%s' architecture", arch);
    }

    if (!virttype)
        kvm = emu->kvm;
    else if (STREQ(virttype, "kvm"))
        kvm = true;
    else if (STREQ(virttype, "qemu"))
        kvm = false;
    else
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unknown virttype: '%s'", virttype);
    if (kvm && !emu->kvm)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "KVM is not supported by '%s' on this host", emu->path);

    if (machine) {
        m = qemu_emulator_find_machine(emu, machine);
        if (!m)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "the machine '%s' is not supported by emulator '%s'",
                             machine, emu->path);
    } else {
        m = emulator_default_machine(emu);
        if (!m)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "emulator '%s' has no machine types", emu->path);
    }

    auto_cleanup(free_ptr) char *path = esc(emu->path);
    auto_cleanup(free_ptr) char *mname = esc(m->name);
    auto_cleanup(free_ptr) char *earch = esc(emu->arch);
    Buf b = { 0 };

    buf_printf(&b, "<domainCapabilities>\n");
    buf_printf(&b, "  <path>%s</path>\n", path);
    buf_printf(&b, "  <domain>%s</domain>\n", kvm ? "kvm" : "qemu");
    buf_printf(&b, "  <machine>%s</machine>\n", mname);
    buf_printf(&b, "  <arch>%s</arch>\n", earch);
    buf_printf(&b, "  <vcpu max='%u'/>\n", m->max_cpus);
    buf_printf(&b, "  <iothreads supported='yes'/>\n");
    format_os(&b, caps, emu);
    format_cpu_modes(&b, caps, emu, kvm);
    buf_printf(&b, "  <memoryBacking supported='yes'>\n");
    format_enum(&b, "    ", "sourceType",
                (const char *const[]) { "file", "anonymous", "memfd", NULL });
    buf_printf(&b, "  </memoryBacking>\n");
    format_devices(&b, emu, m);
    buf_printf(&b, "  <features>\n");
    buf_printf(&b, "    <gic supported='%s'/>\n",
               STREQ(emu->arch, "aarch64") || STREQ(emu->arch, "armv7l") ? "yes" : "no");
    buf_printf(&b, "    <vmcoreinfo supported='%s'/>\n", arch_is_x86(emu->arch) ? "yes" : "no");
    buf_printf(&b, "    <genid supported='%s'/>\n", arch_is_x86(emu->arch) ? "yes" : "no");
    buf_printf(&b, "    <backingStoreInput supported='yes'/>\n");
    buf_printf(&b, "    <backup supported='yes'/>\n");
    buf_printf(&b, "    <sev supported='no'/>\n");
    buf_printf(&b, "  </features>\n");
    buf_printf(&b, "</domainCapabilities>\n");

    *ret_xml = b.s;
    return 0;
}

/* A folder of NAME.xml definitions with autostart links. */
#include "state_store.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"

#define STATE_STORE_MAX_XML (16 * 1024 * 1024)
#define XML_SUFFIX ".xml"

struct StateStore {
    char *dir;
    char *autostart_dir;
    bool volatile_;  /* live state under /run: no fsync (see fileutil.h) */
};

int
state_store_open(const char *dir, StateStore **ret, Error *error)
{
    StateStore *s;
    size_t len;
    int r;

    r = mkdir_p(dir, 0755, error);
    if (r < 0)
        return r;

    s = xcalloc(1, sizeof(*s));
    /* Keep the folder without trailing slashes so the links we make read
     * like libvirt's (/etc/libvirt/qemu/NAME.xml). */
    len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (dir[0] == '/') {
        s->dir = xstrndup(dir, len);
    } else {
        /* Links hold absolute paths, so a relative folder is made absolute. */
        auto_cleanup(free_ptr) char *cwd = getcwd(NULL, 0);
        auto_cleanup(free_ptr) char *rel = xstrndup(dir, len);

        if (!cwd) {
            r = -errno;
            free(s);
            return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                                   "cannot resolve folder '%s'", dir);
        }
        s->dir = path_join(cwd, rel);
    }
    s->autostart_dir = path_join(s->dir, "autostart");
    *ret = s;
    return 0;
}

void
state_store_free(StateStore *s)
{
    if (!s)
        return;
    free(s->dir);
    free(s->autostart_dir);
    free(s);
}

const char *
state_store_dir(const StateStore *s)
{
    return s->dir;
}

bool
state_store_name_valid(const char *name)
{
    return name && *name && !strchr(name, '/') && !STREQ(name, ".") && !STREQ(name, "..");
}

static int
check_name(const char *name, Error *error)
{
    if (!state_store_name_valid(name))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid object name '%s'", name ? name : "");
    return 0;
}

char *
state_store_path(const StateStore *s, const char *name)
{
    return xasprintf("%s/%s" XML_SUFFIX, s->dir, name);
}

char *
state_store_autostart_path(const StateStore *s, const char *name)
{
    return xasprintf("%s/%s" XML_SUFFIX, s->autostart_dir, name);
}

int
state_store_save(StateStore *s, const char *name, const char *xml, Error *error)
{
    auto_cleanup(free_ptr) char *path = NULL;
    int r;

    r = check_name(name, error);
    if (r < 0)
        return r;
    path = state_store_path(s, name);
    return file_write_atomic_flags(path, xml, strlen(xml), 0600,
                                   s->volatile_ ? FILE_WRITE_NO_SYNC : 0, error);
}

void
state_store_set_volatile(StateStore *s, bool on)
{
    s->volatile_ = on;
}

int
state_store_load(StateStore *s, const char *name, char **ret_xml, Error *error)
{
    auto_cleanup(free_ptr) char *path = NULL;
    int r;

    r = check_name(name, error);
    if (r < 0)
        return r;
    path = state_store_path(s, name);
    return file_read_all(path, STATE_STORE_MAX_XML, ret_xml, NULL, error);
}

int
state_store_remove(StateStore *s, const char *name, Error *error)
{
    auto_cleanup(free_ptr) char *path = NULL;
    auto_cleanup(free_ptr) char *link = NULL;
    int r;

    r = check_name(name, error);
    if (r < 0)
        return r;
    /* The link first: a crash in between leaves a definition without
     * autostart rather than a dangling link. */
    link = state_store_autostart_path(s, name);
    r = file_remove(link, error);
    if (r < 0)
        return r;
    path = state_store_path(s, name);
    return file_remove(path, error);
}

int
state_store_list(StateStore *s, char ***ret_names, Error *error)
{
    auto_cleanup(strv_freep) char **names = NULL;
    DIR *d;
    struct dirent *de;

    d = opendir(s->dir);
    if (!d)
        return error_set_errno(error, -errno, VIR_ERR_OPEN_FAILED,
                               "cannot open folder '%s'", s->dir);
    names = xcalloc(1, sizeof(char *));
    errno = 0;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);

        /* Hidden files and temporaries (NAME.xml.XXXXXX) are skipped, and
         * so is anything but a regular file. */
        if (de->d_name[0] == '.')
            continue;
        if (len <= strlen(XML_SUFFIX) ||
            !STREQ(de->d_name + len - strlen(XML_SUFFIX), XML_SUFFIX))
            continue;
        if (de->d_type != DT_REG) {
            struct stat st;

            if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
                continue;
            if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
                continue;
        }
        strv_push(&names, xstrndup(de->d_name, len - strlen(XML_SUFFIX)));
    }
    if (errno != 0) {
        int r = -errno;

        closedir(d);
        return error_set_errno(error, r, VIR_ERR_READ_FAILED,
                               "cannot read folder '%s'", s->dir);
    }
    closedir(d);

    strv_sort(names);
    *ret_names = steal_ptr(names);
    return 0;
}

int
state_store_set_autostart(StateStore *s, const char *name, bool on, Error *error)
{
    auto_cleanup(free_ptr) char *link = NULL;
    auto_cleanup(free_ptr) char *path = NULL;
    int r;

    r = check_name(name, error);
    if (r < 0)
        return r;
    link = state_store_autostart_path(s, name);
    if (!on)
        return file_remove(link, error);

    r = mkdir_p(s->autostart_dir, 0755, error);
    if (r < 0)
        return r;
    /* libvirt links to the definition by its absolute path. */
    path = state_store_path(s, name);
    return symlink_atomic(path, link, error);
}

bool
state_store_get_autostart(StateStore *s, const char *name)
{
    auto_cleanup(free_ptr) char *link = NULL;
    struct stat st;

    if (!state_store_name_valid(name))
        return false;
    link = state_store_autostart_path(s, name);
    return lstat(link, &st) == 0 && S_ISLNK(st.st_mode);
}

/* A folder of NAME.xml definitions with autostart links. */
#include "state_store.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/random.h>
#include <uv.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "log.h"

#define STATE_STORE_MAX_XML (16 * 1024 * 1024)
#define XML_SUFFIX ".xml"

struct StateStore {
    char *dir;
    int dirfd;       /* @dir, open for the life of the store: writes go through it */
    char *autostart_dir;
    bool volatile_;  /* live state under /run: no fsync (see fileutil.h) */
    uv_loop_t *loop; /* borrowed: where removed files are unlinked off the loop */
};

#define TRASH_PREFIX ".trash."

/* Whether @name is a temporary of file_write_atomic_at() (NAME.xml.XXXXXX,
 * six letters or digits) or a removed file not yet unlinked (.trash.*):
 * what a crash of ours may leave behind. */
static bool
is_leftover(const char *name)
{
    const char *dot = strrchr(name, '.');

    if (strncmp(name, TRASH_PREFIX, strlen(TRASH_PREFIX)) == 0)
        return true;
    if (!dot || strlen(dot + 1) != 6 || dot - name < (ptrdiff_t) strlen(XML_SUFFIX) ||
        strncmp(dot - strlen(XML_SUFFIX), XML_SUFFIX, strlen(XML_SUFFIX)) != 0)
        return false;
    for (const char *p = dot + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

/* Removes what a daemon killed while writing left in the folder. */
static void
sweep_leftovers(StateStore *s)
{
    int fd = dup(s->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((de = readdir(d)))
        if (is_leftover(de->d_name) && unlinkat(s->dirfd, de->d_name, 0) == 0)
            log_debug("removed '%s/%s', left by an interrupted write", s->dir, de->d_name);
    closedir(d);
}

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
    s->dirfd = -1;
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
    s->dirfd = open(s->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        r = error_set_errno(error, -errno, VIR_ERR_OPEN_FAILED, "cannot open folder '%s'",
                            s->dir);
        state_store_free(s);
        return r;
    }
    sweep_leftovers(s);
    *ret = s;
    return 0;
}

void
state_store_free(StateStore *s)
{
    if (!s)
        return;
    if (s->dirfd >= 0)
        close(s->dirfd);
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
    /* NAME.xml and its temporary NAME.xml.XXXXXX must fit a file name. */
    if (strlen(name) > STATE_STORE_MAX_NAME)
        return error_set(error, -ENAMETOOLONG, VIR_ERR_INVALID_ARG,
                         "invalid name '%.32s...': a name is at most %d bytes long, "
                         "this one has %zu", name, STATE_STORE_MAX_NAME, strlen(name));
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
    auto_cleanup(free_ptr) char *file = NULL;
    int r;

    r = check_name(name, error);
    if (r < 0)
        return r;
    file = xasprintf("%s" XML_SUFFIX, name);
    return file_write_atomic_at(s->dirfd, s->dir, file, xml, strlen(xml), 0600,
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

void
state_store_set_loop(StateStore *s, uv_loop_t *loop)
{
    s->loop = loop;
}

typedef struct TrashWork {
    uv_work_t work;
    int dirfd;         /* our own duplicate */
    char name[32];
} TrashWork;

static void
trash_unlink(uv_work_t *w)
{
    TrashWork *t = w->data;

    (void) unlinkat(t->dirfd, t->name, 0);
}

static void
trash_done(uv_work_t *w, int status)
{
    TrashWork *t = w->data;

    close(t->dirfd);
    free(t);
}

/* Unlinks @file: at once without a loop; else renamed out of the way (a
 * rename in one folder costs no block freeing, which with online discard
 * waits for the disk) and unlinked on the worker pool. Either way the name
 * is gone when this returns. */
static int
remove_file(StateStore *s, const char *file, Error *error)
{
    TrashWork *t;
    unsigned char rnd[6];

    if (!s->loop) {
        if (unlinkat(s->dirfd, file, 0) < 0 && errno != ENOENT)
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "cannot remove file '%s/%s'", s->dir, file);
        return 0;
    }
    t = xcalloc(1, sizeof(*t));
    if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t) sizeof(rnd))
        memset(rnd, 0, sizeof(rnd));
    snprintf(t->name, sizeof(t->name), TRASH_PREFIX "%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5]);
    if (renameat(s->dirfd, file, s->dirfd, t->name) < 0) {
        int e = errno;

        free(t);
        if (e == ENOENT)
            return 0;
        return error_set_errno(error, -e, VIR_ERR_SYSTEM_ERROR, "cannot remove file '%s/%s'",
                               s->dir, file);
    }
    t->dirfd = dup(s->dirfd);
    t->work.data = t;
    if (t->dirfd < 0 || uv_queue_work(s->loop, &t->work, trash_unlink, trash_done) < 0) {
        /* The sweep at the next start removes it. */
        if (t->dirfd >= 0)
            close(t->dirfd);
        free(t);
    }
    return 0;
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
    path = xasprintf("%s" XML_SUFFIX, name);
    return remove_file(s, path, error);
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

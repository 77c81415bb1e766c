/* Files, folders and string vectors. */
#include "fileutil.h"

#include <errno.h>
#include <stdlib.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int
file_read_all(const char *path, size_t max_size, char **ret_data, size_t *ret_len, Error *error)
{
    auto_cleanup(close_fdp) int fd = -1;
    auto_cleanup(free_ptr) char *buf = NULL;
    size_t len = 0, alloc = 0;
    struct stat st;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_OPEN_FAILED,
                               "cannot open file '%s'", path);
    if (fstat(fd, &st) < 0)
        return error_set_errno(error, -errno, VIR_ERR_READ_FAILED,
                               "cannot stat file '%s'", path);
    if (S_ISDIR(st.st_mode))
        return error_set_errno(error, -EISDIR, VIR_ERR_READ_FAILED,
                               "cannot read file '%s'", path);
    if (S_ISREG(st.st_mode) && (unsigned long long) st.st_size > max_size)
        return error_set(error, -EFBIG, VIR_ERR_READ_FAILED,
                         "file '%s' is larger than %zu bytes", path, max_size);

    /* The size from fstat() is only a hint: /proc and /sys files say 0 or
     * 4096, and a file may grow while we read it. */
    alloc = (S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t) st.st_size : 4096) + 1;
    if (alloc > max_size + 1)
        alloc = max_size + 1;
    buf = xmalloc(alloc + 1);
    for (;;) {
        ssize_t n;

        if (len == alloc) {
            if (len > max_size)
                return error_set(error, -EFBIG, VIR_ERR_READ_FAILED,
                                 "file '%s' is larger than %zu bytes", path, max_size);
            alloc = alloc * 2 > max_size + 1 ? max_size + 1 : alloc * 2;
            buf = xrealloc(buf, alloc + 1);
        }
        n = read(fd, buf + len, alloc - len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return error_set_errno(error, -errno, VIR_ERR_READ_FAILED,
                                   "cannot read file '%s'", path);
        }
        if (n == 0)
            break;
        len += n;
    }
    if (len > max_size)
        return error_set(error, -EFBIG, VIR_ERR_READ_FAILED,
                         "file '%s' is larger than %zu bytes", path, max_size);
    buf[len] = '\0';

    *ret_data = steal_ptr(buf);
    if (ret_len)
        *ret_len = len;
    return 0;
}

int
fd_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= n;
    }
    return 0;
}

/* The folder part of @path ("." when it has none). */
static char *
dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, slash - path);
}

static int
fsync_dir(const char *dir)
{
    int fd, r = 0;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fsync(fd) < 0)
        r = -errno;
    close(fd);
    return r;
}

int
file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, Error *error)
{
    return file_write_atomic_flags(path, data, len, mode, 0, error);
}

/* A temporary name beside @name: NAME.XXXXXX with six random letters and
 * digits, as mkostemp() makes them, so a reader never takes it for NAME. */
static void
temp_name(const char *name, char *buf, size_t size)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char rnd[6];
    size_t n = strlen(name);

    if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t) sizeof(rnd))
        for (size_t i = 0; i < sizeof(rnd); i++)
            rnd[i] = (unsigned char) (rand() & 0xff);
    snprintf(buf, size, "%s.", name);
    for (size_t i = 0; i < sizeof(rnd) && n + 1 + i + 1 < size; i++) {
        buf[n + 1 + i] = chars[rnd[i] % (sizeof(chars) - 1)];
        buf[n + 2 + i] = '\0';
    }
}

int
file_write_atomic_at(int dirfd, const char *dir, const char *name, const void *data, size_t len,
                     mode_t mode, unsigned flags, Error *error)
{
    char tmp[NAME_MAX + 1];
    auto_cleanup(close_fdp) int fd = -1;
    int r;

    if (strlen(name) + 8 > sizeof(tmp))
        return error_set(error, -ENAMETOOLONG, VIR_ERR_WRITE_FAILED,
                         "cannot write file '%s/%s': the name is too long", dir, name);
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        temp_name(name, tmp, sizeof(tmp));
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_WRITE_FAILED,
                               "cannot create temporary file for '%s/%s'", dir, name);

    if (fchmod(fd, mode) < 0) {
        r = -errno;
        goto fail;
    }
    r = fd_write_all(fd, data, len);
    if (r < 0)
        goto fail;
    if (!(flags & FILE_WRITE_NO_SYNC) && fsync(fd) < 0) {
        r = -errno;
        goto fail;
    }
    if (close(steal_fd(fd)) < 0) {
        r = -errno;
        goto fail;
    }
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        r = -errno;
        goto fail;
    }
    if (flags & FILE_WRITE_NO_SYNC)
        return 0;
    if (fsync(dirfd) < 0)
        return error_set_errno(error, -errno, VIR_ERR_WRITE_FAILED,
                               "cannot sync folder '%s'", dir);
    return 0;

fail:
    unlinkat(dirfd, tmp, 0);
    return error_set_errno(error, r, VIR_ERR_WRITE_FAILED, "cannot write file '%s/%s'", dir,
                           name);
}

int
file_write_atomic_flags(const char *path, const void *data, size_t len, mode_t mode,
                        unsigned flags, Error *error)
{
    auto_cleanup(free_ptr) char *dir = dir_of(path);
    auto_cleanup(close_fdp) int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const char *slash = strrchr(path, '/');

    if (dirfd < 0)
        return error_set_errno(error, -errno, VIR_ERR_WRITE_FAILED,
                               "cannot create temporary file for '%s'", path);
    return file_write_atomic_at(dirfd, dir, slash ? slash + 1 : path, data, len, mode, flags,
                                error);
}

int
file_remove(const char *path, Error *error)
{
    if (unlink(path) < 0 && errno != ENOENT)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot remove file '%s'", path);
    return 0;
}

int
mkdir_p(const char *path, mode_t mode, Error *error)
{
    auto_cleanup(free_ptr) char *p = xstrdup(path);
    struct stat st;
    char *s;

    /* Create each prefix in turn; EEXIST is fine as long as it is a folder. */
    for (s = p; ; s++) {
        char c = *s;

        if (c != '/' && c != '\0')
            continue;
        if (s != p && s[-1] != '/') {
            *s = '\0';
            if (mkdir(p, mode) < 0) {
                int e = errno;

                if (e != EEXIST || stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
                    return error_set_errno(error, e == EEXIST ? -ENOTDIR : -e,
                                           VIR_ERR_SYSTEM_ERROR,
                                           "cannot create folder '%s'", p);
            }
            *s = c;
        }
        if (c == '\0')
            break;
    }
    return 0;
}

int
rmdir_if_empty(const char *path)
{
    if (rmdir(path) < 0) {
        if (errno == ENOENT)
            return 0;
        if (errno == EEXIST)
            return -ENOTEMPTY;
        return -errno;
    }
    return 0;
}

char *
path_join(const char *a, const char *b)
{
    size_t alen;

    if (!a || !*a)
        return xstrdup(b ? b : "");
    if (!b || !*b)
        return xstrdup(a);

    alen = strlen(a);
    while (alen > 0 && a[alen - 1] == '/')
        alen--;
    while (*b == '/')
        b++;
    return xasprintf("%.*s/%s", (int) alen, a, b);
}

int
symlink_atomic(const char *target, const char *linkpath, Error *error)
{
    auto_cleanup(free_ptr) char *dir = NULL;

    for (int attempt = 0; attempt < 100; attempt++) {
        auto_cleanup(free_ptr) char *tmp = NULL;
        unsigned long long rnd = 0;

        if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
            rnd = ((unsigned long long) getpid() << 20) ^ (unsigned long long) attempt;
        tmp = xasprintf("%s.%06llx", linkpath, rnd & 0xffffff);
        if (symlink(target, tmp) < 0) {
            if (errno == EEXIST)
                continue;
            return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                                   "cannot create link '%s' to '%s'", linkpath, target);
        }
        if (rename(tmp, linkpath) < 0) {
            int r = -errno;

            unlink(tmp);
            return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                                   "cannot create link '%s' to '%s'", linkpath, target);
        }
        dir = dir_of(linkpath);
        (void) fsync_dir(dir);
        return 0;
    }
    return error_set(error, -EEXIST, VIR_ERR_SYSTEM_ERROR,
                     "cannot create link '%s' to '%s': no free temporary name",
                     linkpath, target);
}

bool
file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

void
strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

size_t
strv_length(char *const *v)
{
    size_t n = 0;

    if (!v)
        return 0;
    while (v[n])
        n++;
    return n;
}

char **
strv_copy(char *const *v)
{
    size_t n;
    char **c;

    if (!v)
        return NULL;
    n = strv_length(v);
    c = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++)
        c[i] = xstrdup(v[i]);
    return c;
}

void
strv_push(char ***v, char *s)
{
    size_t n = strv_length(*v);

    *v = xrealloc(*v, (n + 2) * sizeof(char *));
    (*v)[n] = s;
    (*v)[n + 1] = NULL;
}

bool
strv_contains(char *const *v, const char *s)
{
    if (!v)
        return false;
    for (; *v; v++)
        if (STREQ(*v, s))
            return true;
    return false;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

void
strv_sort(char **v)
{
    if (v)
        qsort(v, strv_length(v), sizeof(char *), cmp_str);
}

ssize_t
file_read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -errno;
    n = read(fd, buf, size - 1);
    if (n < 0)
        n = -errno;
    close(fd);
    if (n == 0)
        n = -EIO;
    if (n > 0)
        buf[n] = '\0';
    return n;
}

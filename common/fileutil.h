/* Files, folders and string vectors. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "macros.h"

/* Reads a whole file, NUL-terminated (*ret_len excludes the NUL). Refuses
 * files over @max_size bytes (-EFBIG). Errors: VIR_ERR_OPEN_FAILED when the
 * file cannot be opened (-ENOENT if absent), VIR_ERR_READ_FAILED otherwise. */
/* write() until all of @data is written; 0 or a negative errno. */
int fd_write_all(int fd, const void *data, size_t len);
int file_read_all(const char *path, size_t max_size, char **ret_data, size_t *ret_len,
                  Error *error);
/* Atomic replace: temporary file in the same folder (name.XXXXXX, never
 * ending in the final name), write, fsync, rename, fsync of the folder. A
 * crash at any moment leaves the old or the new content, never a mix. The
 * file gets exactly @mode (not masked by the umask). */
/* file_write_atomic_flags(): FILE_WRITE_NO_SYNC keeps the atomic rename but
 * skips both fsyncs, for files that do not outlive the host anyway (/run):
 * a process killed at any moment still leaves the old or the new content. */
enum { FILE_WRITE_NO_SYNC = 1 << 0 };
int file_write_atomic_flags(const char *path, const void *data, size_t len, mode_t mode,
                            unsigned flags, Error *error);
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      Error *error);
/* The same for @name in the folder open as @dirfd (@dir names it in
 * messages): no path is looked up again, and the folder's fsync is of
 * @dirfd. For a store that writes often into one folder. */
int file_write_atomic_at(int dirfd, const char *dir, const char *name, const void *data,
                         size_t len, mode_t mode, unsigned flags, Error *error);
/* Removes a file; an absent one is fine (returns 0). */
int file_remove(const char *path, Error *error);
/* Creates @path and its missing parents with @mode; existing folders are fine. */
int mkdir_p(const char *path, mode_t mode, Error *error);
/* Removes an empty folder: 0 when removed or absent, negative errno else
 * (-ENOTEMPTY when it has entries). */
int rmdir_if_empty(const char *path);
/* New string: "a/b", exactly one slash between; an empty (or NULL) one gives
 * the other unchanged. path_join("/root", "/etc/x") is "/root/etc/x". */
char *path_join(const char *a, const char *b);
/* Makes @linkpath point to @target, replacing whatever @linkpath was, by
 * renaming a new link over it. */
int symlink_atomic(const char *target, const char *linkpath, Error *error);
/* True when @path exists (following links; a dangling link is false). */
bool file_exists(const char *path);
/* Reads at most @size - 1 bytes of a small file (/proc, /sys) into @buf in
 * one read and terminates them. Returns the length (> 0), -errno when it
 * cannot be opened or read, or -EIO when it is empty. */
ssize_t file_read_small(const char *path, char *buf, size_t size);

/* NULL-terminated string vectors, used everywhere. strv_free() accepts NULL. */
void strv_free(char **v);
DEFINE_FREEP(char *, strv_free)
size_t strv_length(char *const *v);
/* Deep copy; NULL gives NULL. */
char **strv_copy(char *const *v);
/* Appends @s (takes ownership); keeps NULL termination. *v may be NULL. */
void strv_push(char ***v, char *s);
/* True when @v holds a string equal to @s. */
bool strv_contains(char *const *v, const char *s);
/* Sorts in place with strcmp(). */
void strv_sort(char **v);

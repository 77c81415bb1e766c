/* Config files in libvirtd.conf syntax.
 *
 * `key = value` lines and `#` comments. A value is a string ("double" or
 * 'single' quoted), an integer (decimal, may be negative) or a list
 * `[ "a", "b" ]` that may span lines. Keys are libvirtd.conf's names
 * (listen_tcp, tcp_port, listen_addr, unix_sock_dir, auth_tcp, max_clients,
 * ...). Keys are case-sensitive and a key given twice keeps its first value,
 * as libvirt's lookup does. A string runs to its closing quote on the same
 * line and has no escapes; """triple quotes""" may span lines. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "macros.h"

typedef struct Conf Conf;

/* Parses @text. On a syntax error returns -EINVAL with VIR_ERR_CONF_SYNTAX
 * and a message naming @filename (used only for messages; may be NULL) and
 * the line: "configuration file syntax error: /etc/libvirt/virtproxyd.conf:3:
 * expecting a value". */
int conf_parse_string(const char *text, const char *filename, Conf **ret_conf, Error *error);
/* Reads and parses @path. A missing file gives -ENOENT with
 * VIR_ERR_OPEN_FAILED; callers that treat it as "all defaults" test for it. */
int conf_parse_file(const char *path, Conf **ret_conf, Error *error);
/* A config with no keys: every getter leaves its default untouched. */
Conf *conf_new_empty(void);
void conf_free(Conf *conf);
DEFINE_FREEP(Conf, conf_free)

bool conf_has(const Conf *conf, const char *key);

/* Each getter: 0 and *ret set when present, 0 and *ret untouched when absent,
 * -EINVAL with VIR_ERR_CONF_SYNTAX ("... 'tcp_port' must be a number") when
 * the value has the wrong type or is out of range. */
int conf_get_string(const Conf *conf, const char *key, const char **ret /* borrowed */,
                    Error *error);
int conf_get_int(const Conf *conf, const char *key, long long *ret, Error *error);
int conf_get_uint(const Conf *conf, const char *key, unsigned *ret, Error *error);
/* An integer, 0 or 1 as libvirt wants (any other number is refused). */
int conf_get_bool(const Conf *conf, const char *key, bool *ret, Error *error);
/* A new NULL-terminated strv (free with strv_free()). A single string is a
 * one-item list. */
int conf_get_string_list(const Conf *conf, const char *key, char ***ret, Error *error);

/* Iterate keys in file order (each key once, at its first place), e.g. to warn
 * on unknown keys. */
size_t conf_n_keys(const Conf *conf);
const char *conf_key_at(const Conf *conf, size_t i);

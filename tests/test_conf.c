/* conf: libvirtd.conf syntax, typed getters and errors with line numbers. */
#include <errno.h>
#include <limits.h>

#include "config.h"
#include "conf.h"
#include "fileutil.h"
#include "test_util.h"

static Conf *
parse_ok(const char *text)
{
    Conf *conf = NULL;
    Error error = ERROR_INIT;

    if (conf_parse_string(text, "test.conf", &conf, &error) < 0)
        TEST_FAIL("parsing failed: %s", error.message);
    error_clear(&error);
    return conf;
}

/* Parsing @text must fail with exactly @message. */
static void
check_syntax_error(int line, const char *text, const char *message)
{
    Conf *conf = NULL;
    Error error = ERROR_INIT;
    int r;

    r = conf_parse_string(text, "/etc/libvirt/virtproxyd.conf", &conf, &error);
    if (r != -EINVAL)
        fprintf(stderr, "%s:%d: ", __FILE__, line);
    CHECK_INT_EQ(r, -EINVAL);
    CHECK(conf == NULL);
    CHECK_INT_EQ(error.code, VIR_ERR_CONF_SYNTAX);
    if (!error.message || !STREQ(error.message, message))
        fprintf(stderr, "%s:%d: for input <<%s>>\n", __FILE__, line, text);
    CHECK_STR_EQ(error.message, message);
    error_clear(&error);
    conf_free(conf);
}

static void
test_file(void)
{
    auto_cleanup(conf_freep) Conf *conf = NULL;
    auto_cleanup(strv_freep) char **dns = NULL;
    auto_cleanup(strv_freep) char **drivers = NULL;
    auto_cleanup(strv_freep) char **single = NULL;
    Error error = ERROR_INIT;
    const char *s = NULL;
    long long ll = 0;
    unsigned u = 0;
    bool b = false;

    CHECK_INT_EQ(conf_parse_file(TEST_DATA_DIR "/conf/virtproxyd.conf", &conf, &error), 0);
    if (!conf) {
        TEST_FAIL("%s", error.message);
        return;
    }

    CHECK_INT_EQ(conf_get_bool(conf, "listen_tcp", &b, &error), 0);
    CHECK(b);
    b = true;
    CHECK_INT_EQ(conf_get_bool(conf, "listen_tls", &b, &error), 0);
    CHECK(!b);
    CHECK_INT_EQ(conf_get_string(conf, "listen_addr", &s, &error), 0);
    CHECK_STR_EQ(s, "127.0.0.1");
    CHECK_INT_EQ(conf_get_string(conf, "tcp_port", &s, &error), 0);
    CHECK_STR_EQ(s, "16509");
    CHECK_INT_EQ(conf_get_string(conf, "unix_sock_dir", &s, &error), 0);
    CHECK_STR_EQ(s, "/run/libvirt");
    CHECK_INT_EQ(conf_get_string(conf, "unix_sock_group", &s, &error), 0);
    CHECK_STR_EQ(s, "libvirt");
    CHECK_INT_EQ(conf_get_string(conf, "auth_tcp", &s, &error), 0);
    CHECK_STR_EQ(s, "none");
    CHECK_INT_EQ(conf_get_uint(conf, "max_clients", &u, &error), 0);
    CHECK_INT_EQ(u, 5000);
    CHECK_INT_EQ(conf_get_int(conf, "max_clients", &ll, &error), 0);
    CHECK_INT_EQ(ll, 5000);
    CHECK_INT_EQ(conf_get_int(conf, "min_workers", &ll, &error), 0);
    CHECK_INT_EQ(ll, -1);
    CHECK_INT_EQ(conf_get_string(conf, "log_outputs", &s, &error), 0);
    CHECK_STR_EQ(s, "3:syslog:virtproxyd");

    CHECK_INT_EQ(conf_get_string_list(conf, "tls_allowed_dn_list", &dns, &error), 0);
    CHECK_INT_EQ(strv_length(dns), 2);
    if (strv_length(dns) == 2) {
        CHECK_STR_EQ(dns[0], "DN1");
        CHECK_STR_EQ(dns[1], "DN2");
    }
    CHECK_INT_EQ(conf_get_string_list(conf, "access_drivers", &drivers, &error), 0);
    CHECK_INT_EQ(strv_length(drivers), 1);
    /* A single string is a one-item list. */
    CHECK_INT_EQ(conf_get_string_list(conf, "auth_tcp", &single, &error), 0);
    CHECK_INT_EQ(strv_length(single), 1);
    if (single)
        CHECK_STR_EQ(single[0], "none");
    CHECK(!error_is_set(&error));

    /* Keys in file order; commented-out ones are absent. */
    const char *want[] = {
        "listen_tls", "listen_tcp", "listen_addr", "tcp_port", "unix_sock_dir",
        "unix_sock_group", "auth_tcp", "max_clients", "min_workers",
        "tls_allowed_dn_list", "access_drivers", "log_outputs",
    };
    CHECK_INT_EQ(conf_n_keys(conf), ARRAY_SIZE(want));
    for (size_t i = 0; i < ARRAY_SIZE(want) && i < conf_n_keys(conf); i++)
        CHECK_STR_EQ(conf_key_at(conf, i), want[i]);
    CHECK(conf_key_at(conf, ARRAY_SIZE(want)) == NULL);
    CHECK(conf_has(conf, "listen_addr"));
    CHECK(!conf_has(conf, "LISTEN_ADDR"));
}

static void
test_absent_and_defaults(void)
{
    auto_cleanup(conf_freep) Conf *conf = conf_new_empty();
    auto_cleanup(conf_freep) Conf *missing = NULL;
    Error error = ERROR_INIT;
    const char *s = "default";
    long long ll = 42;
    unsigned u = 7;
    bool b = true;
    char **list = (char **) &list; /* any non-NULL value must survive */

    CHECK_INT_EQ(conf_n_keys(conf), 0);
    CHECK(!conf_has(conf, "x"));
    CHECK_INT_EQ(conf_get_string(conf, "x", &s, &error), 0);
    CHECK_STR_EQ(s, "default");
    CHECK_INT_EQ(conf_get_int(conf, "x", &ll, &error), 0);
    CHECK_INT_EQ(ll, 42);
    CHECK_INT_EQ(conf_get_uint(conf, "x", &u, &error), 0);
    CHECK_INT_EQ(u, 7);
    CHECK_INT_EQ(conf_get_bool(conf, "x", &b, &error), 0);
    CHECK(b);
    CHECK_INT_EQ(conf_get_string_list(conf, "x", &list, &error), 0);
    CHECK(list == (char **) &list);
    CHECK(!error_is_set(&error));

    CHECK_INT_EQ(conf_parse_file("/nonexistent/virtproxyd.conf", &missing, &error), -ENOENT);
    CHECK(missing == NULL);
    CHECK_INT_EQ(error.code, VIR_ERR_OPEN_FAILED);
    CHECK(error.message && strstr(error.message, "'/nonexistent/virtproxyd.conf'"));
    error_clear(&error);
}

static void
test_syntax(void)
{
    auto_cleanup(conf_freep) Conf *conf = NULL;
    auto_cleanup(strv_freep) char **list = NULL;
    Error error = ERROR_INIT;
    const char *s = NULL;
    long long ll = 0;
    unsigned u = 0;

    /* Empty text, only comments, no final newline, CRLF, ';' separators. */
    conf = parse_ok("");
    CHECK_INT_EQ(conf_n_keys(conf), 0);
    conf_free(steal_ptr(conf));
    conf = parse_ok("# just a comment\n\n   # another\n");
    CHECK_INT_EQ(conf_n_keys(conf), 0);
    conf_free(steal_ptr(conf));

    conf = parse_ok("a=1;b = 'x' ; c=\"y\"\r\nd = +5\r\ne=-9223372036854775808\n"
                    "f = 18446744073709551615\n  g\t=\t\"tab\"");
    CHECK_INT_EQ(conf_n_keys(conf), 7);
    CHECK_INT_EQ(conf_get_int(conf, "a", &ll, &error), 0);
    CHECK_INT_EQ(ll, 1);
    CHECK_INT_EQ(conf_get_string(conf, "b", &s, &error), 0);
    CHECK_STR_EQ(s, "x");
    CHECK_INT_EQ(conf_get_string(conf, "c", &s, &error), 0);
    CHECK_STR_EQ(s, "y");
    CHECK_INT_EQ(conf_get_uint(conf, "d", &u, &error), 0);
    CHECK_INT_EQ(u, 5);
    CHECK_INT_EQ(conf_get_int(conf, "e", &ll, &error), 0);
    CHECK(ll == LLONG_MIN);
    CHECK_INT_EQ(conf_get_string(conf, "g", &s, &error), 0);
    CHECK_STR_EQ(s, "tab");
    CHECK(!error_is_set(&error));
    /* Too big for the type asked for. */
    CHECK_INT_EQ(conf_get_int(conf, "f", &ll, &error), -ERANGE);
    CHECK_INT_EQ(error.code, VIR_ERR_CONF_SYNTAX);
    error_clear(&error);
    CHECK_INT_EQ(conf_get_uint(conf, "f", &u, &error), -ERANGE);
    CHECK_STR_EQ(error.message, "test.conf: 'f' must be a number in range 0:4294967295");
    error_clear(&error);
    CHECK_INT_EQ(conf_get_uint(conf, "e", &u, &error), -ERANGE);
    error_clear(&error);
    conf_free(steal_ptr(conf));

    /* Quotes of the other kind inside a string, '#' inside a string, an
     * empty string, triple quotes over lines. */
    conf = parse_ok("a = \"it's\"\nb = 'say \"hi\"'\nc = \"#not a comment\"\nd = \"\"\n"
                    "e = \"\"\"line1\nline2\"\"\"\nf = 1\n");
    CHECK_INT_EQ(conf_get_string(conf, "a", &s, &error), 0);
    CHECK_STR_EQ(s, "it's");
    CHECK_INT_EQ(conf_get_string(conf, "b", &s, &error), 0);
    CHECK_STR_EQ(s, "say \"hi\"");
    CHECK_INT_EQ(conf_get_string(conf, "c", &s, &error), 0);
    CHECK_STR_EQ(s, "#not a comment");
    CHECK_INT_EQ(conf_get_string(conf, "d", &s, &error), 0);
    CHECK_STR_EQ(s, "");
    CHECK_INT_EQ(conf_get_string(conf, "e", &s, &error), 0);
    CHECK_STR_EQ(s, "line1\nline2");
    CHECK(conf_has(conf, "f"));
    conf_free(steal_ptr(conf));

    /* Lists: empty, over lines with comments, trailing comma. */
    conf = parse_ok("empty = []\nl = [\n  \"a\", # first\n\n  'b',\n]\nm = [ \"x\" ,\"y\"]\n");
    CHECK_INT_EQ(conf_get_string_list(conf, "empty", &list, &error), 0);
    CHECK(list != NULL);
    CHECK_INT_EQ(strv_length(list), 0);
    strv_free(steal_ptr(list));
    CHECK_INT_EQ(conf_get_string_list(conf, "l", &list, &error), 0);
    CHECK_INT_EQ(strv_length(list), 2);
    if (strv_length(list) == 2) {
        CHECK_STR_EQ(list[0], "a");
        CHECK_STR_EQ(list[1], "b");
    }
    strv_free(steal_ptr(list));
    CHECK_INT_EQ(conf_get_string_list(conf, "m", &list, &error), 0);
    CHECK_INT_EQ(strv_length(list), 2);
    strv_free(steal_ptr(list));
    CHECK(!error_is_set(&error));
    conf_free(steal_ptr(conf));

    /* A key given twice keeps its first value (libvirt's lookup), listed once. */
    conf = parse_ok("x = 1\ny = 2\nx = 3\n");
    CHECK_INT_EQ(conf_get_int(conf, "x", &ll, &error), 0);
    CHECK_INT_EQ(ll, 1);
    CHECK_INT_EQ(conf_n_keys(conf), 2);
    conf_free(steal_ptr(conf));

    /* Lines are counted across lists and triple-quoted strings. */
    check_syntax_error(__LINE__, "listen_tcp = 1\n\ntcp_port =\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:3: "
                       "expecting a value");
    check_syntax_error(__LINE__, "l = [\n\"a\",\n\"b\"\n]\ns = \"\"\"1\n2\"\"\"\nbad\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:7: "
                       "expecting an assignment");
    check_syntax_error(__LINE__, "a = \"open\nb = 1\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:1: "
                       "unterminated string");
    check_syntax_error(__LINE__, "a = 'open",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:1: "
                       "unterminated string");
    check_syntax_error(__LINE__, "\n\na = \"\"\"never closed\n\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:3: "
                       "unterminated string");
    check_syntax_error(__LINE__, "a = [ \"x\", \"y\"\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:1: "
                       "list is not closed with ]");
    check_syntax_error(__LINE__, "a = [ \"x\" \"y\" ]\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:1: "
                       "expecting a separator in list");
    check_syntax_error(__LINE__, "a = [ [ \"x\" ] ]\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:1: "
                       "nested lists are not supported");
    check_syntax_error(__LINE__, "a = 1 b = 2\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:1: "
                       "expecting a separator");
    check_syntax_error(__LINE__, "a = 12abc\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:1: "
                       "expecting a separator");
    check_syntax_error(__LINE__, "a = -\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:1: "
                       "unterminated number");
    check_syntax_error(__LINE__, "a = 99999999999999999999\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:1: "
                       "number out of range");
    check_syntax_error(__LINE__, "a = -9223372036854775809\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:1: "
                       "number out of range");
    check_syntax_error(__LINE__, "a = yes\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:1: "
                       "expecting a value");
    check_syntax_error(__LINE__, "# ok\n= 1\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:2: "
                       "expecting a name");
    check_syntax_error(__LINE__, "1abc = 1\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:1: "
                       "expecting a name");
    check_syntax_error(__LINE__, "a.b = 1\n",
                       "configuration file syntax error: /etc/libvirt/virtproxyd.conf:1: "
                       "expecting an assignment");

    /* Without a file name the message still has the line. */
    {
        Error e = ERROR_INIT;

        CHECK_INT_EQ(conf_parse_string("x = \n", NULL, &conf, &e), -EINVAL);
        CHECK_STR_EQ(e.message, "configuration file syntax error: line 1: expecting a value");
        error_clear(&e);
    }
}

static void
test_wrong_types(void)
{
    auto_cleanup(conf_freep) Conf *conf = NULL;
    Error error = ERROR_INIT;
    const char *s = "unchanged";
    long long ll = 3;
    unsigned u = 4;
    bool b = false;
    char **list = NULL;

    conf = parse_ok("tcp_port = \"16509\"\nlisten_tcp = 2\nneg = -1\nnum = 5\n"
                    "mixed = [ \"a\", 1 ]\nlisten_addr = [ \"a\" ]\n");

    CHECK_INT_EQ(conf_get_uint(conf, "tcp_port", &u, &error), -EINVAL);
    CHECK_INT_EQ(error.code, VIR_ERR_CONF_SYNTAX);
    CHECK_STR_EQ(error.message, "test.conf: 'tcp_port' must be a number");
    CHECK_INT_EQ(u, 4);
    error_clear(&error);
    CHECK_INT_EQ(conf_get_int(conf, "tcp_port", &ll, &error), -EINVAL);
    CHECK_STR_EQ(error.message, "test.conf: 'tcp_port' must be a number");
    CHECK_INT_EQ(ll, 3);
    error_clear(&error);

    CHECK_INT_EQ(conf_get_bool(conf, "listen_tcp", &b, &error), -EINVAL);
    CHECK_STR_EQ(error.message, "test.conf: 'listen_tcp' must be 0 or 1");
    error_clear(&error);
    CHECK_INT_EQ(conf_get_bool(conf, "neg", &b, &error), -EINVAL);
    error_clear(&error);
    CHECK_INT_EQ(conf_get_bool(conf, "tcp_port", &b, &error), -EINVAL);
    CHECK_INT_EQ(error.code, VIR_ERR_CONF_SYNTAX);
    error_clear(&error);
    CHECK(!b);

    CHECK_INT_EQ(conf_get_string(conf, "num", &s, &error), -EINVAL);
    CHECK_STR_EQ(error.message, "test.conf: 'num' must be a string");
    CHECK_STR_EQ(s, "unchanged");
    error_clear(&error);
    CHECK_INT_EQ(conf_get_string(conf, "listen_addr", &s, &error), -EINVAL);
    error_clear(&error);

    CHECK_INT_EQ(conf_get_string_list(conf, "num", &list, &error), -EINVAL);
    CHECK_STR_EQ(error.message, "test.conf: 'num' must be a string or a list of strings");
    error_clear(&error);
    CHECK_INT_EQ(conf_get_string_list(conf, "mixed", &list, &error), -EINVAL);
    CHECK_STR_EQ(error.message, "test.conf: 'mixed' must be a list of strings");
    error_clear(&error);
    CHECK(list == NULL);

    CHECK_INT_EQ(conf_get_uint(conf, "neg", &u, &error), -ERANGE);
    CHECK_INT_EQ(u, 4);
    error_clear(&error);
    CHECK_INT_EQ(conf_get_int(conf, "neg", &ll, &error), 0);
    CHECK_INT_EQ(ll, -1);
}

int
main(void)
{
    test_file();
    test_absent_and_defaults();
    test_syntax();
    test_wrong_types();
    return test_result();
}

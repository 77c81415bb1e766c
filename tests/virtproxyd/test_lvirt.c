/* A client program linked with Debian's -lvirt: opens a read-only
 * connection to URI, looks up the domain with ID, and prints what
 * virDomainGetInfo says, one key=value a line. test_proxy_transports.py
 * runs it against the stack and compares with the domain's definition.
 *
 *   test_lvirt URI ID
 *
 * Exit status: 0, or 1 with libvirt's error on stderr. */
#include <stdio.h>
#include <stdlib.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

static int
fail(const char *what)
{
    virErrorPtr err = virGetLastError();

    fprintf(stderr, "%s failed: %s (code %d)\n", what, err && err->message ? err->message : "?",
            err ? err->code : -1);
    return 1;
}

int
main(int argc, char **argv)
{
    char uuid[VIR_UUID_STRING_BUFLEN];
    virConnectPtr conn;
    virDomainPtr dom;
    virDomainInfo info;
    char *end;
    long id;
    int r = 0;

    if (argc != 3) {
        fprintf(stderr, "usage: %s URI ID\n", argv[0]);
        return 2;
    }
    id = strtol(argv[2], &end, 10);
    if (*end || id < 0) {
        fprintf(stderr, "not a domain id: %s\n", argv[2]);
        return 2;
    }
    conn = virConnectOpenReadOnly(argv[1]);
    if (!conn)
        return fail("virConnectOpenReadOnly");
    dom = virDomainLookupByID(conn, (int) id);
    if (!dom) {
        r = fail("virDomainLookupByID");
        goto out;
    }
    if (virDomainGetInfo(dom, &info) < 0 || virDomainGetUUIDString(dom, uuid) < 0) {
        r = fail("virDomainGetInfo");
    } else {
        printf("name=%s\n", virDomainGetName(dom));
        printf("id=%u\n", virDomainGetID(dom));
        printf("uuid=%s\n", uuid);
        printf("state=%d\n", info.state);
        printf("maxMem=%lu\n", info.maxMem);
        printf("memory=%lu\n", info.memory);
        printf("nrVirtCpu=%u\n", info.nrVirtCpu);
        printf("cpuTime=%llu\n", info.cpuTime);
    }
    /* A read-only connection refuses a write. */
    if (r == 0 && virDomainSuspend(dom) == 0) {
        fprintf(stderr, "virDomainSuspend succeeded on a read-only connection\n");
        r = 1;
    } else if (r == 0) {
        virErrorPtr err = virGetLastError();
        printf("suspend_error=%d %s\n", err ? err->code : -1,
               err && err->message ? err->message : "");
    }
    virDomainFree(dom);
out:
    virConnectClose(conn);
    return r;
}

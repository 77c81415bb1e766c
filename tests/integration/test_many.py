"""200 definitions: defined, listed with ListDomains' flags, marked
autostart, undefined; the counts and the files agree at each step, also
after a restart of the daemon."""

import os

import harness
from harness import (check, check_eq, LIST_ACTIVE, LIST_INACTIVE, LIST_PERSISTENT,
                     LIST_TRANSIENT, LIST_RUNNING, LIST_PAUSED, LIST_SHUTOFF, LIST_AUTOSTART,
                     LIST_NO_AUTOSTART, LIST_NO_MANAGEDSAVE, LIST_MANAGEDSAVE, DOMAIN_IFACE)

N = 200


def names_of(fx, paths):
    return sorted(fx.client.dom_prop(p, "Name") for p in paths)


def listed(fx, flags):
    return sorted(fx.connect("ListDomains", "u", flags))


def test_define_list_undefine(fx):
    events = fx.client.domain_events()
    paths = {}
    for i in range(N):
        name = "many-%03d" % i
        paths[name] = fx.define(name)
    check_eq(len(set(paths.values())), N, "distinct object paths")
    events.wait(count=N, what="%d DEFINED events" % N)
    check_eq(sorted(e[1] for e in events.events()), [harness.EV_DEFINED] * N, "event types")

    all_paths = sorted(paths.values())
    check_eq(listed(fx, 0), all_paths, "ListDomains(0)")
    for flags in (LIST_INACTIVE, LIST_PERSISTENT, LIST_SHUTOFF, LIST_NO_AUTOSTART,
                  LIST_NO_MANAGEDSAVE, LIST_INACTIVE | LIST_PERSISTENT,
                  LIST_ACTIVE | LIST_INACTIVE):
        check_eq(listed(fx, flags), all_paths, "ListDomains(%d)" % flags)
    for flags in (LIST_ACTIVE, LIST_TRANSIENT, LIST_RUNNING, LIST_PAUSED, LIST_AUTOSTART,
                  LIST_MANAGEDSAVE, LIST_ACTIVE | LIST_PERSISTENT):
        check_eq(listed(fx, flags), [], "ListDomains(%d)" % flags)
    check_eq(names_of(fx, listed(fx, 0)), sorted(paths), "names listed")
    files = sorted(f for f in os.listdir(fx.etc()) if f.endswith(".xml"))
    check_eq(files, sorted(n + ".xml" for n in paths), "files in etc/libvirt/qemu")
    check_eq(len(fx.client.managed_objects()), N, "GetManagedObjects count")

    # A quarter marked autostart.
    auto = sorted(paths)[::4]
    for name in auto:
        fx.client.set(paths[name], DOMAIN_IFACE, "Autostart", True)
    check_eq(listed(fx, LIST_AUTOSTART), sorted(paths[n] for n in auto), "autostart list")
    check_eq(len(listed(fx, LIST_NO_AUTOSTART)), N - len(auto), "no-autostart count")
    check_eq(sorted(os.listdir(fx.etc("autostart"))), sorted(n + ".xml" for n in auto),
             "autostart links")

    # Undefine half; the rest stay, with the right counts.
    gone = sorted(paths)[::2]
    for name in gone:
        fx.domain(paths[name], "Undefine", "u", 0)
    left = sorted(n for n in paths if n not in gone)
    check_eq(listed(fx, 0), sorted(paths[n] for n in left), "ListDomains after undefining half")
    check_eq(listed(fx, LIST_AUTOSTART), sorted(paths[n] for n in auto if n in left),
             "autostart list after undefining half")
    files = sorted(f for f in os.listdir(fx.etc()) if f.endswith(".xml"))
    check_eq(files, sorted(n + ".xml" for n in left), "files after undefining half")
    check_eq(sorted(os.listdir(fx.etc("autostart"))),
             sorted(n + ".xml" for n in auto if n in left), "autostart links left")
    undefined = [e for e in events.events() if e[1] == harness.EV_UNDEFINED]
    check_eq(len(undefined), len(gone), "UNDEFINED events")

    # The daemon reloads the same set from the files. Inactive autostart
    # guests would start on load; clear the flag first so nothing boots.
    for name in auto:
        if name in left:
            fx.client.set(paths[name], DOMAIN_IFACE, "Autostart", False)
    fx.qemud.stop()
    fx.qemud.start()
    check_eq(listed(fx, 0), sorted(paths[n] for n in left), "ListDomains after a restart")
    check_eq(listed(fx, LIST_ACTIVE), [], "active after a restart")

    for name in left:
        fx.domain(paths[name], "Undefine", "u", 0)
    check_eq(listed(fx, 0), [], "ListDomains at the end")
    check_eq([f for f in os.listdir(fx.etc()) if f.endswith(".xml")], [], "files at the end")
    fx.check_alive()


harness.main(globals())

#!/usr/bin/python3
# Writes the hand-made sample "host2": a two socket Skylake-SP server, one
# NUMA cell per socket, 2 cores x 2 threads per socket, 8 CPUs, DMI data.
# Run from tests/data/node_info; the output is committed.
import os

root = "host2"

def w(rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

flags = ("fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush "
         "dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc "
         "art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni "
         "pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid "
         "dca sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand "
         "lahf_lm abm 3dnowprefetch cpuid_fault epb cat_l3 cdp_l3 invpcid_single pti intel_ppin "
         "ssbd mba ibrs ibpb stibp tpr_shadow vnmi flexpriority ept vpid ept_ad fsgsbase "
         "tsc_adjust bmi1 hle avx2 smep bmi2 erms invpcid rtm cqm mpx rdt_a avx512f avx512dq "
         "rdseed adx smap clflushopt clwb intel_pt avx512cd avx512bw avx512vl xsaveopt xsavec "
         "xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local dtherm ida arat pln "
         "pts pku ospke md_clear flush_l1d arch_capabilities")

cpuinfo = ""
stat = "cpu  %d 80 %d %d 400 0 90 0 0 0\n" % (8 * 1000, 8 * 300, 8 * 50000)
for cpu in range(8):
    socket, core, thread = cpu // 4, (cpu % 4) // 2, cpu % 2
    cpuinfo += f"""processor\t: {cpu}
vendor_id\t: GenuineIntel
cpu family\t: 6
model\t\t: 85
model name\t: Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz
stepping\t: 4
microcode\t: 0x2006e05
cpu MHz\t\t: 2100.000
cache size\t: 22528 KB
physical id\t: {socket}
siblings\t: 4
core id\t\t: {core}
cpu cores\t: 2
apicid\t\t: {cpu}
fpu\t\t: yes
flags\t\t: {flags}
bogomips\t: 4200.00
address sizes\t: 46 bits physical, 48 bits virtual
power management:

"""
    stat += "cpu%d 1000 10 300 50000 50 0 11 0 0 0\n" % cpu
    t = f"sys/devices/system/cpu/cpu{cpu}/topology/"
    w(t + "physical_package_id", f"{socket}\n")
    w(t + "die_id", "0\n")
    w(t + "core_id", f"{core}\n")
    first = cpu - thread
    w(t + "thread_siblings_list", f"{first}-{first + 1}\n")
    w(t + "core_siblings_list", f"{socket * 4}-{socket * 4 + 3}\n")
stat += "intr 0\nctxt 1234\nbtime 1700000000\nprocesses 100\nprocs_running 1\nprocs_blocked 0\n"

w("proc/cpuinfo", cpuinfo)
w("proc/stat", stat)
w("proc/meminfo", """MemTotal:       65536000 kB
MemFree:        60000000 kB
MemAvailable:   62000000 kB
Buffers:          100000 kB
Cached:          2000000 kB
SwapCached:            0 kB
HugePages_Total:     512
Hugepagesize:       2048 kB
""")
w("sys/devices/system/cpu/online", "0-7\n")
w("sys/devices/system/cpu/present", "0-7\n")
mem = {0: (32768000, 30000000), 1: (32768000, 29000000)}
for node in (0, 1):
    base = f"sys/devices/system/node/node{node}/"
    w(base + "cpulist", f"{node * 4}-{node * 4 + 3}\n")
    w(base + "distance", "10 21\n" if node == 0 else "21 10\n")
    total, free = mem[node]
    w(base + "meminfo", f"""Node {node} MemTotal:       {total} kB
Node {node} MemFree:        {free} kB
Node {node} MemUsed:        {total - free} kB
Node {node} Active:           500000 kB
Node {node} FilePages:       1000000 kB
Node {node} HugePages_Total:   256
""")
    w(base + "hugepages/hugepages-2048kB/nr_hugepages", "256\n")
    w(base + "hugepages/hugepages-1048576kB/nr_hugepages", "0\n")
w("sys/devices/system/node/online", "0-1\n")
w("sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "512\n")
w("sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0\n")
w("sys/power/state", "freeze mem disk\n")
w("sys/kernel/iommu_groups/0/type", "identity\n")
dmi = {
    "bios_vendor": "Dell Inc.", "bios_version": "2.8.2", "bios_date": "08/27/2020",
    "bios_release": "2.8", "sys_vendor": "Dell Inc.", "product_name": "PowerEdge R740",
    "product_serial": "5ZHR0Q2", "product_uuid": "4c4c4544-005a-4810-8052-b5c04f305132",
    "product_sku": "SKU=NotProvided;ModelName=PowerEdge R740", "product_family": "",
    "board_vendor": "Dell Inc.", "board_name": "06WXJT", "board_version": "A01",
    "board_serial": ".5ZHR0Q2.CNFCP0009P0123.", "chassis_vendor": "Dell Inc.",
    "chassis_serial": "5ZHR0Q2", "chassis_asset_tag": "<none> & 'x'",
}
for k, v in dmi.items():
    w("sys/class/dmi/id/" + k, v + "\n")
w("etc/machine-id", "0123456789abcdef0123456789abcdef\n")

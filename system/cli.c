/* The command line: QEMU-compatible options, each one either handled or rejected. */
#include "system/cli.h"
#include "system/log.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum OptId {
    OPT_ACCEL, OPT_ENABLE_KVM, OPT_M, OPT_SMP, OPT_CPU, OPT_KERNEL, OPT_INITRD, OPT_APPEND,
    OPT_BIOS, OPT_MACHINE, OPT_DEVICE, OPT_SERIAL, OPT_CHARDEV, OPT_NOGRAPHIC, OPT_DISPLAY,
    OPT_NO_REBOOT, OPT_D, OPT_DFILTER, OPT_DLOG, OPT_MONITOR, OPT_DEBUGCON, OPT_NAME, OPT_HELP,
    OPT_VERSION, OPT_UNSUPPORTED,
} OptId;

typedef struct OptDef {
    const char *name;
    OptId id;
    bool has_arg;
    const char *help;
} OptDef;

static const OptDef options[] = {
    { "accel", OPT_ACCEL, true, "kvm|interp|tcg   choose the engine (tcg means interp)" },
    { "enable-kvm", OPT_ENABLE_KVM, false, "                 same as -accel kvm" },
    { "m", OPT_M, true, "SIZE             guest RAM (MiB, or with K/M/G suffix)" },
    { "smp", OPT_SMP, true, "N                number of CPUs (or cpus=N)" },
    { "cpu", OPT_CPU, true, "MODEL            CPU model (help lists them)" },
    { "kernel", OPT_KERNEL, true, "FILE             boot a Linux bzImage or multiboot kernel" },
    { "initrd", OPT_INITRD, true, "FILE             initial ram disk (multiboot: modules)" },
    { "append", OPT_APPEND, true, "CMDLINE          kernel command line" },
    { "bios", OPT_BIOS, true, "FILE             firmware image" },
    { "machine", OPT_MACHINE, true, "pc[,linux-unpack=on|off]  machine type and options" },
    { "M", OPT_MACHINE, true, NULL },
    { "device", OPT_DEVICE, true, "NAME[,prop=val]  add a device (help lists them)" },
    { "serial", OPT_SERIAL, true, "SPEC             stdio|file:PATH|pty|null|none|chardev:ID" },
    { "chardev", OPT_CHARDEV, true, "BACKEND,id=ID    stdio|file|pty|null" },
    { "nographic", OPT_NOGRAPHIC, false, "                 no display; serial on the terminal" },
    { "display", OPT_DISPLAY, true, "none             display back-end" },
    { "no-reboot", OPT_NO_REBOOT, false, "                 exit instead of rebooting" },
    { "d", OPT_D, true, "ITEM,...         debug log items (help lists them)" },
    { "D", OPT_DLOG, true, "FILE             write the debug log to FILE" },
    { "monitor", OPT_MONITOR, true, "none             monitor back-end" },
    { "debugcon", OPT_DEBUGCON, true, "SPEC             debug console on port 0xe9" },
    { "name", OPT_NAME, true, "NAME             name of the guest (informational)" },
    { "h", OPT_HELP, false, "                 this help" },
    { "help", OPT_HELP, false, NULL },
    { "version", OPT_VERSION, false, "                 print the version" },
    /* QEMU options that are part of Ember's plan but not built yet: rejected clearly */
    { "drive", OPT_UNSUPPORTED, true, NULL },
    { "hda", OPT_UNSUPPORTED, true, NULL },
    { "hdb", OPT_UNSUPPORTED, true, NULL },
    { "cdrom", OPT_UNSUPPORTED, true, NULL },
    { "boot", OPT_UNSUPPORTED, true, NULL },
    { "netdev", OPT_UNSUPPORTED, true, NULL },
    { "nic", OPT_UNSUPPORTED, true, NULL },
    { "net", OPT_UNSUPPORTED, true, NULL },
    { "gdb", OPT_UNSUPPORTED, true, NULL },
    { "s", OPT_UNSUPPORTED, false, NULL },
    { "S", OPT_UNSUPPORTED, false, NULL },
    { "snapshot", OPT_UNSUPPORTED, false, NULL },
    { "dfilter", OPT_DFILTER, true, "RANGE,...      per-instruction -d items only for these addresses" },
};

#define NR_OPTIONS (sizeof(options) / sizeof(options[0]))

void cli_print_usage(FILE *out)
{
    fprintf(out, "usage: ember [options]\n\n");
    for (size_t i = 0; i < NR_OPTIONS; i++) {
        if (options[i].help) {
            fprintf(out, "  -%-11s %s\n", options[i].name, options[i].help);
        }
    }
    fprintf(out, "\nExample: ember -accel kvm -m 512 -kernel vmlinuz -initrd initrd.gz "
                 "-append console=ttyS0 -nographic\n");
}

bool cli_parse_size(const char *text, uint64_t *bytes)
{
    if (!text || !isdigit((unsigned char)text[0])) {
        return false;
    }
    errno = 0;
    char *end;
    double value = strtod(text, &end);
    if (errno || end == text || value < 0) {
        return false;
    }
    uint64_t unit = 1ull << 20;      /* QEMU: a bare number is MiB */
    switch (toupper((unsigned char)*end)) {
    case '\0': break;
    case 'B': unit = 1; end++; break;
    case 'K': unit = 1ull << 10; end++; break;
    case 'M': unit = 1ull << 20; end++; break;
    case 'G': unit = 1ull << 30; end++; break;
    case 'T': unit = 1ull << 40; end++; break;
    default: return false;
    }
    if (*end == 'i' || *end == 'I') {   /* accept MiB / GiB spellings */
        end++;
        if (toupper((unsigned char)*end) == 'B') {
            end++;
        }
    } else if (unit > 1 && toupper((unsigned char)*end) == 'B') {
        end++;
    }
    if (*end) {
        return false;
    }
    double total = value * (double)unit;
    if (total >= 18446744073709551615.0) {
        return false;
    }
    *bytes = (uint64_t)total;
    return true;
}

static const OptDef *find_option(const char *arg)
{
    const char *name = arg + 1;
    if (*name == '-') {
        name++;              /* QEMU accepts --option too */
    }
    for (size_t i = 0; i < NR_OPTIONS; i++) {
        if (strcmp(options[i].name, name) == 0) {
            return &options[i];
        }
    }
    return NULL;
}

/* "key=value" lookups in QEMU-style option strings. */
static const char *opt_value(const char *spec, const char *key, char *buf, size_t bufsz)
{
    size_t klen = strlen(key);
    const char *p = spec;
    while (p && *p) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
            const char *v = p + klen + 1;
            size_t n = strcspn(v, ",");
            if (n >= bufsz) {
                n = bufsz - 1;
            }
            memcpy(buf, v, n);
            buf[n] = '\0';
            return buf;
        }
        p = strchr(p, ',');
        if (p) {
            p++;
        }
    }
    return NULL;
}

static bool parse_accel(const char *arg, CliOptions *o, Error **errp)
{
    char name[32];
    size_t n = strcspn(arg, ",");
    if (n >= sizeof(name)) {
        n = sizeof(name) - 1;
    }
    memcpy(name, arg, n);
    name[n] = '\0';
    if (strncmp(arg, "accel=", 6) == 0) {     /* -machine accel= style */
        return parse_accel(arg + 6, o, errp);
    }
    if (strcmp(name, "help") == 0) {
        o->show_accel_help = true;
        return true;
    }
    if (strcmp(name, "tcg") == 0) {
        strcpy(name, "interp");
    }
    if (strcmp(name, "kvm") != 0 && strcmp(name, "interp") != 0) {
        error_setg(errp, "-accel: unknown engine '%s' (kvm, interp or tcg)", name);
        return false;
    }
    if (arg[n]) {
        error_setg(errp, "-accel %s: options after the engine name are not supported", name);
        return false;
    }
    o->accel = strcmp(name, "kvm") == 0 ? "kvm" : "interp";
    o->accel_explicit = true;
    return true;
}

static bool parse_machine(const char *arg, CliOptions *o, Error **errp)
{
    char *copy = xstrdup(arg);
    char *save = NULL;
    bool ok = true;
    int index = 0;
    for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save), index++) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            if (index == 0 && strcmp(kv, "help") == 0) {
                o->show_machine_help = true;
            } else if (index != 0 || (strcmp(kv, "pc") != 0 && strcmp(kv, "pc-i440fx") != 0)) {
                error_setg(errp, "-machine: unknown machine '%s' (only 'pc')", kv);
                ok = false;
            }
            continue;
        }
        *eq = '\0';
        const char *val = eq + 1;
        if (strcmp(kv, "type") == 0) {
            if (strcmp(val, "pc") != 0) {
                error_setg(errp, "-machine: unknown machine '%s' (only 'pc')", val);
                ok = false;
            }
        } else if (strcmp(kv, "linux-unpack") == 0) {
            if (strcmp(val, "on") == 0) {
                o->machine.linux_unpack = true;
            } else if (strcmp(val, "off") == 0) {
                o->machine.linux_unpack = false;
            } else {
                error_setg(errp, "-machine: linux-unpack wants on or off, not '%s'", val);
                ok = false;
            }
        } else if (strcmp(kv, "accel") == 0) {
            ok = parse_accel(val, o, errp);
        } else {
            error_setg(errp, "-machine: unknown option '%s'", kv);
            ok = false;
        }
        if (!ok) {
            break;
        }
    }
    free(copy);
    return ok;
}

static bool parse_smp(const char *arg, CliOptions *o, Error **errp)
{
    char buf[32];
    const char *v = isdigit((unsigned char)arg[0]) ? arg : opt_value(arg, "cpus", buf, sizeof(buf));
    char *end = NULL;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || (*end && *end != ',') || n < 1 || n > PC_MAX_CPUS) {
        error_setg(errp, "-smp %s: the CPU count must be a number from 1 to %d", arg, PC_MAX_CPUS);
        return false;
    }
    o->machine.smp = (int)n;
    return true;
}

static bool parse_memory(const char *arg, CliOptions *o, Error **errp)
{
    char buf[64];
    const char *v = arg;
    if (strncmp(arg, "size=", 5) == 0) {
        v = opt_value(arg, "size", buf, sizeof(buf));
    }
    uint64_t bytes;
    if (!cli_parse_size(v, &bytes)) {
        error_setg(errp, "-m %s: not a memory size (e.g. 512, 512M, 2G)", arg);
        return false;
    }
    if (bytes < (2ull << 20)) {
        error_setg(errp, "-m %s: too little memory, the pc machine needs at least 2 MiB", arg);
        return false;
    }
    if (bytes > (1ull << 40)) {
        error_setg(errp, "-m %s: too much memory, at most 1 TiB", arg);
        return false;
    }
    o->machine.ram_size = bytes;
    return true;
}

static bool add_list(const char **list, int *nr, const char *value, const char *what,
                     Error **errp)
{
    if (*nr >= CLI_MAX_LIST) {
        error_setg(errp, "too many %s options (at most %d)", what, CLI_MAX_LIST);
        return false;
    }
    list[(*nr)++] = value;
    return true;
}

bool cli_parse(int argc, char **argv, CliOptions *o, Error **errp)
{
    memset(o, 0, sizeof(*o));
    o->machine.ram_size = 128ull << 20;     /* QEMU's default */
    o->machine.smp = 1;
    o->machine.linux_unpack = true;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0') {
            error_setg(errp, "unexpected argument '%s' (disk images are not supported yet)", arg);
            return false;
        }
        const OptDef *def = find_option(arg);
        if (!def) {
            error_setg(errp, "unknown option '%s' (see ember -help)", arg);
            return false;
        }
        const char *val = NULL;
        if (def->has_arg) {
            if (i + 1 >= argc) {
                error_setg(errp, "option '%s' needs an argument", arg);
                return false;
            }
            val = argv[++i];
        }
        bool ok = true;
        switch (def->id) {
        case OPT_ACCEL: ok = parse_accel(val, o, errp); break;
        case OPT_ENABLE_KVM: o->accel = "kvm"; o->accel_explicit = true; break;
        case OPT_M: ok = parse_memory(val, o, errp); break;
        case OPT_SMP: ok = parse_smp(val, o, errp); break;
        case OPT_CPU:
            if (strcmp(val, "help") == 0) {
                o->show_cpu_help = true;
            } else {
                o->machine.cpu_model = val;
            }
            break;
        case OPT_KERNEL: o->machine.kernel = val; break;
        case OPT_INITRD: o->machine.initrd = val; break;
        case OPT_APPEND: o->machine.append = val; break;
        case OPT_BIOS: o->machine.bios = val; break;
        case OPT_MACHINE: ok = parse_machine(val, o, errp); break;
        case OPT_DEVICE:
            if (strcmp(val, "help") == 0 || strcmp(val, "?") == 0) {
                o->show_device_help = true;
            } else if (strlen(val) > 5 && strcmp(val + strlen(val) - 5, ",help") == 0) {
                o->device_props_help = val;
            } else {
                ok = add_list(o->devices, &o->nr_devices, val, "-device", errp);
            }
            break;
        case OPT_SERIAL:
            o->serial_given = true;
            if (o->machine.nr_serial >= PC_MAX_SERIAL) {
                error_setg(errp, "-serial: at most %d serial ports", PC_MAX_SERIAL);
                return false;
            }
            o->machine.serial[o->machine.nr_serial++] = val;
            break;
        case OPT_CHARDEV: ok = add_list(o->chardevs, &o->nr_chardevs, val, "-chardev", errp); break;
        case OPT_NOGRAPHIC: o->nographic = true; break;
        case OPT_DISPLAY: {
            size_t n = strcspn(val, ",");
            if (strncmp(val, "none", n) == 0 && n == 4) {
                o->display = "none";
            } else if (strncmp(val, "help", n) == 0 && n == 4) {
                printf("Available display back-ends: none\n");
                o->show_machine_help = true;   /* printed: just exit */
            } else {
                error_setg(errp, "-display %s: only 'none' is available in this build "
                           "(the SDL window comes with the display work)", val);
                ok = false;
            }
            break;
        }
        case OPT_NO_REBOOT: o->machine.no_reboot = true; break;
        case OPT_D: {
            bool shown;
            ok = log_parse_items(val, &shown, errp);
            o->log_help_shown |= shown;
            break;
        }
        case OPT_DLOG: ok = log_set_file(val, errp); break;
        case OPT_DFILTER: ok = log_parse_dfilter(val, errp); break;
        case OPT_MONITOR:
            if (strcmp(val, "none") != 0) {
                error_setg(errp, "-monitor %s: the monitor is not available yet (only 'none')",
                           val);
                ok = false;
            }
            o->monitor = val;
            break;
        case OPT_DEBUGCON: o->debugcon = val; break;
        case OPT_NAME: break;
        case OPT_HELP: o->show_help = true; break;
        case OPT_VERSION: o->show_version = true; break;
        case OPT_UNSUPPORTED:
            error_setg(errp, "option '%s' is not supported yet in this version of ember", arg);
            ok = false;
            break;
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* The command line: a QEMU-compatible subset parsed into one options record. */
#ifndef SYSTEM_CLI_H
#define SYSTEM_CLI_H

#include <stdbool.h>
#include "hw/i386/pc.h"

#define CLI_MAX_LIST 32

typedef struct CliOptions {
    MachineConfig machine;
    const char *accel;              /* "kvm", "interp" or NULL (choose) */
    bool accel_explicit;
    bool nographic;
    const char *display;            /* "none", "sdl" or NULL */
    const char *devices[CLI_MAX_LIST];
    int nr_devices;
    const char *chardevs[CLI_MAX_LIST];
    int nr_chardevs;
    const char *debugcon;           /* -debugcon SPEC */
    const char *monitor;
    bool serial_given;
    /* things that print and exit */
    bool show_help, show_version, show_device_help, show_cpu_help, show_accel_help,
         show_machine_help;
    const char *device_props_help;  /* -device NAME,help */
    bool log_help_shown;
} CliOptions;

/* Parse argv; on a user error returns false with one clear message in *errp. */
bool cli_parse(int argc, char **argv, CliOptions *opts, Error **errp);
/* Parse a memory size as QEMU does: plain number = MiB, suffixes K/M/G/T (and B). */
bool cli_parse_size(const char *text, uint64_t *bytes);
void cli_print_usage(FILE *out);

#endif

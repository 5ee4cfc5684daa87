/* ember: the program. Parses the command line, picks an engine, builds the pc machine
 * and runs the main loop until the guest or the user ends it. */
#include "accel/accel.h"
#include "cpu/models.h"
#include "hw/char/serial.h"
#include "hw/core/device.h"
#include "hw/i386/pc.h"
#include "system/chardev.h"
#include "system/cli.h"
#include "system/log.h"
#include "system/mainloop.h"
#include "system/timer.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EMBER_VERSION "0.1.0"

static void on_terminate_signal(int sig)
{
    (void)sig;
    system_request_shutdown(SHUTDOWN_HOST_QUIT, 0);
}

static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_terminate_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void print_cpu_help(void)
{
    printf("Available CPU models:\n");
    printf("  %-10s the host CPU as KVM supports it (the only model under -accel kvm)\n",
           "host");
    x86_cpu_models_print(stdout);
}

static void print_machine_help(void)
{
    printf("Supported machines:\n");
    printf("  pc      Standard PC (i440FX + PIIX3) (default)\n");
    printf("Options: linux-unpack=on|off  unpack a bzImage on the host and enter the "
           "kernel directly (default on)\n");
}

/* Decide which engine runs: the one asked for; else KVM when it is hardware-backed;
 * else the interpreter (a software-backed KVM emulates guest ring-0 code slowly). */
static const AccelOps *choose_engine(const CliOptions *o)
{
    char *why = NULL;
    const AccelOps *interp = accel_find("interp");
    if (o->accel && strcmp(o->accel, "interp") == 0) {
        if (!interp) {
            fatal("-accel interp: the interpreter engine is not part of this build");
        }
        return interp;
    }
    const AccelOps *kvm = accel_find("kvm");
    bool kvm_ok = kvm && kvm->available(&why);
    if (o->accel_explicit) {
        if (!kvm) {
            fatal("-accel kvm: this build has no KVM support (linux/kvm.h was missing "
                  "at configure time)");
        }
        if (!kvm_ok) {
            fatal("-accel kvm: %s", why ? why : "KVM is not usable");
        }
        if (accel_kvm_software_backed()) {
            fprintf(stderr, "ember: note: this host's KVM is software-backed (kvm_pvm): "
                    "guest kernel code is emulated slowly, 64-bit user code runs natively\n");
        }
        return kvm;
    }
    if (kvm_ok && !accel_kvm_software_backed()) {
        return kvm;
    }
    if (interp) {
        if (kvm_ok) {
            fprintf(stderr, "ember: note: this host's KVM is software-backed (kvm_pvm); "
                    "using the interpreter (-accel kvm forces KVM)\n");
        }
        free(why);
        return interp;
    }
    if (!kvm_ok) {
        fatal("no engine can run here: %s", why ? why : "KVM is not usable");
    }
    return kvm;
}

static bool stdio_claimed(const CliOptions *o)
{
    for (int i = 0; i < o->nr_chardevs; i++) {
        if (strncmp(o->chardevs[i], "stdio", 5) == 0) {
            return true;
        }
    }
    return o->debugcon && strcmp(o->debugcon, "stdio") == 0;
}

int main(int argc, char **argv)
{
    startup_ns = clock_get_ns(CLOCK_HOST);
    CliOptions opts;
    Error *err = NULL;
    if (!cli_parse(argc, argv, &opts, &err)) {
        error_report_err(err);
        return 1;
    }
    type_register_all();
    bool printed = opts.log_help_shown;
    if (opts.show_help) {
        cli_print_usage(stdout);
        printed = true;
    }
    if (opts.show_version) {
        printf("ember version " EMBER_VERSION "\n");
        printed = true;
    }
    if (opts.show_device_help) {
        device_print_help(stdout);
        printed = true;
    }
    if (opts.device_props_help) {
        char *type = xstrdup(opts.device_props_help);
        *strchr(type, ',') = '\0';
        if (!device_print_props(stdout, type)) {
            fatal("unknown device '%s' (try -device help)", type);
        }
        free(type);
        printed = true;
    }
    if (opts.show_cpu_help) {
        print_cpu_help();
        printed = true;
    }
    if (opts.show_accel_help) {
        accel_print_help(stdout);
        printed = true;
    }
    if (opts.show_machine_help) {
        print_machine_help();
        printed = true;
    }
    if (printed) {
        return 0;
    }
    if (opts.machine.cpu_model && strcmp(opts.machine.cpu_model, "host") != 0 &&
        !x86_cpu_model_find(opts.machine.cpu_model)) {
        fatal("-cpu %s: unknown CPU model (try -cpu help)", opts.machine.cpu_model);
    }
    if (opts.machine.initrd && !opts.machine.kernel) {
        fatal("-initrd needs -kernel");
    }
    if (opts.machine.append && !opts.machine.kernel) {
        fatal("-append needs -kernel");
    }

    /* Character back-ends named with -chardev, then the default serial port. */
    for (int i = 0; i < opts.nr_chardevs; i++) {
        if (!chardev_new_from_options(opts.chardevs[i], &err)) {
            error_prepend(&err, "-chardev %s: ", opts.chardevs[i]);
            error_report_err(err);
            return 1;
        }
    }
    if (!opts.serial_given) {
        opts.machine.serial[0] = stdio_claimed(&opts) ? "null" : "stdio";
        opts.machine.nr_serial = 1;
    }

    mainloop_init();
    install_signal_handlers();
    devlock_lock();
    Machine *m = pc_machine_create(&opts.machine, &err);
    if (!m) {
        chardev_restore_terminals();
        error_report_err(err);
        return 1;
    }
    for (int i = 0; i < opts.nr_devices; i++) {
        DeviceState *dev = device_new_from_options(opts.devices[i], &err);
        if (!dev || !pc_machine_add_device(m, dev, &err)) {
            chardev_restore_terminals();
            error_prepend(&err, "-device %s: ", opts.devices[i]);
            error_report_err(err);
            return 1;
        }
    }
    if (opts.debugcon) {
        Chardev *chr = chardev_new(opts.debugcon, "debugcon", &err);
        DeviceState *dev = device_new("isa-debugcon");
        if (err || !dev || !pc_machine_add_device(m, dev, &err)) {
            chardev_restore_terminals();
            error_prepend(&err, "-debugcon %s: ", opts.debugcon);
            error_report_err(err);
            return 1;
        }
        debugcon_set_chardev(dev, chr);
    }

    const AccelOps *engine = choose_engine(&opts);
    const char *model = opts.machine.cpu_model;
    if (model && strcmp(engine->name, "kvm") == 0 && strcmp(model, "host") != 0) {
        chardev_restore_terminals();
        fatal("-cpu %s: under -accel kvm the CPU model is 'host'", model);
    }
    if (model && strcmp(engine->name, "kvm") != 0 && strcmp(model, "host") == 0) {
        chardev_restore_terminals();
        fatal("-cpu host needs -accel kvm (try -cpu help)");
    }
    if (!pc_machine_attach_engine(m, engine, &err)) {
        chardev_restore_terminals();
        error_report_err(err);
        return 1;
    }
    if (log_enabled(LOG_STARTUP)) {
        qemu_log("startup: %.3f ms from exec to the first guest instruction\n",
                 (double)(clock_get_ns(CLOCK_HOST) - startup_ns) / 1e6);
    }
    engine->start(m);
    int status = mainloop_run();
    engine->stop(m);
    devlock_unlock();
    chardev_restore_terminals();
    fflush(log_file());
    fflush(stdout);
    ShutdownCause cause = system_shutdown_cause();
    if (cause == SHUTDOWN_HOST_QUIT) {
        status = 0;
    }
    /* Leave without tearing the machine down: vCPU threads are parked and the process
     * is about to end; exit() flushes stdio. */
    exit(status);
}

/* The table of execution engines: lookup by name and the -accel help listing. */
#include "config-host.h"
#include "accel/accel.h"

#include <string.h>

typedef struct AccelEntry {
    const char *name;
    const char *synonym;         /* another name for the same engine, or NULL */
    const AccelOps *ops;         /* NULL: planned but not part of this build */
    const char *desc;
} AccelEntry;

static const AccelEntry accel_table[] = {
#ifdef CONFIG_KVM
    { "kvm", NULL, &accel_kvm_ops, "hardware-assisted virtualization through /dev/kvm" },
#else
    { "kvm", NULL, NULL, "hardware-assisted virtualization (this build lacks linux/kvm.h)" },
#endif
    { "interp", "tcg", &accel_interp_ops, "x86 interpreter (software, no host support needed)" },
};

#define NR_ACCELS (sizeof(accel_table) / sizeof(accel_table[0]))

const AccelOps *accel_find(const char *name)
{
    if (!name) {
        return NULL;
    }
    for (size_t i = 0; i < NR_ACCELS; i++) {
        const AccelEntry *e = &accel_table[i];
        if (strcmp(e->name, name) == 0 || (e->synonym && strcmp(e->synonym, name) == 0)) {
            return e->ops;
        }
    }
    return NULL;
}

void accel_print_help(FILE *out)
{
    fprintf(out, "Accelerators (engines):\n");
    for (size_t i = 0; i < NR_ACCELS; i++) {
        const AccelEntry *e = &accel_table[i];
        char names[32];
        snprintf(names, sizeof(names), "%s%s%s", e->name, e->synonym ? ", " : "",
                 e->synonym ? e->synonym : "");
        fprintf(out, "  %-12s %s\n", names, e->desc);
    }
}

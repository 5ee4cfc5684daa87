/*
 * Devices: objects with typed properties (static tables), a two-phase life
 * (cheap infallible init, then realize that may fail) and one reset. Devices sit
 * on buses (system, ISA, PCI); buses are objects too, children of their bridge.
 */
#ifndef HW_CORE_DEVICE_H
#define HW_CORE_DEVICE_H

#include <stdint.h>
#include "hw/core/object.h"
#include "system/error.h"

#define TYPE_DEVICE "device"
#define TYPE_BUS "bus"
#define TYPE_SYSTEM_BUS "system-bus"
#define TYPE_ISA_BUS "isa-bus"
#define TYPE_PCI_BUS "pci-bus"

typedef struct BusState BusState;
typedef struct DeviceState DeviceState;

typedef enum PropertyKind {
    PROP_UINT,     /* unsigned integer of `size` bytes, decimal or 0x hex */
    PROP_INT,      /* signed integer of `size` bytes */
    PROP_BOOL,     /* on/off, true/false, yes/no, 1/0 */
    PROP_STRING,   /* char *, owned by the device */
} PropertyKind;

typedef struct Property {
    const char *name;
    PropertyKind kind;
    size_t offset;           /* within the instance */
    unsigned size;           /* bytes, for PROP_UINT/PROP_INT/PROP_BOOL (bool: sizeof(bool)) */
    uint64_t defval;         /* default for numbers and bools */
    const char *defstr;      /* default for strings (may be NULL) */
    uint64_t min, max;       /* inclusive range for numbers; max 0 means "fits size" */
    const char *desc;
} Property;

#define DEFINE_PROP_UINT(n, T, f, bits, d, desc_) \
    { .name = (n), .kind = PROP_UINT, .offset = offsetof(T, f), .size = (bits) / 8, \
      .defval = (d), .desc = (desc_) }
#define DEFINE_PROP_UINT_RANGE(n, T, f, bits, d, lo, hi, desc_) \
    { .name = (n), .kind = PROP_UINT, .offset = offsetof(T, f), .size = (bits) / 8, \
      .defval = (d), .min = (lo), .max = (hi), .desc = (desc_) }
#define DEFINE_PROP_BOOL(n, T, f, d, desc_) \
    { .name = (n), .kind = PROP_BOOL, .offset = offsetof(T, f), .size = sizeof(bool), \
      .defval = (d), .desc = (desc_) }
#define DEFINE_PROP_STRING(n, T, f, d, desc_) \
    { .name = (n), .kind = PROP_STRING, .offset = offsetof(T, f), .size = sizeof(char *), \
      .defstr = (d), .desc = (desc_) }
#define DEFINE_PROP_END { .name = NULL }

struct DeviceState {
    Object parent_obj;
    char *id;                 /* user-given id= (may be NULL) */
    bool realized;
    BusState *parent_bus;
    DeviceState *bus_next;    /* sibling on the parent bus */
};

typedef struct DeviceClass {
    ObjectClass parent_class;
    const char *desc;             /* one line for -device help */
    const Property *props;        /* NULL-terminated; ancestors' tables apply too */
    const char *bus_type;         /* bus it plugs into (NULL: system bus) */
    bool user_creatable;          /* may be created with -device */
    bool (*realize)(DeviceState *dev, Error **errp);
    void (*reset)(DeviceState *dev);
} DeviceClass;

struct BusState {
    Object parent_obj;
    DeviceState *parent;          /* bridge that owns the bus (NULL for the root) */
    DeviceState *first_device;
    DeviceState *last_device;
};

typedef struct BusClass {
    ObjectClass parent_class;
} BusClass;

#define DEVICE(o) OBJECT_CHECK(DeviceState, (o), TYPE_DEVICE)
#define DEVICE_GET_CLASS(o) OBJECT_GET_CLASS(DeviceClass, (o), TYPE_DEVICE)
#define DEVICE_CLASS(k) OBJECT_CLASS_CHECK(DeviceClass, (k), TYPE_DEVICE)
#define BUS(o) OBJECT_CHECK(BusState, (o), TYPE_BUS)

void device_register_types(void);

/* Create a device of `type` (NULL if unknown/abstract or not a device), defaults applied. */
DeviceState *device_new(const char *type);
/* Set a property from text; false with an error naming the device, property and value. */
bool device_set_prop(DeviceState *dev, const char *name, const char *value, Error **errp);
bool device_set_prop_uint(DeviceState *dev, const char *name, uint64_t value, Error **errp);
/* Find a property in the device's class or its ancestors. */
const Property *device_find_prop(const DeviceClass *dc, const char *name);
/* Attach to bus (NULL: none), realize. On failure the device stays unrealized. */
bool device_realize(DeviceState *dev, BusState *bus, Error **errp);
/* Reset one device; bus_reset / device_reset_tree walk a subtree (bridges reset their buses). */
void device_reset(DeviceState *dev);
void device_reset_tree(Object *root);

/* "-device help" list and "-device NAME,help" property list, written to `out`. */
#include <stdio.h>
void device_print_help(FILE *out);
bool device_print_props(FILE *out, const char *type);

/* Parse "-device TYPE,prop=value,...": create, set properties (id= is the device id),
 * and return the unrealized device. Errors: unknown type, unknown property, bad value. */
DeviceState *device_new_from_options(const char *optarg, Error **errp);

/* Buses. */
BusState *bus_new(const char *type, DeviceState *parent, const char *name);
void bus_add_device(BusState *bus, DeviceState *dev);
/* Take a device off its bus (on failed realize and at finalize). */
void bus_remove_device(DeviceState *dev);

#endif

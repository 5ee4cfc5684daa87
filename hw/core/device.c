/* Devices, properties and buses on top of the object model. */
#include "hw/core/device.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void device_instance_finalize(Object *obj);

static const TypeInfo device_type_info = {
    .name = TYPE_DEVICE,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(DeviceState),
    .class_size = sizeof(DeviceClass),
    .instance_finalize = device_instance_finalize,
    .abstract = true,
};

/* A bus going away leaves its devices bus-less (they may live on elsewhere in the tree). */
static void bus_instance_finalize(Object *obj)
{
    BusState *bus = (BusState *)obj;
    while (bus->first_device) {
        bus_remove_device(bus->first_device);
    }
}

static const TypeInfo bus_type_info = {
    .name = TYPE_BUS,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(BusState),
    .class_size = sizeof(BusClass),
    .instance_finalize = bus_instance_finalize,
    .abstract = true,
};

static const TypeInfo system_bus_type_info = { .name = TYPE_SYSTEM_BUS, .parent = TYPE_BUS };

void device_register_types(void)
{
    type_register(&device_type_info);
    type_register(&bus_type_info);
    type_register(&system_bus_type_info);
}

/* Walk the property tables of dc and its ancestors (each table once). */
static const Property *prop_next(const DeviceClass **dcp, const Property *p)
{
    const DeviceClass *dc = *dcp;
    if (p && p[1].name) {
        return p + 1;
    }
    if (p) {
        /* move to the next ancestor with a different table */
        const ObjectClass *k = object_class_get_parent(&dc->parent_class);
        const Property *cur = dc->props;
        dc = NULL;
        for (; k && object_class_dynamic_cast((ObjectClass *)k, TYPE_DEVICE);
             k = object_class_get_parent(k)) {
            const DeviceClass *c = (const DeviceClass *)k;
            if (c->props && c->props != cur && c->props[0].name) {
                dc = c;
                break;
            }
        }
    } else {
        /* first: this class or the nearest ancestor with a table */
        const ObjectClass *k = &dc->parent_class;
        dc = NULL;
        for (; k && object_class_dynamic_cast((ObjectClass *)k, TYPE_DEVICE);
             k = object_class_get_parent(k)) {
            const DeviceClass *c = (const DeviceClass *)k;
            if (c->props && c->props[0].name) {
                dc = c;
                break;
            }
        }
    }
    *dcp = dc;
    return dc ? dc->props : NULL;
}

#define FOREACH_PROP(dc0, p) \
    for (const DeviceClass *fp_dc = (dc0), *fp_once = fp_dc; fp_once; fp_once = NULL) \
        for (const Property *p = prop_next(&fp_dc, NULL); p; p = prop_next(&fp_dc, p))

static void device_instance_finalize(Object *obj)
{
    DeviceState *dev = (DeviceState *)obj;
    FOREACH_PROP(DEVICE_GET_CLASS(obj), p) {
        if (p->kind == PROP_STRING) {
            char **field = (char **)((char *)obj + p->offset);
            free(*field);
            *field = NULL;
        }
    }
    bus_remove_device(dev);
    free(dev->id);
}

const Property *device_find_prop(const DeviceClass *dc, const char *name)
{
    FOREACH_PROP(dc, p) {
        if (strcmp(p->name, name) == 0) {
            return p;
        }
    }
    return NULL;
}

static uint64_t prop_max(const Property *p)
{
    if (p->max && p->kind != PROP_INT) {
        return p->max;
    }
    if (p->kind == PROP_INT) {
        return p->size >= 8 ? INT64_MAX : (UINT64_C(1) << (p->size * 8 - 1)) - 1;
    }
    return p->size >= 8 ? UINT64_MAX : (UINT64_C(1) << (p->size * 8)) - 1;
}

static void prop_store_uint(void *field, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: *(uint8_t *)field = (uint8_t)v; break;
    case 2: *(uint16_t *)field = (uint16_t)v; break;
    case 4: *(uint32_t *)field = (uint32_t)v; break;
    default: *(uint64_t *)field = v; break;
    }
}

static void prop_apply_default(Object *obj, const Property *p)
{
    void *field = (char *)obj + p->offset;
    switch (p->kind) {
    case PROP_UINT:
    case PROP_INT:
        prop_store_uint(field, p->size, p->defval);
        break;
    case PROP_BOOL:
        *(bool *)field = p->defval != 0;
        break;
    case PROP_STRING:
        *(char **)field = xstrdup(p->defstr);
        break;
    }
}

DeviceState *device_new(const char *type)
{
    ObjectClass *k = object_class_by_name(type);
    if (!k || !object_class_dynamic_cast(k, TYPE_DEVICE) || object_class_is_abstract(k)) {
        return NULL;
    }
    Object *obj = object_new(type);
    DeviceState *dev = (DeviceState *)obj;
    FOREACH_PROP((const DeviceClass *)k, p) {
        prop_apply_default(obj, p);
    }
    /* Defaults are applied after instance_init: property fields belong to the table. */
    return dev;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "on", "true", "yes", "1" };
    static const char *const no[] = { "off", "false", "no", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

bool device_set_prop(DeviceState *dev, const char *name, const char *value, Error **errp)
{
    const char *type = object_get_typename(OBJECT(dev));
    if (dev->realized) {
        error_setg(errp, "device '%s': property '%s' cannot change after realize", type, name);
        return false;
    }
    const Property *p = device_find_prop(DEVICE_GET_CLASS(dev), name);
    if (!p) {
        error_setg(errp, "device '%s' has no property '%s' (try -device %s,help)",
                   type, name, type);
        return false;
    }
    void *field = (char *)dev + p->offset;
    switch (p->kind) {
    case PROP_UINT:
    case PROP_INT: {
        if (!*value) {
            goto bad;
        }
        errno = 0;
        char *end;
        if (p->kind == PROP_INT) {
            long long v = strtoll(value, &end, 0);
            long long lo = -(long long)prop_max(p) - 1, hi = (long long)prop_max(p);
            if (p->min || p->max) {      /* an explicit range, as signed values */
                lo = (long long)p->min;
                hi = (long long)p->max;
            }
            if (errno || *end || v < lo || v > hi) {
                goto bad;
            }
            prop_store_uint(field, p->size, (uint64_t)v);
        } else {
            if (value[0] == '-') {
                goto bad;
            }
            unsigned long long v = strtoull(value, &end, 0);
            if (errno || *end || v < p->min || v > prop_max(p)) {
                goto bad;
            }
            prop_store_uint(field, p->size, v);
        }
        return true;
    }
    case PROP_BOOL: {
        bool b;
        if (!parse_bool(value, &b)) {
            goto bad;
        }
        *(bool *)field = b;
        return true;
    }
    case PROP_STRING:
        free(*(char **)field);
        *(char **)field = xstrdup(value);
        return true;
    }
bad:
    if (p->kind == PROP_BOOL) {
        error_setg(errp, "device '%s': property '%s' wants on or off, not '%s'",
                   type, name, value);
    } else {
        error_setg(errp, "device '%s': bad value '%s' for property '%s' "
                   "(an integer from %" PRIu64 " to %" PRIu64 ")",
                   type, value, name, p->min, prop_max(p));
    }
    return false;
}

bool device_set_prop_uint(DeviceState *dev, const char *name, uint64_t value, Error **errp)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, value);
    return device_set_prop(dev, name, buf, errp);
}

bool device_realize(DeviceState *dev, BusState *bus, Error **errp)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);
    if (dev->realized) {
        return true;
    }
    if (bus && dc->bus_type && !object_is_a(OBJECT(bus), dc->bus_type)) {
        error_setg(errp, "device '%s' needs a %s, not a %s", object_get_typename(OBJECT(dev)),
                   dc->bus_type, object_get_typename(OBJECT(bus)));
        return false;
    }
    if (bus) {
        bus_add_device(bus, dev);
    }
    if (dc->realize && !dc->realize(dev, errp)) {
        bus_remove_device(dev);
        return false;
    }
    dev->realized = true;
    if (dc->reset) {
        dc->reset(dev);
    }
    return true;
}

void device_reset(DeviceState *dev)
{
    DeviceClass *dc = DEVICE_GET_CLASS(dev);
    if (dev->realized && dc->reset) {
        dc->reset(dev);
    }
}

static int reset_one(Object *obj, void *opaque)
{
    (void)opaque;
    if (object_is_a(obj, TYPE_DEVICE)) {
        device_reset((DeviceState *)obj);
    }
    return 0;
}

void device_reset_tree(Object *root)
{
    object_walk(root, reset_one, NULL);
}

static void print_device_line(ObjectClass *k, void *opaque)
{
    DeviceClass *dc = (DeviceClass *)k;
    if (!dc->user_creatable) {
        return;
    }
    FILE *out = opaque;
    const char *bus = dc->bus_type ? dc->bus_type : TYPE_SYSTEM_BUS;
    fprintf(out, "name \"%s\", bus %s, desc \"%s\"\n", object_class_get_name(k), bus,
            dc->desc ? dc->desc : "");
}

void device_print_help(FILE *out)
{
    fprintf(out, "Devices (use -device NAME,help for properties):\n");
    object_class_foreach(TYPE_DEVICE, false, print_device_line, out);
}

bool device_print_props(FILE *out, const char *type)
{
    ObjectClass *k = object_class_by_name(type);
    if (!k || !object_class_dynamic_cast(k, TYPE_DEVICE) || object_class_is_abstract(k)) {
        return false;
    }
    fprintf(out, "%s options:\n", type);
    bool any = false;
    FOREACH_PROP((DeviceClass *)k, p) {
        static const char *const kinds[] = { "uint", "int", "bool", "str" };
        fprintf(out, "  %-16s <%s>", p->name, kinds[p->kind]);
        if (p->kind == PROP_STRING) {
            if (p->defstr) {
                fprintf(out, " (default \"%s\")", p->defstr);
            }
        } else if (p->kind == PROP_BOOL) {
            fprintf(out, " (default %s)", p->defval ? "on" : "off");
        } else {
            fprintf(out, " (default 0x%" PRIx64 ")", p->defval);
        }
        if (p->desc) {
            fprintf(out, " - %s", p->desc);
        }
        fputc('\n', out);
        any = true;
    }
    if (!any) {
        fprintf(out, "  (no properties)\n");
    }
    return true;
}

DeviceState *device_new_from_options(const char *optarg, Error **errp)
{
    char *copy = xstrdup(optarg);
    char *save = NULL;
    char *type = strtok_r(copy, ",", &save);
    DeviceState *dev = NULL;
    if (!type || !*type) {
        error_setg(errp, "-device needs a device name (try -device help)");
        goto out;
    }
    ObjectClass *k = object_class_by_name(type);
    if (!k || !object_class_dynamic_cast(k, TYPE_DEVICE) || object_class_is_abstract(k) ||
        !((DeviceClass *)k)->user_creatable) {
        error_setg(errp, "unknown device '%s' (try -device help)", type);
        goto out;
    }
    dev = device_new(type);
    for (char *kv = strtok_r(NULL, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            error_setg(errp, "device '%s': '%s' is not of the form property=value", type, kv);
            goto fail;
        }
        *eq = '\0';
        if (strcmp(kv, "id") == 0) {
            free(dev->id);
            dev->id = xstrdup(eq + 1);
            continue;
        }
        if (!device_set_prop(dev, kv, eq + 1, errp)) {
            goto fail;
        }
    }
    goto out;
fail:
    object_unref(OBJECT(dev));
    dev = NULL;
out:
    free(copy);
    return dev;
}

BusState *bus_new(const char *type, DeviceState *parent, const char *name)
{
    BusState *bus = (BusState *)object_new(type);
    if (!bus) {
        abort();
    }
    bus->parent = parent;
    if (parent) {
        object_add_child(OBJECT(parent), name, OBJECT(bus));
        object_unref(OBJECT(bus));
    }
    return bus;
}

void bus_add_device(BusState *bus, DeviceState *dev)
{
    dev->parent_bus = bus;
    dev->bus_next = NULL;
    if (bus->last_device) {
        bus->last_device->bus_next = dev;
    } else {
        bus->first_device = dev;
    }
    bus->last_device = dev;
}

void bus_remove_device(DeviceState *dev)
{
    BusState *bus = dev->parent_bus;
    if (!bus) {
        return;
    }
    DeviceState *prev = NULL;
    for (DeviceState *d = bus->first_device; d; prev = d, d = d->bus_next) {
        if (d == dev) {
            if (prev) {
                prev->bus_next = d->bus_next;
            } else {
                bus->first_device = d->bus_next;
            }
            if (bus->last_device == d) {
                bus->last_device = prev;
            }
            break;
        }
    }
    dev->parent_bus = NULL;
    dev->bus_next = NULL;
}

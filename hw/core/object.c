/* The object model: type registry, class construction, casts, refcounts and the tree. */
#include "hw/core/object.h"
#include "system/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct TypeImpl {
    const TypeInfo *info;
    TypeImpl *parent;
    size_t instance_size;
    size_t class_size;
    ObjectClass *klass;     /* built on first use */
    TypeImpl *next;
};

static TypeImpl *type_list;
static size_t type_count;

static TypeImpl *type_find(const char *name)
{
    if (!name) {
        return NULL;
    }
    for (TypeImpl *t = type_list; t; t = t->next) {
        if (strcmp(t->info->name, name) == 0) {
            return t;
        }
    }
    return NULL;
}

static const TypeInfo object_info = {
    .name = TYPE_OBJECT,
    .instance_size = sizeof(Object),
    .class_size = sizeof(ObjectClass),
    .abstract = true,
};

static const TypeInfo container_info = {
    .name = TYPE_CONTAINER,
    .parent = TYPE_OBJECT,
};

static void type_register_root(void)
{
    static bool done;
    if (!done) {
        done = true;
        type_register(&object_info);
        type_register(&container_info);
    }
}

void type_register(const TypeInfo *info)
{
    if (info != &object_info) {
        type_register_root();
    }
    if (type_find(info->name)) {
        return; /* registering twice is harmless */
    }
    TypeImpl *t = xzalloc(sizeof(*t));
    t->info = info;
    t->next = type_list;
    type_list = t;
    type_count++;
}

/* Resolve the parent chain and sizes, then build the class: parent class copied, then
 * class_init of each ancestor has already run on the parent copy, ours runs last. */
static TypeImpl *type_resolve(TypeImpl *t)
{
    if (t->klass) {
        return t;
    }
    if (t->info->parent) {
        t->parent = type_find(t->info->parent);
        if (!t->parent) {
            fprintf(stderr, "ember: type '%s' has unknown parent '%s'\n",
                    t->info->name, t->info->parent);
            abort();
        }
        type_resolve(t->parent);
    }
    t->instance_size = t->info->instance_size ? t->info->instance_size
                       : t->parent ? t->parent->instance_size : sizeof(Object);
    t->class_size = t->info->class_size ? t->info->class_size
                    : t->parent ? t->parent->class_size : sizeof(ObjectClass);
    if (t->parent && (t->instance_size < t->parent->instance_size ||
                      t->class_size < t->parent->class_size)) {
        fprintf(stderr, "ember: type '%s' is smaller than its parent\n", t->info->name);
        abort();
    }
    ObjectClass *k = xzalloc(t->class_size);
    if (t->parent) {
        memcpy(k, t->parent->klass, t->parent->class_size);
    }
    k->type = t;
    t->klass = k;
    if (t->info->class_init) {
        t->info->class_init(k);
    }
    return t;
}

ObjectClass *object_class_by_name(const char *name)
{
    TypeImpl *t = type_find(name);
    return t ? type_resolve(t)->klass : NULL;
}

const char *object_class_get_name(const ObjectClass *klass)
{
    return klass->type->info->name;
}

ObjectClass *object_class_get_parent(const ObjectClass *klass)
{
    TypeImpl *p = klass->type->parent;
    return p ? p->klass : NULL;
}

bool object_class_is_abstract(const ObjectClass *klass)
{
    return klass->type->info->abstract;
}

ObjectClass *object_class_dynamic_cast(ObjectClass *klass, const char *name)
{
    for (TypeImpl *t = klass ? klass->type : NULL; t; t = t->parent) {
        if (strcmp(t->info->name, name) == 0) {
            return klass;
        }
    }
    return NULL;
}

static int compare_class_names(const void *a, const void *b)
{
    const ObjectClass *ka = *(ObjectClass *const *)a;
    const ObjectClass *kb = *(ObjectClass *const *)b;
    return strcmp(object_class_get_name(ka), object_class_get_name(kb));
}

void object_class_foreach(const char *implements, bool include_abstract,
                          void (*fn)(ObjectClass *klass, void *opaque), void *opaque)
{
    ObjectClass **all = xmalloc(sizeof(*all) * (type_count + 1));
    size_t n = 0;
    for (TypeImpl *t = type_list; t; t = t->next) {
        ObjectClass *k = type_resolve(t)->klass;
        if (implements && !object_class_dynamic_cast(k, implements)) {
            continue;
        }
        if (!include_abstract && t->info->abstract) {
            continue;
        }
        all[n++] = k;
    }
    qsort(all, n, sizeof(*all), compare_class_names);
    for (size_t i = 0; i < n; i++) {
        fn(all[i], opaque);
    }
    free(all);
}

static void object_init_with_type(Object *obj, TypeImpl *t)
{
    if (t->parent) {
        object_init_with_type(obj, t->parent);
    }
    if (t->info->instance_init) {
        t->info->instance_init(obj);
    }
}

Object *object_new(const char *type_name)
{
    TypeImpl *t = type_find(type_name);
    if (!t || t->info->abstract) {
        return NULL;
    }
    type_resolve(t);
    Object *obj = xzalloc(t->instance_size);
    obj->klass = t->klass;
    obj->refcount = 1;
    object_init_with_type(obj, t);
    return obj;
}

const char *object_get_typename(const Object *obj)
{
    return object_class_get_name(obj->klass);
}

bool object_is_a(const Object *obj, const char *type_name)
{
    return obj && object_class_dynamic_cast(obj->klass, type_name) != NULL;
}

Object *object_dynamic_cast(Object *obj, const char *type_name)
{
    return object_is_a(obj, type_name) ? obj : NULL;
}

Object *object_check(Object *obj, const char *type_name, const char *file, int line)
{
    if (!object_is_a(obj, type_name)) {
        fprintf(stderr, "ember: %s:%d: bad cast of %s to %s\n", file, line,
                obj ? object_get_typename(obj) : "NULL", type_name);
        abort();
    }
    return obj;
}

ObjectClass *object_class_check(ObjectClass *klass, const char *type_name,
                                const char *file, int line)
{
    if (!object_class_dynamic_cast(klass, type_name)) {
        fprintf(stderr, "ember: %s:%d: bad class cast of %s to %s\n", file, line,
                klass ? object_class_get_name(klass) : "NULL", type_name);
        abort();
    }
    return klass;
}

void object_ref(Object *obj)
{
    obj->refcount++;
}

static void object_finalize(Object *obj)
{
    while (obj->first_child) {
        object_unparent(obj->first_child);
    }
    for (TypeImpl *t = obj->klass->type; t; t = t->parent) {
        if (t->info->instance_finalize) {
            t->info->instance_finalize(obj);
        }
    }
    free(obj->name);
    free(obj);
}

void object_unref(Object *obj)
{
    if (obj && --obj->refcount == 0) {
        object_finalize(obj);
    }
}

Object *object_find_child(Object *parent, const char *name)
{
    for (Object *c = parent->first_child; c; c = c->next_sibling) {
        if (c->name && strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

void object_add_child(Object *parent, const char *name, Object *child)
{
    if (child->parent) {
        object_unparent(child);
    }
    char *unique = xstrdup(name);
    for (int i = 1; object_find_child(parent, unique); i++) {
        free(unique);
        unique = xasprintf("%s.%d", name, i);
    }
    free(child->name);
    child->name = unique;
    child->parent = parent;
    child->next_sibling = NULL;
    if (parent->last_child) {
        parent->last_child->next_sibling = child;
    } else {
        parent->first_child = child;
    }
    parent->last_child = child;
    object_ref(child);
}

void object_unparent(Object *obj)
{
    Object *parent = obj->parent;
    if (!parent) {
        return;
    }
    Object *prev = NULL;
    for (Object *c = parent->first_child; c; prev = c, c = c->next_sibling) {
        if (c == obj) {
            if (prev) {
                prev->next_sibling = c->next_sibling;
            } else {
                parent->first_child = c->next_sibling;
            }
            if (parent->last_child == c) {
                parent->last_child = prev;
            }
            break;
        }
    }
    obj->parent = NULL;
    obj->next_sibling = NULL;
    object_unref(obj);
}

char *object_get_path(const Object *obj)
{
    if (!obj->parent) {
        return xstrdup("");
    }
    char *up = object_get_path(obj->parent);
    char *p = xasprintf("%s/%s", up, obj->name ? obj->name : "?");
    free(up);
    return p;
}

Object *object_resolve_path(Object *root, const char *path)
{
    Object *cur = root;
    char *copy = xstrdup(path);
    char *save = NULL;
    for (char *part = strtok_r(copy, "/", &save); part && cur;
         part = strtok_r(NULL, "/", &save)) {
        cur = object_find_child(cur, part);
    }
    free(copy);
    return cur;
}

int object_walk(Object *obj, int (*fn)(Object *obj, void *opaque), void *opaque)
{
    int r = fn(obj, opaque);
    if (r) {
        return r;
    }
    for (Object *c = obj->first_child; c; c = c->next_sibling) {
        r = object_walk(c, fn, opaque);
        if (r) {
            return r;
        }
    }
    return 0;
}

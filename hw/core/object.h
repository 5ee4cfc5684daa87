/*
 * The object model: named types with single inheritance, lazily built classes
 * (a copy of the parent class overridden by class_init, so classes act as
 * vtables), checked casts and a parent/child composition tree.
 */
#ifndef HW_CORE_OBJECT_H
#define HW_CORE_OBJECT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Object Object;
typedef struct ObjectClass ObjectClass;
typedef struct TypeImpl TypeImpl;

#define TYPE_OBJECT "object"
#define TYPE_CONTAINER "container"   /* a plain node of the tree */

typedef struct TypeInfo {
    const char *name;
    const char *parent;            /* NULL only for TYPE_OBJECT */
    size_t instance_size;          /* 0: same as parent */
    size_t class_size;             /* 0: same as parent */
    void (*class_init)(ObjectClass *klass);
    void (*instance_init)(Object *obj);
    void (*instance_finalize)(Object *obj);
    bool abstract;
} TypeInfo;

struct ObjectClass {
    TypeImpl *type;
};

struct Object {
    ObjectClass *klass;
    char *name;                    /* name within the parent, or NULL */
    Object *parent;
    Object *first_child;
    Object *last_child;
    Object *next_sibling;
    int refcount;
};

/* Register a type. The TypeInfo must outlive the program (static storage). */
void type_register(const TypeInfo *info);
/* Register every type of the emulator (devices, buses, machine). Idempotent. */
void type_register_all(void);

ObjectClass *object_class_by_name(const char *name);
const char *object_class_get_name(const ObjectClass *klass);
ObjectClass *object_class_get_parent(const ObjectClass *klass);
bool object_class_is_abstract(const ObjectClass *klass);
/* The class if it is (or derives from) type `name`, else NULL. */
ObjectClass *object_class_dynamic_cast(ObjectClass *klass, const char *name);
/* Call fn for every registered class deriving from `implements` (NULL: all), sorted by name. */
void object_class_foreach(const char *implements, bool include_abstract,
                          void (*fn)(ObjectClass *klass, void *opaque), void *opaque);

/* Create an instance; NULL if the type is unknown or abstract. */
Object *object_new(const char *type_name);
const char *object_get_typename(const Object *obj);
bool object_is_a(const Object *obj, const char *type_name);
Object *object_dynamic_cast(Object *obj, const char *type_name);
/* Checked cast: aborts (a programming error) when obj is not a type_name. */
Object *object_check(Object *obj, const char *type_name, const char *file, int line);
ObjectClass *object_class_check(ObjectClass *klass, const char *type_name,
                                const char *file, int line);
#define OBJECT(o) ((Object *)(o))
#define OBJECT_CHECK(T, o, name) ((T *)object_check(OBJECT(o), (name), __FILE__, __LINE__))
#define OBJECT_CLASS_CHECK(T, k, name) \
    ((T *)object_class_check((ObjectClass *)(k), (name), __FILE__, __LINE__))
#define OBJECT_GET_CLASS(T, o, name) OBJECT_CLASS_CHECK(T, OBJECT(o)->klass, (name))

void object_ref(Object *obj);
/* Drop a reference; at zero the children are unparented and the object finalized. */
void object_unref(Object *obj);

/* Make child a named child of parent (takes a reference). Names are unique per parent:
 * a duplicate gets a numeric suffix. */
void object_add_child(Object *parent, const char *name, Object *child);
void object_unparent(Object *obj);
Object *object_find_child(Object *parent, const char *name);
/* "/machine/unattached/serial0" style path; caller frees. */
char *object_get_path(const Object *obj);
/* Resolve a path from the root ("/a/b") or a child name relative to root. */
Object *object_resolve_path(Object *root, const char *path);
/* Depth-first walk of obj and its descendants; stops when fn returns non-zero. */
int object_walk(Object *obj, int (*fn)(Object *obj, void *opaque), void *opaque);

#endif

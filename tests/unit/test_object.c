/* Unit tests: the object model, device properties, the -device parser and buses. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hw/core/device.h"
#include "hw/core/isa.h"

/* A small hierarchy: animal (abstract) <- dog <- puppy, each class overriding speak. */
typedef struct Animal { DeviceState parent; uint32_t legs; bool tail; char *name;
                        uint16_t port; int64_t offset; int inits; } Animal;
typedef struct AnimalClass { DeviceClass parent; const char *(*speak)(Animal *); int depth; } AnimalClass;

static const char *animal_speak(Animal *a) { (void)a; return "..."; }
static const char *dog_speak(Animal *a) { (void)a; return "woof"; }
static const char *puppy_speak(Animal *a) { (void)a; return "yip"; }

static const Property animal_props[] = {
    DEFINE_PROP_UINT("legs", Animal, legs, 32, 4, "number of legs"),
    DEFINE_PROP_BOOL("tail", Animal, tail, true, "has a tail"),
    DEFINE_PROP_STRING("name", Animal, name, "rex", "the name"),
    DEFINE_PROP_UINT_RANGE("port", Animal, port, 16, 0x3f8, 0x100, 0x3ff, "a port"),
    { .name = "offset", .kind = PROP_INT, .offset = offsetof(Animal, offset), .size = 8 },
    DEFINE_PROP_END,
};

static int realize_calls, reset_calls;
static bool animal_realize(DeviceState *dev, Error **errp)
{
    Animal *a = (Animal *)dev;
    realize_calls++;
    if (a->legs == 13) {
        error_setg(errp, "unlucky");
        return false;
    }
    return true;
}
static void animal_reset(DeviceState *dev) { (void)dev; reset_calls++; }

static void animal_class_init(ObjectClass *k)
{
    AnimalClass *ac = (AnimalClass *)k;
    DeviceClass *dc = (DeviceClass *)k;
    ac->speak = animal_speak;
    ac->depth = 1;
    dc->props = animal_props;
    dc->realize = animal_realize;
    dc->reset = animal_reset;
    dc->user_creatable = true;
    dc->desc = "an animal";
}
static void dog_class_init(ObjectClass *k) { ((AnimalClass *)k)->speak = dog_speak; ((AnimalClass *)k)->depth++; }
static void puppy_class_init(ObjectClass *k) { ((AnimalClass *)k)->speak = puppy_speak; ((AnimalClass *)k)->depth++; }
static void animal_init(Object *o) { ((Animal *)o)->inits++; }
static void dog_init(Object *o) { ((Animal *)o)->inits += 10; }

static const TypeInfo animal_info = { .name = "animal", .parent = TYPE_DEVICE,
    .instance_size = sizeof(Animal), .class_size = sizeof(AnimalClass),
    .class_init = animal_class_init, .instance_init = animal_init, .abstract = true };
static const TypeInfo dog_info = { .name = "dog", .parent = "animal", .class_init = dog_class_init,
    .instance_init = dog_init };
static const TypeInfo puppy_info = { .name = "puppy", .parent = "dog", .class_init = puppy_class_init };

static void setup(void)
{
    device_register_types();
    isa_register_types();
    type_register(&animal_info);
    type_register(&dog_info);
    type_register(&puppy_info);
    realize_calls = reset_calls = 0;
}

START_TEST(test_inheritance_and_casts)
{
    ck_assert_ptr_null(object_new("animal"));            /* abstract */
    ck_assert_ptr_null(object_new("no-such-type"));
    Object *o = object_new("puppy");
    ck_assert_ptr_nonnull(o);
    ck_assert(object_is_a(o, "dog"));
    ck_assert(object_is_a(o, "animal"));
    ck_assert(object_is_a(o, TYPE_DEVICE));
    ck_assert(!object_is_a(o, TYPE_BUS));
    ck_assert_ptr_null(object_dynamic_cast(o, TYPE_BUS));
    ck_assert_str_eq(object_get_typename(o), "puppy");
    AnimalClass *ac = (AnimalClass *)o->klass;
    ck_assert_str_eq(ac->speak((Animal *)o), "yip");
    ck_assert_int_eq(ac->depth, 3);                     /* each class_init ran once, in order */
    ck_assert_int_eq(((Animal *)o)->inits, 11);         /* parent init then child init */
    AnimalClass *dogc = (AnimalClass *)object_class_by_name("dog");
    ck_assert_str_eq(dogc->speak(NULL), "woof");
    ck_assert_int_eq(dogc->depth, 2);
    ck_assert_str_eq(object_class_get_name(object_class_get_parent(&dogc->parent.parent_class)),
                     "animal");
    object_unref(o);
}
END_TEST

START_TEST(test_property_defaults_and_setting)
{
    DeviceState *d = device_new("dog");
    Animal *a = (Animal *)d;
    Error *err = NULL;
    ck_assert_uint_eq(a->legs, 4);
    ck_assert(a->tail);
    ck_assert_str_eq(a->name, "rex");
    ck_assert_uint_eq(a->port, 0x3f8);
    ck_assert(device_set_prop(d, "legs", "0x10", &err));
    ck_assert_uint_eq(a->legs, 16);
    ck_assert(device_set_prop(d, "tail", "off", &err));
    ck_assert(!a->tail);
    ck_assert(device_set_prop(d, "name", "fido", &err));
    ck_assert_str_eq(a->name, "fido");
    ck_assert(device_set_prop(d, "offset", "-5", &err));
    ck_assert_int_eq(a->offset, -5);
    ck_assert_ptr_null(err);

    ck_assert(!device_set_prop(d, "legs", "many", &err));
    ck_assert_ptr_nonnull(strstr(err->msg, "legs"));
    error_free(err); err = NULL;
    ck_assert(!device_set_prop(d, "legs", "-1", &err));
    error_free(err); err = NULL;
    ck_assert(!device_set_prop(d, "legs", "4294967296", &err));    /* does not fit 32 bits */
    error_free(err); err = NULL;
    ck_assert(!device_set_prop(d, "port", "0x400", &err));         /* above the range */
    error_free(err); err = NULL;
    ck_assert(!device_set_prop(d, "port", "0xff", &err));          /* below the range */
    error_free(err); err = NULL;
    ck_assert(!device_set_prop(d, "tail", "maybe", &err));
    error_free(err); err = NULL;
    ck_assert(!device_set_prop(d, "wings", "2", &err));
    ck_assert_ptr_nonnull(strstr(err->msg, "no property 'wings'"));
    error_free(err); err = NULL;
    ck_assert_uint_eq(a->legs, 16);                                 /* failures changed nothing */
    object_unref(OBJECT(d));
}
END_TEST

START_TEST(test_device_options_parser)
{
    Error *err = NULL;
    DeviceState *d = device_new_from_options("puppy,legs=3,id=p1,name=spot", &err);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(d->id, "p1");
    ck_assert_uint_eq(((Animal *)d)->legs, 3);
    ck_assert_str_eq(((Animal *)d)->name, "spot");
    object_unref(OBJECT(d));

    ck_assert_ptr_null(device_new_from_options("unicorn", &err));
    ck_assert_ptr_nonnull(strstr(err->msg, "unknown device 'unicorn'"));
    error_free(err); err = NULL;
    ck_assert_ptr_null(device_new_from_options("animal", &err));   /* abstract */
    error_free(err); err = NULL;
    ck_assert_ptr_null(device_new_from_options("dog,legs", &err));
    error_free(err); err = NULL;
    ck_assert_ptr_null(device_new_from_options("dog,legs=x", &err));
    error_free(err); err = NULL;
    ck_assert_ptr_null(device_new_from_options("", &err));
    error_free(err);
}
END_TEST

START_TEST(test_realize_reset_and_tree)
{
    Object *root = object_new(TYPE_CONTAINER);
    DeviceState *d1 = device_new("dog");
    DeviceState *d2 = device_new("puppy");
    object_add_child(root, "dog", OBJECT(d1));
    object_add_child(root, "dog", OBJECT(d2));       /* duplicate name gets a suffix */
    object_unref(OBJECT(d1));
    object_unref(OBJECT(d2));
    ck_assert_str_eq(OBJECT(d2)->name, "dog.1");
    char *path = object_get_path(OBJECT(d2));
    ck_assert_str_eq(path, "/dog.1");
    free(path);
    ck_assert_ptr_eq(object_resolve_path(root, "/dog.1"), OBJECT(d2));
    ck_assert_ptr_null(object_resolve_path(root, "/cat"));

    Error *err = NULL;
    ck_assert(device_realize(d1, NULL, &err));
    ck_assert(d1->realized);
    ck_assert_int_eq(realize_calls, 1);
    ck_assert_int_eq(reset_calls, 1);                 /* realize resets */
    ck_assert(!device_set_prop(d1, "legs", "2", &err));   /* frozen after realize */
    error_free(err); err = NULL;

    ck_assert(device_set_prop(d2, "legs", "13", &err));
    ck_assert(!device_realize(d2, NULL, &err));       /* realize can fail */
    ck_assert_str_eq(err->msg, "unlucky");
    ck_assert(!d2->realized);
    error_free(err);

    device_reset_tree(root);                          /* only realized devices reset */
    ck_assert_int_eq(reset_calls, 2);
    object_unref(root);
}
END_TEST

START_TEST(test_bus_type_checked)
{
    static const TypeInfo isa_thing = { .name = "isa-thing", .parent = "dog" };
    type_register(&isa_thing);
    DeviceClass *dc = (DeviceClass *)object_class_by_name("isa-thing");
    dc->bus_type = TYPE_ISA_BUS;
    Object *root = object_new(TYPE_CONTAINER);
    BusState *sys = bus_new(TYPE_SYSTEM_BUS, NULL, "sys");
    object_add_child(root, "sys", OBJECT(sys));
    object_unref(OBJECT(sys));
    DeviceState *d = device_new("isa-thing");
    object_add_child(root, "thing", OBJECT(d));
    object_unref(OBJECT(d));
    Error *err = NULL;
    ck_assert(!device_realize(d, sys, &err));
    ck_assert_ptr_nonnull(strstr(err->msg, TYPE_ISA_BUS));
    error_free(err);
    object_unref(root);
}
END_TEST

static void count_class(ObjectClass *k, void *opaque) { (void)k; (*(int *)opaque)++; }

START_TEST(test_help_listing)
{
    int n = 0;
    object_class_foreach("animal", false, count_class, &n);
    ck_assert_int_eq(n, 2);                           /* dog, puppy (animal is abstract) */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    device_print_help(f);
    ck_assert(device_print_props(f, "puppy"));
    ck_assert(!device_print_props(f, "unicorn"));
    fclose(f);
    ck_assert_ptr_nonnull(strstr(buf, "name \"dog\""));
    ck_assert_ptr_nonnull(strstr(buf, "legs"));
    ck_assert_ptr_nonnull(strstr(buf, "number of legs"));
    free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("object");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_inheritance_and_casts);
    tcase_add_test(tc, test_property_defaults_and_setting);
    tcase_add_test(tc, test_device_options_parser);
    tcase_add_test(tc, test_realize_reset_and_tree);
    tcase_add_test(tc, test_bus_type_checked);
    tcase_add_test(tc, test_help_listing);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}

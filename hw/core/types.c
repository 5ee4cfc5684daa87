/* The list of every type in the emulator, registered explicitly (no constructors). */
#include "hw/core/object.h"
#include "hw/core/types.h"

#define REGISTER(fn) void fn(void);
EMBER_TYPE_REGISTRARS(REGISTER)
#undef REGISTER

void type_register_all(void)
{
#define CALL(fn) fn();
    EMBER_TYPE_REGISTRARS(CALL)
#undef CALL
}

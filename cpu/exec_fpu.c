/*
 * x87, MMX and SSE handlers: none yet. The registration exists so the handler table
 * can be built; every x87/SSE op stays #UD until the vector unit is written.
 */
#include "cpu/exec.h"

void exec_register_fpu(ExecFn *table)
{
    (void)table;
}

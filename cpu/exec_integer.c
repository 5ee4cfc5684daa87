/*
 * The integer handler group: fills the interpreter's dispatch table with the
 * handlers of exec_alu.c, exec_shift.c, exec_muldiv.c, exec_move.c,
 * exec_branch.c, exec_string.c, exec_bcd.c and exec_bit.c.
 */
#include "cpu/exec.h"

void exec_register_integer(ExecFn *table)
{
    exec_register_alu(table);
    exec_register_shift(table);
    exec_register_muldiv(table);
    exec_register_move(table);
    exec_register_branch(table);
    exec_register_string(table);
    exec_register_bcd(table);
    exec_register_bit(table);
}

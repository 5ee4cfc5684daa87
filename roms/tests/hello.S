/*
 * hello.S: the smallest test. Ring 0 only builds the tables; ring 3 checks that it
 * really runs at CPL 3, prints "hello from ring 3" on COM1 with IOPL-3 port output and
 * ends with status 0x10 (process exit code 0x21).
 */
#include "testlib.inc"

#define STATUS_OK 0x10
#define STATUS_WRONG_RING 0x40

    .text
test_setup:
    ret

user_main:
    call serial_init
    movw %cs, %ax
    andl $3, %eax
    cmpl $3, %eax
    jne 1f
    print_str msg_hello
    movl $STATUS_OK, %eax
    jmp test_exit
1:
    print_str msg_wrong_ring
    movl $STATUS_WRONG_RING, %eax
    jmp test_exit

    .section .rodata
msg_hello:
    .asciz "hello from ring 3\n"
msg_wrong_ring:
    .asciz "FAIL: user_main is not running at CPL 3\n"

/*
 * faults.S: protection faults with their error codes, seen from ring 3. Ring 0 only
 * builds the tables: a TSS with an I/O permission bitmap, and a #GP handler that
 * records the vector and error code and resumes at a recovery address. Ring 3 then
 * provokes:
 *   #GP(0x1000)  loading DS with a selector past the GDT limit
 *   #GP(0)       IN from port 0x80 at IOPL 0 when the TSS bitmap denies it, while the
 *                bitmap still allows COM1 and the exit port
 * Page faults are in pagefaults.S (32-bit paging) and pagefaults64.S (IA-32e paging).
 * Every result is printed in a fixed format, so runs under different engines can be
 * compared line by line. Ends with status 0x14 (process exit code 0x29).
 */
#include "testlib.inc"

#define STATUS_OK 0x14
#define SEL_IO_TSS (SEL_TSS0 + 8 * (MAX_CPUS - 1))   /* a spare TSS slot */
#define IOMAP_BYTES 8192

    .text
test_setup:
    pushl %eax
    pushl %ecx
    pushl %edx
    pushl %edi
    /* a TSS with an I/O bitmap: the running TSS's fields, then the map */
    movl $tss_array, %esi
    movl $io_tss, %edi
    movl $(TSS_SIZE / 4), %ecx
    rep movsl
    movw $TSS_SIZE, io_tss + 102
    movl $io_tss + TSS_SIZE, %edi
    movl $((IOMAP_BYTES + 4) / 4), %ecx
    movl $0xffffffff, %eax
    rep stosl
    movb $0, io_tss + TSS_SIZE + (COM1 / 8)          /* 0x3f8-0x3ff allowed */
    andb $0x0f, io_tss + TSS_SIZE + (EXIT_PORT / 8)  /* 0xf4-0xf7 allowed */
    movl $gdt + SEL_IO_TSS, %ecx
    movl $io_tss, %edx
    movl $(TSS_SIZE + IOMAP_BYTES), %eax            /* limit: the map and its end byte */
    call gdt_set_tss
    movw $SEL_IO_TSS, %ax
    ltr %ax
    movl $13, %eax
    movl $gp_handler, %edx
    movb $GATE_INT_DPL0, %cl
    call idt_set_gate
    popl %edi
    popl %edx
    popl %ecx
    popl %eax
    ret

/* #GP: record vector and error code, resume at recover_eip. */
gp_handler:
    movl $13, last_vector
    popl last_error
    pushl %eax
    movl recover_eip, %eax
    movl %eax, 4(%esp)
    popl %eax
    jmp iret_user

/* print "vector V error E" from the recorded values */
print_fault:
    pushl %eax
    movl last_vector, %eax
    print_str msg_vector
    call put_hex
    print_str msg_error
    movl last_error, %eax
    call put_hex
    popl %eax
    ret

user_main:
    call serial_init
    print_str msg_start

    movl $1f, recover_eip
    movw $0x1000, %ax
    movw %ax, %ds
1:
    print_str msg_gp
    call print_fault
    movb $CH_NL, %al
    call putc

    movl $SYS_SET_IOPL, %eax
    xorl %ebx, %ebx
    call sys_call
    movl $0, last_vector
    movl $1f, recover_eip
    inb $0x80, %al
1:
    print_str msg_io
    call print_fault
    print_str msg_io_port
    movl $COM1 + UART_LSR, %edx
    inb %dx, %al                                  /* allowed by the bitmap */
    print_str msg_io_com1
    print_str msg_done
    movl $STATUS_OK, %eax
    jmp test_exit

    .section .rodata
msg_start:
    .asciz "faults: #GP error codes, TSS I/O bitmap\n"
msg_gp:
    .asciz "GP: "
msg_io:
    .asciz "IO: "
msg_vector:
    .asciz "vector "
msg_error:
    .asciz " error "
msg_io_port:
    .asciz " for port 0x80 at IOPL 0\n"
msg_io_com1:
    .asciz "IO: the bitmap allows COM1 at IOPL 0\n"
msg_done:
    .asciz "faults: done\n"

    .data
    .balign 4
recover_eip:
    .long 0
last_vector:
    .long 0
last_error:
    .long 0

    .bss
    .balign 4096
io_tss:
    .skip TSS_SIZE + IOMAP_BYTES + 4

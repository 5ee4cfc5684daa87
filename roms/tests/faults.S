/*
 * faults.S: exceptions with their error codes, seen from ring 3. Ring 0 only builds
 * the tables: an identity-mapped page table over the first 4 MiB with three special
 * pages, a TSS with an I/O permission bitmap, and handlers that record the vector,
 * error code and CR2 and resume at a recovery address. Ring 3 then provokes:
 *   #GP(0x1000)  loading DS with a selector past the GDT limit
 *   #PF          reading a not-present page (error 4), writing a read-only user page
 *                (error 7), reading a supervisor page (error 5), each with CR2
 *   #GP(0)       IN from port 0x80 at IOPL 0 when the TSS bitmap denies it, while the
 *                bitmap still allows COM1 and the exit port
 * Every result is printed in a fixed format, so runs under different engines can be
 * compared line by line. Ends with status 0x14 (process exit code 0x29).
 */
#include "testlib.inc"

#define STATUS_OK 0x14
#define PAGE_NOT_PRESENT 0x300000
#define PAGE_READ_ONLY 0x301000
#define PAGE_SUPERVISOR 0x302000
#define SEL_IO_TSS (SEL_TSS0 + 8 * (MAX_CPUS - 1))   /* a spare TSS slot */
#define IOMAP_BYTES 8192
#define VEC_DROP_IOPL 0x81

    .text
test_setup:
    pushl %eax
    pushl %ecx
    pushl %edx
    pushl %edi
    /* page table: every page present, writable, user; three exceptions */
    movl $page_table, %edi
    xorl %ecx, %ecx
1:
    movl %ecx, %eax
    shll $12, %eax
    orl $7, %eax
    movl %eax, (%edi,%ecx,4)
    incl %ecx
    cmpl $1024, %ecx
    jne 1b
    movl $0, page_table + (PAGE_NOT_PRESENT >> 12) * 4
    movl $(PAGE_READ_ONLY | 5), page_table + (PAGE_READ_ONLY >> 12) * 4
    movl $(PAGE_SUPERVISOR | 3), page_table + (PAGE_SUPERVISOR >> 12) * 4
    movl $page_table, %eax
    orl $7, %eax
    movl %eax, page_directory
    movl $page_directory, %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $0x80000000, %eax
    movl %eax, %cr0
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
    movl $gdt + SEL_IO_TSS, %edi
    movl $io_tss, %edx
    movw $(TSS_SIZE + IOMAP_BYTES), (%edi)          /* limit: the map and its end byte */
    movw %dx, 2(%edi)
    shrl $16, %edx
    movb %dl, 4(%edi)
    movb $0x89, 5(%edi)
    movb $0, 6(%edi)
    movb %dh, 7(%edi)
    movw $SEL_IO_TSS, %ax
    ltr %ax
    /* handlers */
    movl $13, %eax
    movl $gp_handler, %edx
    movb $GATE_INT_DPL0, %cl
    call idt_set_gate
    movl $14, %eax
    movl $pf_handler, %edx
    call idt_set_gate
    movl $VEC_DROP_IOPL, %eax
    movl $drop_iopl_handler, %edx
    movb $GATE_INT_DPL3, %cl
    call idt_set_gate
    popl %edi
    popl %edx
    popl %ecx
    popl %eax
    ret

/* #GP and #PF: record vector, error code (and CR2), resume at recover_eip. */
gp_handler:
    movl $13, last_vector
    jmp 1f
pf_handler:
    movl $14, last_vector
    pushl %eax
    movl %cr2, %eax
    movl %eax, last_cr2
    popl %eax
1:
    popl last_error
    pushl %eax
    movl recover_eip, %eax
    movl %eax, 4(%esp)
    popl %eax
    iret

/* int $0x81 from ring 3: return with IOPL 0. */
drop_iopl_handler:
    andl $~0x3000, 8(%esp)
    iret

/* print "<label>vector V error E" from the recorded values */
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

    movl $1f, recover_eip
    movl PAGE_NOT_PRESENT, %eax
1:
    call print_pf
    movl $1f, recover_eip
    movl $1, PAGE_READ_ONLY
1:
    call print_pf
    movl $1f, recover_eip
    movl PAGE_SUPERVISOR, %eax
1:
    call print_pf

    int $VEC_DROP_IOPL
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

print_pf:
    print_str msg_pf
    call print_fault
    print_str msg_cr2
    movl last_cr2, %eax
    call put_hex
    movb $CH_NL, %al
    call putc
    ret

    .section .rodata
msg_start:
    .asciz "faults: #GP error code, #PF with CR2, TSS I/O bitmap\n"
msg_gp:
    .asciz "GP: "
msg_pf:
    .asciz "PF: "
msg_io:
    .asciz "IO: "
msg_vector:
    .asciz "vector "
msg_error:
    .asciz " error "
msg_cr2:
    .asciz " cr2 "
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
last_cr2:
    .long 0

    .bss
    .balign 4096
page_directory:
    .skip 4096
page_table:
    .skip 4096
io_tss:
    .skip TSS_SIZE + IOMAP_BYTES + 4

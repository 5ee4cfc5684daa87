/* Interrupt lines: an input is a handler plus a line number; devices hold pointers
 * to the inputs their outputs are wired to, and drive them with irq_set. */
#ifndef HW_CORE_IRQ_H
#define HW_CORE_IRQ_H

typedef void (*IRQHandler)(void *opaque, int n, int level);

typedef struct IRQ {
    IRQHandler handler;
    void *opaque;
    int n;
} IRQ;

/* An array of `count` inputs n = 0..count-1 served by one handler. Free with free(). */
IRQ *irq_allocate(IRQHandler handler, void *opaque, int count);
void irq_init(IRQ *irq, IRQHandler handler, void *opaque, int n);

static inline void irq_set(IRQ *irq, int level)
{
    if (irq && irq->handler) {
        irq->handler(irq->opaque, irq->n, level);
    }
}
static inline void irq_raise(IRQ *irq) { irq_set(irq, 1); }
static inline void irq_lower(IRQ *irq) { irq_set(irq, 0); }
static inline void irq_pulse(IRQ *irq) { irq_set(irq, 1); irq_set(irq, 0); }

#endif

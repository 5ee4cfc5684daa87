/* Interrupt line objects. */
#include "hw/core/irq.h"
#include "system/error.h"

void irq_init(IRQ *irq, IRQHandler handler, void *opaque, int n)
{
    irq->handler = handler;
    irq->opaque = opaque;
    irq->n = n;
}

IRQ *irq_allocate(IRQHandler handler, void *opaque, int count)
{
    IRQ *irqs = xzalloc(sizeof(IRQ) * (size_t)count);
    for (int i = 0; i < count; i++) {
        irq_init(&irqs[i], handler, opaque, i);
    }
    return irqs;
}

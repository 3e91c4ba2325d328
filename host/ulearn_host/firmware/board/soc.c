// Interrupt-driven UART reception and hard reset for the QEMU machines.
//
// The UART receive interrupt moves each byte into a ring buffer that
// mp_hal_stdin_rx_chr reads, and turns the interrupt character (Ctrl-C while
// Python code runs) into a KeyboardInterrupt, as on real boards.  Nothing
// runs while no byte arrives, so the instruction count of running code (the
// time base with -icount) is unchanged.  When the ring is full the interrupt
// is masked until the reader makes room, and QEMU holds back further input.

#include "py/ringbuf.h"
#include "py/runtime.h"
#include "shared/runtime/interrupt_char.h"
#include "ulearn_board.h"

static uint8_t rx_buf_array[512];
static ringbuf_t rx_buf = { rx_buf_array, sizeof(rx_buf_array) };

// Called by the interrupt handler for each received byte, when the ring has room.
static void rx_byte(int c) {
    if (c == mp_interrupt_char) {
        mp_sched_keyboard_interrupt();
    } else {
        ringbuf_put(&rx_buf, c);
    }
}

#if defined(QEMU_SOC_MPS2)

// MPS2 FPGA images AN385 (Cortex-M3) and AN500 (Cortex-M7): CMSDK APB UART0.
#define UART0_DATA          (*(volatile uint32_t *)0x40004000)
#define UART0_STATE         (*(volatile uint32_t *)0x40004004)
#define UART0_CTRL          (*(volatile uint32_t *)0x40004008)
#define UART0_INTSTATUS     (*(volatile uint32_t *)0x4000400c)
#define UART_STATE_RXFULL   (1 << 1)
#define UART_CTRL_RX_INTEN  (1 << 3)
#define UART_INT_RX         (1 << 1)
#define UART0_RX_IRQ        (0)

#define NVIC_ISER0          (*(volatile uint32_t *)0xe000e100)
#define NVIC_ICER0          (*(volatile uint32_t *)0xe000e180)
#define SCB_VTOR            (*(volatile uint32_t *)0xe000ed08)
#define SCB_AIRCR           (*(volatile uint32_t *)0xe000ed0c)
#define AIRCR_SYSRESETREQ   (0x05fa0004)

// The port's vector table (mcu/arm/startup.c) has only the 16 system
// exceptions, so a copy extended with the external interrupts is used.
#define NUM_EXCEPTIONS      (16)
#define NUM_IRQS            (32)
static uint32_t vector_table[NUM_EXCEPTIONS + NUM_IRQS] __attribute__((aligned(256)));

static void uart0_rx_irq_handler(void) {
    while (UART0_STATE & UART_STATE_RXFULL) {
        if (ringbuf_free(&rx_buf) == 0) {
            NVIC_ICER0 = 1 << UART0_RX_IRQ;
            return;
        }
        UART0_INTSTATUS = UART_INT_RX;
        rx_byte(UART0_DATA);
    }
}

void ulearn_board_rx_init(void) {
    extern const uint32_t isr_vector[NUM_EXCEPTIONS];
    memcpy(vector_table, isr_vector, sizeof(isr_vector[0]) * NUM_EXCEPTIONS);
    vector_table[NUM_EXCEPTIONS + UART0_RX_IRQ] = (uint32_t)uart0_rx_irq_handler;
    SCB_VTOR = (uint32_t)vector_table;
    __asm volatile ("dsb");
    UART0_CTRL |= UART_CTRL_RX_INTEN;
    // A byte received before RX_INTEN was set raised no interrupt: take it now.
    uart0_rx_irq_handler();
    NVIC_ISER0 = 1 << UART0_RX_IRQ;
}

static void rx_irq_unmask(void) {
    NVIC_ISER0 = 1 << UART0_RX_IRQ;
}

// Sleeps until an interrupt if the ring is empty (a pending interrupt wakes
// WFI even while interrupts are disabled, so none can be missed).
static void rx_wait(void) {
    __asm volatile ("cpsid i" : : : "memory");
    if (ringbuf_avail(&rx_buf) == 0) {
        __asm volatile ("wfi");
    }
    __asm volatile ("cpsie i" : : : "memory");
}

void ulearn_board_reset(void) {
    SCB_AIRCR = AIRCR_SYSRESETREQ;
    for (;;) {
    }
}

#elif defined(QEMU_SOC_VIRT) && __riscv_xlen == 32

// RISC-V virt machine: NS16550 UART0 on PLIC source 10, SiFive test device.
#define UART0_RBR           (*(volatile uint8_t *)0x10000000)
#define UART0_IER           (*(volatile uint8_t *)0x10000001)
#define UART0_LSR           (*(volatile uint8_t *)0x10000005)
#define UART_IER_RDI        (1 << 0)
#define UART_LSR_DR         (1 << 0)
#define UART0_IRQ           (10)

// PLIC registers of context 0 (hart 0, machine mode).
#define PLIC_PRIORITY(irq)  (*(volatile uint32_t *)(0x0c000000 + 4 * (irq)))
#define PLIC_ENABLE         (*(volatile uint32_t *)0x0c002000)
#define PLIC_THRESHOLD      (*(volatile uint32_t *)0x0c200000)
#define PLIC_CLAIM          (*(volatile uint32_t *)0x0c200004)

#define MIE_MEIE            (1 << 11)
#define MSTATUS_MIE         (1 << 3)

#define SIFIVE_TEST         (*(volatile uint32_t *)0x00100000)
#define SIFIVE_TEST_RESET   (0x7777)

// Replaces the (weak, with qemu-port.patch) empty machine external interrupt
// handler of mcu/rv32/interrupts.c.
__attribute__((interrupt("machine"))) void mtvec_mei(void) {
    uint32_t irq = PLIC_CLAIM;
    while (UART0_LSR & UART_LSR_DR) {
        if (ringbuf_free(&rx_buf) == 0) {
            UART0_IER = 0;
            break;
        }
        rx_byte(UART0_RBR);
    }
    PLIC_CLAIM = irq;
}

void ulearn_board_rx_init(void) {
    PLIC_PRIORITY(UART0_IRQ) = 1;
    PLIC_THRESHOLD = 0;
    PLIC_ENABLE |= 1 << UART0_IRQ;
    UART0_IER = UART_IER_RDI;
    __asm volatile ("csrs mie, %0" : : "r" (MIE_MEIE));
    // set_interrupt_table() of mcu/rv32/interrupts.c leaves MIE clear.
    __asm volatile ("csrs mstatus, %0" : : "r" (MSTATUS_MIE));
}

static void rx_irq_unmask(void) {
    UART0_IER = UART_IER_RDI;
}

// See the Arm version: WFI wakes on a pending interrupt even with MIE clear.
static void rx_wait(void) {
    __asm volatile ("csrc mstatus, %0" : : "r" (MSTATUS_MIE) : "memory");
    if (ringbuf_avail(&rx_buf) == 0) {
        __asm volatile ("wfi");
    }
    __asm volatile ("csrs mstatus, %0" : : "r" (MSTATUS_MIE) : "memory");
}

void ulearn_board_reset(void) {
    SIFIVE_TEST = SIFIVE_TEST_RESET;
    for (;;) {
    }
}

#else
#error "ulearn board: unsupported QEMU machine (MPS2_AN385, MPS2_AN500 and VIRT_RV32 are supported)"
#endif

int ulearn_board_rx_chr(void) {
    int c = ringbuf_get(&rx_buf);
    if (c < 0) {
        rx_wait();
    } else {
        rx_irq_unmask();
    }
    return c;
}

int ulearn_board_rx_any(void) {
    return ringbuf_avail(&rx_buf) != 0;
}

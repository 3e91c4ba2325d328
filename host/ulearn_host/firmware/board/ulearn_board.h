// Board support for the ulearn QEMU firmware: the functions that the patched
// ports/qemu files (see qemu-port.patch) call.
#ifndef ULEARN_BOARD_H
#define ULEARN_BOARD_H

#include <stddef.h>
#include "py/obj.h"

// Called once at power-on: reads the boot options from the semihosting command
// line, starts interrupt-driven UART reception and returns the GC heap size to
// use (heap=N, at most heap_max).
size_t ulearn_board_init(size_t heap_max);

// Called after every mp_init(): mounts the host image (fs=PATH) at "/".
void ulearn_board_mount(void);

// Stdin: returns the next received byte, or -1 after waiting for an interrupt.
int ulearn_board_rx_chr(void);
int ulearn_board_rx_any(void);

// Hard reset of the emulated machine (the QEMU process keeps running).
MP_NORETURN void ulearn_board_reset(void);

// QEMU's exit status when ulearn_board.cut(n, True) cuts the power.
#define ULEARN_BOARD_CUT_STATUS (3)

// Internal to the board module.
extern const mp_obj_base_t ulearn_board_bdev_obj;
mp_obj_t ulearn_board_bdev_open(const char *path);
bool ulearn_board_bdev_is_blank(void);
void ulearn_board_rx_init(void);

#endif // ULEARN_BOARD_H

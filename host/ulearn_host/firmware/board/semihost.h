// Minimal semihosting client for the QEMU boards (ARM Thumb and RISC-V).
#ifndef ULEARN_BOARD_SEMIHOST_H
#define ULEARN_BOARD_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

void semihost_write_console(const char *str, size_t len);
int semihost_open(const char *path, size_t len);
int semihost_pread(int handle, void *buf, size_t len, uint32_t pos);
int semihost_pwrite(int handle, const void *buf, size_t len, uint32_t pos);
int semihost_flen(int handle);
int semihost_errno(void);
uint32_t semihost_time(void);
int semihost_get_cmdline(char *buf, size_t len);
void semihost_exit(int status) __attribute__((noreturn));

#endif // ULEARN_BOARD_SEMIHOST_H

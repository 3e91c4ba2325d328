// Semihosting calls used by the board: host file I/O, host time and the
// command line given by `-semihosting-config enable=on,target=native,arg=...`.
// The operation numbers and argument blocks are those of the Arm semihosting
// specification, which QEMU also implements for RISC-V.

#include "semihost.h"

#define SYS_OPEN        (0x01)
#define SYS_WRITEC      (0x03)
#define SYS_WRITE       (0x05)
#define SYS_READ        (0x06)
#define SYS_SEEK        (0x0a)
#define SYS_FLEN        (0x0c)
#define SYS_TIME        (0x11)
#define SYS_ERRNO       (0x13)
#define SYS_GET_CMDLINE (0x15)
#define SYS_EXIT_EXTENDED (0x20)

#define ADP_STOPPED_APPLICATION_EXIT (0x20026)

#define OPEN_MODE_RB_PLUS (3) // "r+b": read and write an existing file

#if defined(__ARM_ARCH_ISA_THUMB)

static int semihost_call(uint32_t op, const void *args) {
    register uint32_t r0 __asm__ ("r0") = op;
    register const void *r1 __asm__ ("r1") = args;
    __asm__ __volatile__ ("bkpt 0xab" : "+r" (r0) : "r" (r1) : "memory");
    return r0;
}

#elif defined(__riscv)

static int semihost_call(uint32_t op, const void *args) {
    register uintptr_t a0 __asm__ ("a0") = op;
    register const void *a1 __asm__ ("a1") = args;
    // The three instructions must be uncompressed and in one page.
    __asm__ __volatile__ (
        ".option push\n"
        ".option norvc\n"
        ".align 4\n"
        "slli zero, zero, 0x1f\n"
        "ebreak\n"
        "srai zero, zero, 7\n"
        ".option pop\n"
        : "+r" (a0) : "r" (a1) : "memory");
    return a0;
}

#else
#error "semihosting is only implemented for Arm Thumb and RISC-V"
#endif

// Writes to QEMU's semihosting console (its stderr unless configured).
void semihost_write_console(const char *str, size_t len) {
    while (len--) {
        semihost_call(SYS_WRITEC, str++);
    }
}

// Returns a handle, or -1 on error (see semihost_errno).
int semihost_open(const char *path, size_t len) {
    const uintptr_t args[3] = { (uintptr_t)path, OPEN_MODE_RB_PLUS, len };
    return semihost_call(SYS_OPEN, args);
}

static int semihost_seek(int handle, uint32_t pos) {
    const uintptr_t args[2] = { handle, pos };
    return semihost_call(SYS_SEEK, args);
}

// Returns 0 if all len bytes at pos were read, else non-zero.
int semihost_pread(int handle, void *buf, size_t len, uint32_t pos) {
    const uintptr_t args[3] = { handle, (uintptr_t)buf, len };
    return semihost_seek(handle, pos) || semihost_call(SYS_READ, args);
}

// Returns 0 if all len bytes were written at pos, else non-zero.
int semihost_pwrite(int handle, const void *buf, size_t len, uint32_t pos) {
    const uintptr_t args[3] = { handle, (uintptr_t)buf, len };
    return semihost_seek(handle, pos) || semihost_call(SYS_WRITE, args);
}

// Returns the length of the file in bytes, or -1 on error.
int semihost_flen(int handle) {
    const uintptr_t args[1] = { handle };
    return semihost_call(SYS_FLEN, args);
}

// Returns the host's errno value of the last failed call.
int semihost_errno(void) {
    return semihost_call(SYS_ERRNO, NULL);
}

// Returns the host time in seconds since 1970-01-01.
uint32_t semihost_time(void) {
    return semihost_call(SYS_TIME, NULL);
}

// Fills buf with the NUL-terminated command line; returns 0 on success.
int semihost_get_cmdline(char *buf, size_t len) {
    uintptr_t args[2] = { (uintptr_t)buf, len };
    return semihost_call(SYS_GET_CMDLINE, args);
}

// Ends QEMU with the given exit status (SYS_EXIT_EXTENDED, which 32-bit guests
// need to pass a status); does not return.
void semihost_exit(int status) {
    const uintptr_t args[2] = { ADP_STOPPED_APPLICATION_EXIT, status };
    for (;;) {
        semihost_call(SYS_EXIT_EXTENDED, args);
    }
}

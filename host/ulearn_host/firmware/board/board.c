// Boot options from the QEMU command line, the file system mounted at boot,
// and the time hooks that the littlefs and FAT drivers need.
//
// Options are space-separated key=value words in the semihosting command line
// (-semihosting-config enable=on,target=native,arg=fs=/abs/img,arg=heap=N):
//   fs=PATH            host image file mounted at "/" (no file system without it)
//   fstype=lfs2|fat    file system of the image (default lfs2)
//   heap=N             GC heap size in bytes (default and maximum MICROPY_HEAP_SIZE)

#include <string.h>

#include "py/mphal.h"
#include "py/runtime.h"
#include "extmod/vfs.h"
#include "extmod/vfs_fat.h"
#include "extmod/vfs_lfs.h"
#include "shared/timeutils/timeutils.h"
#include "semihost.h"
#include "ulearn_board.h"

#if !MICROPY_VFS_LFS2 || !MICROPY_VFS_FAT
#error "the ulearn board needs MICROPY_VFS_LFS2=1 and MICROPY_VFS_FAT=1"
#endif

#define MIN_HEAP_SIZE (16 * 1024)

// The options point into this buffer.
static char cmdline[512];
static const char *fs_path;
static const mp_obj_type_t *fs_type = &mp_type_vfs_lfs2;

// Board messages go to the UART and to QEMU's stderr, where the host sees
// them even when nothing is connected to the UART.
static void board_print_strn(void *env, const char *str, size_t len) {
    mp_hal_stdout_tx_strn_cooked(str, len);
    semihost_write_console(str, len);
}

static const mp_print_t board_print = { NULL, board_print_strn };

// Reads a decimal size; returns 0 if s is not one.
static size_t parse_size(const char *s) {
    size_t n = 0;
    do {
        if (*s < '0' || *s > '9' || n >= SIZE_MAX / 10) {
            return 0;
        }
        n = n * 10 + (*s - '0');
    } while (*++s);
    return n;
}

// Applies one word of the command line; returns false if it is not understood.
static bool apply_option(const char *word, size_t *heap, size_t heap_max) {
    if (strncmp(word, "fs=", 3) == 0 && word[3] != '\0') {
        fs_path = word + 3;
    } else if (strcmp(word, "fstype=lfs2") == 0) {
        fs_type = &mp_type_vfs_lfs2;
    } else if (strcmp(word, "fstype=fat") == 0) {
        fs_type = &mp_fat_vfs_type;
    } else if (strncmp(word, "heap=", 5) == 0) {
        size_t n = parse_size(word + 5);
        if (n < MIN_HEAP_SIZE || n > heap_max) {
            return false;
        }
        *heap = n;
    } else {
        // Other words without '=' (like QEMU's default, the kernel file name) are ignored.
        return strchr(word, '=') == NULL;
    }
    return true;
}

// Applies the space-separated words of the command line s (split in place).
static void apply_options(char *s, size_t *heap, size_t heap_max) {
    while (*s) {
        char *word = s;
        while (*s && *s != ' ') {
            ++s;
        }
        if (*s) {
            *s++ = '\0';
        }
        if (!apply_option(word, heap, heap_max)) {
            mp_printf(&board_print, "ulearn-board: ignoring boot option %s (options: fs=PATH fstype=lfs2|fat heap=%u..%u)\n",
                word, MIN_HEAP_SIZE, (unsigned)heap_max);
        }
    }
}

size_t ulearn_board_init(size_t heap_max) {
    size_t heap = heap_max;
    if (semihost_get_cmdline(cmdline, sizeof(cmdline)) == 0) {
        apply_options(cmdline, &heap, heap_max);
    } else {
        mp_printf(&board_print, "ulearn-board: cannot read the boot options (at most %u characters)\n",
            (unsigned)sizeof(cmdline) - 1);
    }
    ulearn_board_rx_init();
    return heap;
}

// Mounts the image at "/" like the filesystem of a real board.
static void mount(mp_obj_t bdev) {
    mp_obj_t args[2] = {
        MP_OBJ_TYPE_GET_SLOT(fs_type, make_new)(fs_type, 1, 0, &bdev),
        MP_OBJ_NEW_QSTR(MP_QSTR__slash_),
    };
    mp_vfs_mount(2, args, (mp_map_t *)&mp_const_empty_map);
    mp_vfs_chdir(args[1]);
    mp_obj_list_append(mp_sys_path, mp_obj_new_str_from_cstr("/lib"));
}

// Mounts the image, creating the file system first if the image is blank.
// A damaged image is never formatted: the mount error is raised instead.
static void mount_or_format(mp_obj_t bdev) {
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mount(bdev);
        nlr_pop();
    } else if (ulearn_board_bdev_is_blank()) {
        mp_printf(&board_print, "ulearn-board: formatting blank image %s\n", fs_path);
        mp_call_function_1(mp_load_attr(MP_OBJ_FROM_PTR(fs_type), MP_QSTR_mkfs), bdev);
        mount(bdev);
    } else {
        nlr_jump(nlr.ret_val);
    }
}

void ulearn_board_mount(void) {
    if (fs_path == NULL) {
        return;
    }
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        mount_or_format(ulearn_board_bdev_open(fs_path));
        nlr_pop();
    } else {
        mp_printf(&board_print, "ulearn-board: cannot mount %s: ", fs_path);
        mp_obj_print_helper(&board_print, MP_OBJ_FROM_PTR(nlr.ret_val), PRINT_EXC);
        mp_printf(&board_print, "\n");
    }
}

// File times come from the host clock (1 s resolution).
static mp_timestamp_t host_seconds_since_epoch(void) {
    return timeutils_seconds_since_epoch_from_nanoseconds_since_1970((int64_t)semihost_time() * 1000000000);
}

uint64_t mp_hal_time_ns(void) {
    return (uint64_t)host_seconds_since_epoch() * 1000000000;
}

DWORD get_fattime(void) {
    timeutils_struct_time_t tm;
    timeutils_seconds_since_epoch_to_struct_time(host_seconds_since_epoch(), &tm);
    return ((DWORD)(tm.tm_year - 1980) << 25) | ((DWORD)tm.tm_mon << 21) | ((DWORD)tm.tm_mday << 16)
           | ((DWORD)tm.tm_hour << 11) | ((DWORD)tm.tm_min << 5) | ((DWORD)tm.tm_sec / 2);
}

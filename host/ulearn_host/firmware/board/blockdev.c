// A block device over a host image file, accessed through semihosting, and
// the `ulearn_board` module that exposes it as `ulearn_board.bdev`.
//
// It implements the extended block device protocol (readblocks/writeblocks
// with an offset, and ioctl) for vfs.VfsLfs2 and vfs.VfsFat.  The methods are
// in C and transfer data directly between the buffer and the host file, so
// file system operations do not allocate on the Python heap.

#include "py/runtime.h"
#include "py/mperrno.h"
#include "extmod/vfs.h"
#include "semihost.h"
#include "ulearn_board.h"

#define BLOCK_SIZE (512)

// The image stays open across soft resets.
static int bdev_handle = -1;
static uint32_t bdev_num_blocks;

// Power cuts for tests (ulearn_board.cut): writes since the last cut() call,
// and how many more land before the power goes (-1: never).
static uint32_t bdev_writes;
static mp_int_t cut_left = -1;
static bool cut_halt;

// Opens the image (once) and returns the block device; raises OSError.
mp_obj_t ulearn_board_bdev_open(const char *path) {
    if (bdev_handle < 0) {
        int handle = semihost_open(path, strlen(path));
        if (handle < 0) {
            mp_raise_OSError(semihost_errno());
        }
        bdev_handle = handle;
        bdev_num_blocks = semihost_flen(handle) / BLOCK_SIZE;
    }
    return MP_OBJ_FROM_PTR(&ulearn_board_bdev_obj);
}

// Whether the first two blocks (the littlefs superblocks, the FAT boot sector)
// are all 0x00 or all 0xff, as in a freshly created or erased image.
bool ulearn_board_bdev_is_blank(void) {
    uint8_t buf[BLOCK_SIZE];
    for (uint32_t block = 0; block < 2; ++block) {
        if (block >= bdev_num_blocks || semihost_pread(bdev_handle, buf, BLOCK_SIZE, block * BLOCK_SIZE)) {
            return false;
        }
        // All bytes are equal if the buffer equals itself shifted by one.
        if ((buf[0] != 0x00 && buf[0] != 0xff) || memcmp(buf, buf + 1, BLOCK_SIZE - 1) != 0) {
            return false;
        }
    }
    return true;
}

// Resolves (block_num, buf[, offset]) to a byte position in the image and a
// buffer; returns false if the range is not inside the image.
static bool bdev_get_range(size_t n_args, const mp_obj_t *args, mp_buffer_info_t *bufinfo, int flags, uint32_t *pos) {
    mp_get_buffer_raise(args[2], bufinfo, flags);
    uint32_t block = mp_obj_get_int(args[1]);
    uint32_t offset = n_args == 4 ? mp_obj_get_int(args[3]) : 0;
    uint64_t end = (uint64_t)block * BLOCK_SIZE + offset + bufinfo->len;
    *pos = block * BLOCK_SIZE + offset;
    return bdev_handle >= 0 && end <= (uint64_t)bdev_num_blocks * BLOCK_SIZE;
}

static mp_obj_t bdev_readblocks(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t bufinfo;
    uint32_t pos;
    if (!bdev_get_range(n_args, args, &bufinfo, MP_BUFFER_WRITE, &pos)
        || semihost_pread(bdev_handle, bufinfo.buf, bufinfo.len, pos)) {
        return MP_OBJ_NEW_SMALL_INT(-MP_EIO);
    }
    return MP_OBJ_NEW_SMALL_INT(0);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(bdev_readblocks_obj, 3, 4, bdev_readblocks);

static mp_obj_t bdev_writeblocks(size_t n_args, const mp_obj_t *args) {
    mp_buffer_info_t bufinfo;
    uint32_t pos;
    if (!bdev_get_range(n_args, args, &bufinfo, MP_BUFFER_READ, &pos)) {
        return MP_OBJ_NEW_SMALL_INT(-MP_EIO);
    }
    ++bdev_writes;
    if (cut_left == 0) {
        // The power is gone: this write and every later one never reach the flash.
        if (cut_halt) {
            static const char msg[] = "ulearn-board: power cut\n";
            semihost_write_console(msg, sizeof(msg) - 1);
            semihost_exit(ULEARN_BOARD_CUT_STATUS);
        }
        return MP_OBJ_NEW_SMALL_INT(0);
    }
    if (cut_left > 0) {
        --cut_left;
    }
    if (semihost_pwrite(bdev_handle, bufinfo.buf, bufinfo.len, pos)) {
        return MP_OBJ_NEW_SMALL_INT(-MP_EIO);
    }
    return MP_OBJ_NEW_SMALL_INT(0);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(bdev_writeblocks_obj, 3, 4, bdev_writeblocks);

static mp_obj_t bdev_ioctl(mp_obj_t self_in, mp_obj_t op_in, mp_obj_t arg_in) {
    switch (mp_obj_get_int(op_in)) {
        case MP_BLOCKDEV_IOCTL_INIT:
        case MP_BLOCKDEV_IOCTL_DEINIT:
        case MP_BLOCKDEV_IOCTL_SYNC: // writes go straight to the host file
        case MP_BLOCKDEV_IOCTL_BLOCK_ERASE: // no erase needed
            return MP_OBJ_NEW_SMALL_INT(0);
        case MP_BLOCKDEV_IOCTL_BLOCK_COUNT:
            return mp_obj_new_int_from_uint(bdev_num_blocks);
        case MP_BLOCKDEV_IOCTL_BLOCK_SIZE:
            return MP_OBJ_NEW_SMALL_INT(BLOCK_SIZE);
        default:
            return mp_const_none;
    }
}
static MP_DEFINE_CONST_FUN_OBJ_3(bdev_ioctl_obj, bdev_ioctl);

static const mp_rom_map_elem_t bdev_locals_dict_table[] = {
    { MP_ROM_QSTR(MP_QSTR_readblocks), MP_ROM_PTR(&bdev_readblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_writeblocks), MP_ROM_PTR(&bdev_writeblocks_obj) },
    { MP_ROM_QSTR(MP_QSTR_ioctl), MP_ROM_PTR(&bdev_ioctl_obj) },
};
static MP_DEFINE_CONST_DICT(bdev_locals_dict, bdev_locals_dict_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    ulearn_board_bdev_type,
    MP_QSTR_SemihostBlockDev,
    MP_TYPE_FLAG_NONE,
    locals_dict, &bdev_locals_dict
    );

const mp_obj_base_t ulearn_board_bdev_obj = { &ulearn_board_bdev_type };

// cut(n, halt=False): after n more block writes the power goes. With halt,
// QEMU exits (status ULEARN_BOARD_CUT_STATUS) at the next write, which never
// lands; without, that write and all later ones are silently dropped, so the
// image holds exactly what a cut there leaves (remount to see it).
// cut(None) restores the power. Either way the write count starts again at 0.
static mp_obj_t board_cut(size_t n_args, const mp_obj_t *args) {
    mp_int_t n = args[0] == mp_const_none ? -1 : mp_obj_get_int(args[0]);
    if (args[0] != mp_const_none && n < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("cut needs n >= 0 or None"));
    }
    cut_left = n;
    cut_halt = n_args > 1 && mp_obj_is_true(args[1]);
    bdev_writes = 0;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(board_cut_obj, 1, 2, board_cut);

// writes(): block writes asked of the device since boot or the last cut().
static mp_obj_t board_writes(void) {
    return mp_obj_new_int_from_uint(bdev_writes);
}
static MP_DEFINE_CONST_FUN_OBJ_0(board_writes_obj, board_writes);

static const mp_rom_map_elem_t ulearn_board_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_ulearn_board) },
    { MP_ROM_QSTR(MP_QSTR_bdev), MP_ROM_PTR(&ulearn_board_bdev_obj) },
    { MP_ROM_QSTR(MP_QSTR_cut), MP_ROM_PTR(&board_cut_obj) },
    { MP_ROM_QSTR(MP_QSTR_writes), MP_ROM_PTR(&board_writes_obj) },
};
static MP_DEFINE_CONST_DICT(ulearn_board_module_globals, ulearn_board_module_globals_table);

const mp_obj_module_t ulearn_board_module = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&ulearn_board_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_ulearn_board, ulearn_board_module);

# ulearn board support for the QEMU port (MPS2_AN385, MPS2_AN500, VIRT_RV32).
# Needs the patched port (qemu-port.patch); see README.md.

ULEARN_BOARD_DIR := $(USERMOD_DIR)

# The file system drivers: make variables read by extmod/extmod.mk, which the
# qemu Makefile includes after py/py.mk (where this file is read).  FAT is
# configured as on real boards (long file names, relative paths).
MICROPY_VFS_LFS2 ?= 1
MICROPY_VFS_FAT ?= 1
CFLAGS_USERMOD += -DMICROPY_FATFS_ENABLE_LFN=1 -DMICROPY_FATFS_LFN_CODE_PAGE=437 -DMICROPY_FATFS_RPATH=2

# ulearn_board.h is included by the patched ports/qemu sources.
CFLAGS_USERMOD += -I$(ULEARN_BOARD_DIR)

# Sources with qstrs.
SRC_USERMOD_C += $(ULEARN_BOARD_DIR)/board.c $(ULEARN_BOARD_DIR)/blockdev.c

# Other sources, and timeutils for the time hooks of the file system drivers.
SRC_USERMOD_LIB_C += $(ULEARN_BOARD_DIR)/semihost.c $(ULEARN_BOARD_DIR)/soc.c
SRC_USERMOD_LIB_C += shared/timeutils/timeutils.c

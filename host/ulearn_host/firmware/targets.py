"""What `ulearn firmware build` can build: the pinned sources and one entry per target.

Every target is a real interpreter built from the pinned MicroPython, ulab and
CircuitPython commits with the make options recorded in the firmware kit's
README (the board module and its patch added for the QEMU boards).
"""

# Upstream commits, and the checksums of the pruned source archives made from them.
PINNED = {
    "micropython": {
        "repo": "https://github.com/micropython/micropython",
        "commit": "1c3c201149f37fe8d81246191b3127bb198d6306",
        "tarball": "micropython-1c3c201149.tar.xz",
        "sha256": "f1d11fe5c499361df55470884c59cc319220d38b6305ef44d3ff181afcc36ae9",
    },
    "ulab": {
        "repo": "https://github.com/v923z/micropython-ulab",
        "commit": "d161443327173bcf94c2616cb5de37e290af71ca",
        "tarball": "ulab-6.12.tar.xz",
        "sha256": "a3d1600c7a011c43472d2f7a283cfa7e900eeffd62527b0d7dc90d7c568aed3e",
    },
    "circuitpython": {
        "repo": "https://github.com/adafruit/circuitpython",
        "commit": "cd3da4a5d894a9648871db7188fc38ee4b344cd4",
        "tarball": "circuitpython-cd3da4a5d8.tar.xz",
        "sha256": "0e63fe2d5c2e59a47dc927595371684898e9917578673c561b40c99a99c7ca27",
        "version": "10.3.0-alpha.4-53-gcd3da4a5d8",
        # the submodules its unix port needs, at the commits the tree pins
        "submodules": ["extmod/ulab", "lib/quirc", "lib/mp3", "lib/adafruit_floppy",
                       "tools/huffman", "tools/python-semver"],
    },
}

# The largest GC heap a QEMU board can boot with (`vboard start --heap` picks
# less at boot): a static array, so it only costs RAM the boards have spare.
QEMU_HEAP_MAX = 1024 * 1024

_UNIX = ("FROZEN_MANIFEST=", "MICROPY_PY_FFI=0", "MICROPY_PY_BTREE=0", "MICROPY_PY_SSL=0",
         "MICROPY_SSL_MBEDTLS=0", "VARIANT=standard",
         "CFLAGS_EXTRA=-m32 -DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_FLOAT", "LDFLAGS_EXTRA=-m32")
_QEMU = ("FROZEN_MANIFEST=", "MICROPY_HEAP_SIZE=%d" % QEMU_HEAP_MAX,
         "MICROPY_VFS_LFS2=1", "MICROPY_VFS_FAT=1", "CFLAGS_EXTRA=-DMICROPY_FATFS_RPATH=2")

# `ulearn vboard --board`: (firmware target, QEMU program, its Debian package, machine arguments)
QEMU_BOARDS = {
    "m3": ("qemu-m3", "qemu-system-arm", "qemu-system-arm", ["-machine", "mps2-an385"]),
    "m3-frozen": ("qemu-m3-frozen", "qemu-system-arm", "qemu-system-arm",
                  ["-machine", "mps2-an385"]),
    "m7": ("qemu-m7", "qemu-system-arm", "qemu-system-arm", ["-machine", "mps2-an500"]),
    "rv32": ("qemu-rv32", "qemu-system-riscv32", "qemu-system-misc",
             ["-machine", "virt", "-bios", "none"]),
}
FS_TYPES = ("lfs2", "fat")  # the board module mounts littlefs (default) or FAT

# Debian packages, by the command or file a build needs.
GCC32 = ("gcc -m32", "gcc-multilib")
TOOLS = {
    "make": "make", "gcc": "gcc", "patch": "patch",
    "arm-none-eabi-gcc": "gcc-arm-none-eabi", "riscv64-unknown-elf-gcc": "gcc-riscv64-unknown-elf",
}
# picolibc flavour: (Debian package, the folder it installs)
PICOLIBC = {"arm": ("picolibc-arm-none-eabi", "/usr/lib/picolibc/arm-none-eabi"),
            "riscv": ("picolibc-riscv64-unknown-elf", "/usr/lib/picolibc/riscv64-unknown-elf")}


class Target:
    """One interpreter or firmware image.

    Attributes
    ----------
    name : str
        What `--target` calls it.
    about : str
        One line for `ulearn firmware list`.
    tree : str
        The source tree it builds from: "micropython" or "circuitpython".
    make_dir : str
        Folder of that tree that make runs in.
    args : tuple of str
        make variables (the build folder and user C modules are added by the builder).
    product : str
        The file the build makes, relative to its build folder.
    needs : tuple of str
        Commands (keys of TOOLS, or "gcc -m32") and picolibc flavours it needs.
    ulab, board_module : bool
        Whether ulab, and the QEMU board module and patch, go in.
    """

    def __init__(self, name, about, tree, make_dir, args, product, needs, ulab=False,
                 board_module=False, extra=None):
        self.name, self.about, self.tree, self.make_dir = name, about, tree, make_dir
        self.args, self.product, self.needs = tuple(args), product, tuple(needs)
        self.ulab, self.board_module = ulab, board_module
        self.extra = extra or {}  # e.g. the RISC-V libgcc override, resolved at build time

    @property
    def qemu(self):
        return self.make_dir == "ports/qemu"


TARGETS = {t.name: t for t in [
    Target("mpy-cross", "mpy-cross of the pinned MicroPython (emits the boards' .mpy v6.3)",
           "micropython", "mpy-cross", (), "mpy-cross", ("make", "gcc")),
    Target("cp-mpy-cross", "mpy-cross of the pinned CircuitPython (its own .mpy flavour)",
           "circuitpython", "mpy-cross", (), "mpy-cross", ("make", "gcc")),
    Target("unix32-ulab", "MicroPython unix port, 32-bit, float32, with ulab (board-like objects)",
           "micropython", "ports/unix", _UNIX + ("PROG=micropython",), "micropython",
           ("make", GCC32[0]), ulab=True),
    Target("unix32", "MicroPython unix port, 32-bit, float32, no ulab (stock-firmware path)",
           "micropython", "ports/unix", _UNIX + ("PROG=micropython",), "micropython",
           ("make", GCC32[0])),
    Target("cp-unix", "CircuitPython unix port (coverage variant), 32-bit, float32, its ulab",
           "circuitpython", "ports/unix",
           ("VARIANT=coverage", "MICROPY_FORCE_32BIT=1", "MICROPY_PY_FFI=0", "FROZEN_MANIFEST=",
            "CFLAGS_EXTRA=-DMICROPY_FLOAT_IMPL=MICROPY_FLOAT_IMPL_FLOAT "
            "-Wno-double-promotion -Wno-float-conversion"),
           "micropython", ("make", GCC32[0])),
    Target("qemu-m3", "QEMU MPS2-AN385: Cortex-M3, soft float, ulab, littlefs/FAT on a host file",
           "micropython", "ports/qemu", ("BOARD=MPS2_AN385",) + _QEMU, "firmware.elf",
           ("make", "patch", "arm-none-eabi-gcc", "picolibc:arm"), ulab=True, board_module=True),
    Target("qemu-m3-frozen", "qemu-m3 with the ulearn package frozen in (device/manifest.py)",
           "micropython", "ports/qemu", ("BOARD=MPS2_AN385",) + _QEMU, "firmware.elf",
           ("make", "patch", "arm-none-eabi-gcc", "picolibc:arm"), ulab=True, board_module=True,
           extra={"freeze": True}),
    Target("qemu-m7", "QEMU MPS2-AN500: Cortex-M7 with FPU, float32, ulab, filesystem",
           "micropython", "ports/qemu", ("BOARD=MPS2_AN500", "MICROPY_FLOAT_IMPL=float") + _QEMU,
           "firmware.elf", ("make", "patch", "arm-none-eabi-gcc", "picolibc:arm"), ulab=True,
           board_module=True),
    Target("qemu-rv32", "QEMU virt RV32 (rv32imac, ESP32-C3 class), ulab, filesystem",
           "micropython", "ports/qemu", ("BOARD=VIRT_RV32",) + _QEMU, "firmware.elf",
           ("make", "patch", "riscv64-unknown-elf-gcc", "picolibc:riscv"), ulab=True,
           board_module=True, extra={"rv32_libgcc": True}),
]}

# What `ulearn firmware build` builds without --target: what the test tiers run.
DEFAULT = ("mpy-cross", "cp-mpy-cross", "unix32-ulab", "unix32", "cp-unix", "qemu-m3")

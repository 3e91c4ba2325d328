"""A tiny MPU-6050 reader for MicroPython over machine.I2C: `ulearn record`'s default sensor.

    mpremote cp examples/mpu6050.py :lib/
    ulearn record --sensor mpu6050.read --label PEN --out pen

read() returns (ax, ay, az in m/s^2, gx, gy, gz in rad/s), the units of the
Adafruit driver, with the chip set as examples/sensor_learn.py sets it: +-8 g,
+-2000 deg/s and the 21 Hz low-pass filter (no aliasing at 50 Hz). Edit the
bus and pins below for your board.
"""
import struct
import time

import machine

I2C_BUS = None  # a hardware I2C bus number (0, 1, ...), or None: SoftI2C on the pins below
SCL_PIN = 5  # e.g. GP5/GP4 on a Pico, 22/21 on an ESP32 DevKit
SDA_PIN = 4
FREQ = 400000  # Hz
ADDRESS = 0x68  # 0x69 when AD0 is high

_G = 9.80665  # m/s^2 per g, as the Adafruit driver
_ACCEL_LSB = 4096.0  # per g at +-8 g
_GYRO_LSB = 16.4 * 57.29577951308232  # per rad/s at +-2000 deg/s


class MPU6050:
    """The chip on `i2c` at `address`: woken, +-8 g, +-2000 deg/s, 21 Hz low-pass."""

    def __init__(self, i2c, address=ADDRESS):
        self.i2c, self.address = i2c, address
        self._reg = bytearray(1)
        self._data = bytearray(14)  # accel x,y,z, temperature, gyro x,y,z: big-endian int16
        self._set(0x6B, 0x80)  # PWR_MGMT_1: reset
        time.sleep_ms(100)
        self._set(0x6B, 0x01)  # awake, clocked from the X gyro's PLL
        self._set(0x19, 0x00)  # SMPLRT_DIV: no divider
        self._set(0x1A, 0x04)  # CONFIG: DLPF_CFG 4, the 21 Hz low-pass
        self._set(0x1B, 0x18)  # GYRO_CONFIG: FS_SEL 3, +-2000 deg/s
        self._set(0x1C, 0x10)  # ACCEL_CONFIG: AFS_SEL 2, +-8 g
        time.sleep_ms(100)

    def _set(self, reg, value):
        self.i2c.writeto(self.address, bytes((reg, value)))

    def read(self):
        """(ax, ay, az in m/s^2, gx, gy, gz in rad/s)."""
        self._reg[0] = 0x3B  # ACCEL_XOUT_H, then the next 13 registers
        self.i2c.writeto(self.address, self._reg, False)  # a repeated start, no stop
        self.i2c.readfrom_into(self.address, self._data)
        ax, ay, az, _, gx, gy, gz = struct.unpack(">7h", self._data)
        a = _G / _ACCEL_LSB
        g = 1 / _GYRO_LSB
        return (ax * a, ay * a, az * a, gx * g, gy * g, gz * g)


def open_bus():
    """The I2C bus of I2C_BUS, SCL_PIN and SDA_PIN."""
    pins = {"scl": machine.Pin(SCL_PIN), "sda": machine.Pin(SDA_PIN), "freq": FREQ}
    if I2C_BUS is None:
        return machine.SoftI2C(**pins)
    return machine.I2C(I2C_BUS, **pins)


_chip = None


def read():
    """The next reading of the chip on the configured bus (set up on the first call)."""
    global _chip
    if _chip is None:
        _chip = MPU6050(open_bus())
    return _chip.read()

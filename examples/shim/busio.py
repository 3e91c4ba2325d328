# `busio.I2C` for MicroPython: what Adafruit drivers call (through
# adafruit_bus_device), on machine.SoftI2C, which works on any two pins of
# every port. The start/end arguments slice with memoryviews, not copies.
from machine import Pin, SoftI2C


def _view(buf, start, end):
    return memoryview(buf)[start:len(buf) if end is None else end]


class I2C:
    def __init__(self, scl, sda, frequency=100000):
        self._i2c = SoftI2C(scl=Pin(scl), sda=Pin(sda), freq=frequency)
        self._locked = False

    def try_lock(self):
        if self._locked:
            return False
        self._locked = True
        return True

    def unlock(self):
        self._locked = False

    def scan(self):
        return self._i2c.scan()

    def readfrom_into(self, address, buffer, *, start=0, end=None):
        self._i2c.readfrom_into(address, _view(buffer, start, end))

    def writeto(self, address, buffer, *, start=0, end=None):
        self._i2c.writeto(address, _view(buffer, start, end))

    def writeto_then_readfrom(self, address, buffer_out, buffer_in, *, out_start=0,
                              out_end=None, in_start=0, in_end=None):
        # a repeated start: no stop between the register address and the read
        self._i2c.writeto(address, _view(buffer_out, out_start, out_end), False)
        self._i2c.readfrom_into(address, _view(buffer_in, in_start, in_end))

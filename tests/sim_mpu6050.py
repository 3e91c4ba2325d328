"""A simulated MPU-6050 on an I2C bus, replaying recorded 6-axis samples.

The register file answers the real Adafruit driver (adafruit_mpu6050 over
adafruit_register and adafruit_bus_device): WHO_AM_I, the self-clearing
DEVICE_RESET, the SLEEP bit, the full-scale range bits, and big-endian int16
data registers holding the sample being measured at the current time, scaled
like the chip and clipped to int16. Time is a virtual clock, so a replay is
deterministic and takes no real time. Runs on CPython and MicroPython: the
tests use it behind Blinka's simulated board and inside the MicroPython VM.
"""
import struct

ADDRESS = 0x68
_ACCEL_LSB = (16384, 8192, 4096, 2048)  # per g, by ACCEL_CONFIG AFS_SEL
_GYRO_LSB = (131.0, 65.5, 32.8, 16.4)  # per deg/s, by GYRO_CONFIG FS_SEL
_DEG = 57.29577951308232  # deg per rad

# For the `machine` stand-in in the MicroPython VM: the bus SoftI2C returns and
# the buttons by pin id.
BUS = None
PINS = {}


class Clock:
    """Virtual milliseconds with MicroPython's time.ticks_* API: time passes only in sleeps."""

    def __init__(self):
        self.now = 0

    def ticks_ms(self):
        return self.now

    def ticks_add(self, t, delta):
        return t + delta

    def ticks_diff(self, a, b):
        return a - b

    def sleep_ms(self, ms):
        self.now += ms

    def sleep(self, seconds):
        self.now += int(seconds * 1000)


class FileSamples:
    """Recorded samples (6 float32 each: g, rad/s) read from a file as the chip measures
    them: in a board's heap the whole recording would crowd out the program under test."""

    def __init__(self, path):
        self.f = open(path, "rb")
        self.n = self.f.seek(0, 2) // 24

    def __len__(self):
        return self.n

    def __getitem__(self, k):
        self.f.seek(24 * k)
        return struct.unpack("<6f", self.f.read(24))


class MPU6050:
    """The chip. samples: rows (ax, ay, az in g, wx, wy, wz in rad/s), one per
    period_ms from the first data read; faults: sample positions at which every
    transfer fails like a bus error."""

    def __init__(self, samples, clock, period_ms=20, faults=()):
        self.samples = samples
        self.clock = clock
        self.period_ms = period_ms
        self.faults = faults
        self.start = None  # clock time of sample 0
        self.ptr = 0
        self.reset()

    def reset(self):
        self.regs = bytearray(128)
        self.regs[0x6B] = 0x40  # PWR_MGMT_1: asleep after power-up
        self.regs[0x75] = ADDRESS  # WHO_AM_I

    def position(self):
        """Index of the sample being measured now (0 before the first data read)."""
        if self.start is None:
            return 0
        return self.clock.ticks_diff(self.clock.ticks_ms(), self.start) // self.period_ms

    def check(self):
        if self.start is not None and self.position() in self.faults:
            raise OSError(5, "Input/output error")  # EIO, as a failed transfer gives

    def write(self, data):
        if len(data):
            self.ptr = data[0]
        for b in data[1:]:
            if self.ptr == 0x6B and b & 0x80:
                self.reset()  # DEVICE_RESET, which then reads back as 0
            else:
                self.regs[self.ptr & 0x7F] = b
            self.ptr += 1

    def read(self, buf):
        if self.ptr <= 0x48 and self.ptr + len(buf) > 0x3B:
            self._measure()
        for i in range(len(buf)):
            buf[i] = self.regs[(self.ptr + i) & 0x7F]
        self.ptr += len(buf)

    def _measure(self):
        r = self.regs
        if r[0x6B] & 0x40:
            return  # asleep: the data registers keep their values
        if self.start is None:
            self.start = self.clock.ticks_ms()
        k = self.position()
        if k >= len(self.samples):
            raise EOFError("the replay ended after %d samples" % len(self.samples))
        s = self.samples[k]
        a = _ACCEL_LSB[(r[0x1C] >> 3) & 3]
        g = _GYRO_LSB[(r[0x1B] >> 3) & 3] * _DEG
        for i in range(3):
            struct.pack_into(">h", r, 0x3B + 2 * i, _int16(s[i] * a))
            struct.pack_into(">h", r, 0x43 + 2 * i, _int16(s[3 + i] * g))
        struct.pack_into(">h", r, 0x41, -3920)  # 25 C


def _int16(x):
    return max(-32768, min(32767, int(round(x))))


class Bus:
    """An I2C controller with the chip at ADDRESS. Its methods are MicroPython's
    machine.I2C ones, which are also the backend calls of Blinka's busio.I2C."""

    def __init__(self, device):
        self.device = device

    def scan(self):
        return [ADDRESS]

    def _to(self, address):
        if address != ADDRESS:
            raise OSError(19, "No such device")  # ENODEV: address not acknowledged
        self.device.check()
        return self.device

    def writeto(self, address, buf, stop=True):
        self._to(address).write(buf)
        return len(buf)

    def readfrom_into(self, address, buf, stop=True):
        self._to(address).read(buf)

    def writeto_then_readfrom(self, address, out, into, *, out_start=0, out_end=None,
                              in_start=0, in_end=None, stop=False):
        out_end = len(out) if out_end is None else out_end
        in_end = len(into) if in_end is None else in_end
        self.writeto(address, memoryview(out)[out_start:out_end], False)
        self.readfrom_into(address, memoryview(into)[in_start:in_end])


class Button:
    """A push button to GND read through a pull-up: value is False while the
    scripted user holds it, i.e. while the chip's sample position is in one of
    the half-open spans [a, b)."""

    def __init__(self, device, spans):
        self.device = device
        self.spans = spans

    @property
    def value(self):
        p = self.device.position()
        for a, b in self.spans:
            if a <= p < b:
                return False
        return True

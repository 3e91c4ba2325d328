# `digitalio` for MicroPython: the digital inputs the example reads, on machine.Pin.
from machine import Pin


class Pull:
    UP = Pin.PULL_UP


class DigitalInOut:
    def __init__(self, pin):
        self._pin = Pin(pin, Pin.IN)

    def switch_to_input(self, pull=None):
        self._pin.init(Pin.IN, pull)

    @property
    def value(self):
        return bool(self._pin.value())

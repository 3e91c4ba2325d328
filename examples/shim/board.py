# `board` for MicroPython: the pin names examples/sensor_learn.py uses, as
# machine.Pin ids. Raspberry Pi Pico wiring; change the numbers for your board.
SDA = 4  # GP4
SCL = 5  # GP5
D5 = 14  # GP14: learn button
D6 = 15  # GP15: next-label button

# ulearn record's sampler: runs on the board (MicroPython, CircuitPython; CPython too),
# without the ulearn package. The host sends this file's text over the raw REPL followed
# by `import MODULE` and a call of main(SENSOR, RATE, SECONDS, CHANNELS).
#
# The protocol is the one the Arduino serial plotter and Edge Impulse's data forwarder
# read: one line of comma-separated numbers per reading. Lines starting with "#" are
# for ulearn: a header "# ulearn-record rate=HZ channels=A,B,...", "# dropped N" when
# N ticks were missed (the reading was late), "# end readings=N dropped=M" at the end.
import time

try:  # MicroPython: microseconds that wrap; ticks_diff/ticks_add handle the wrap
    from time import sleep_us, ticks_add, ticks_diff, ticks_us
except ImportError:  # CircuitPython, CPython: integer nanoseconds, no wrap

    def ticks_us():
        return time.monotonic_ns() // 1000

    def ticks_add(t, delta):
        return t + delta

    def ticks_diff(a, b):
        return a - b

    def sleep_us(us):
        time.sleep(us / 1000000)


def main(read, rate, seconds=0, channels=""):
    # Print read() (a tuple of numbers, or one number) `rate` times a second, for
    # `seconds` (0: until Ctrl-C). A tick missed because read() or the line was slow is
    # skipped and counted, so reading k is always due at k / rate seconds.
    period = int(1000000 / rate)  # us
    ticks = int(seconds * rate + 0.5) if seconds else 0  # 0: no end
    print("# ulearn-record rate=%s channels=%s" % (rate, channels))
    k = 0  # ticks so far, read or dropped
    dropped = 0
    due = ticks_us()
    try:
        while not ticks or k < ticks:
            v = read()
            if isinstance(v, (int, float)):
                print(v)
            else:
                print(*v, sep=",")
            k += 1
            due = ticks_add(due, period)
            wait = ticks_diff(due, ticks_us())
            if wait > 0:
                sleep_us(wait)
            elif wait <= -period:  # late by whole ticks: skip them
                n = -wait // period
                if ticks and k + n > ticks:
                    n = ticks - k
                due = ticks_add(due, n * period)
                k += n
                dropped += n
                print("# dropped %d" % n)
    except KeyboardInterrupt:  # the host's Ctrl-C: a normal end
        pass
    print("# end readings=%d dropped=%d" % (k - dropped, dropped))

"""ulearn record: a sensor's readings from a board, labelled, into DATA.csv and DATA.npz."""
import os
import sys

from ._common import UsageError, add_device, emit, read_script, require_file

HELP = "record labelled sensor readings from a board into a CSV and an .npz"
DESCRIPTION = (
    "Record a sensor's readings from a board with their labels, into DATA.csv (header "
    "time,CHANNEL...,label,session) and DATA.npz (the format of ulearn_host/recording.py). "
    "Readings come from ulearn's sampler, which calls --sensor on the board --rate times a "
    "second (default mpu6050.read, from examples/mpu6050.py); from your own script (--run "
    "script.py); or from whatever the board already prints (--listen: an Arduino sketch, a "
    "main.py). Any of them prints one line of comma-separated numbers per reading, as the "
    "Arduino serial plotter reads them. Label the whole session (--label) or type keys while "
    "recording (--labels-from 1=PEN,2=ABD,0=). An existing DATA gets a new session appended; "
    "the files are saved whole every few seconds, so a dropped line loses at most those. "
    "Ctrl-C ends a recording without --seconds: it stops the sampler, saves and prints the "
    "summary.")


def add_arguments(p):
    add_device(p)
    p.add_argument("-o", "--out", required=True, metavar="DATA",
                   help="the recording: DATA, DATA.csv or DATA.npz (both files are written; "
                   "an existing one gets this session appended)")
    lab = p.add_mutually_exclusive_group(required=True)
    lab.add_argument("--label", metavar="NAME", help="the label of every reading")
    lab.add_argument("--labels-from", metavar="KEYS",
                     help="KEY=LABEL,... e.g. 1=PEN,2=ABD,3=FEL,0= : type a key while "
                     "recording to label what follows; a key without a label (and space) "
                     "pauses; readings before the first key are not kept")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--sensor", metavar="EXPR",
                     help="ulearn's sampler calls this on the board: MODULE.CALLABLE or "
                     "MODULE.FACTORY(ARGS), returning a tuple of numbers (default "
                     "mpu6050.read: copy examples/mpu6050.py to the board's /lib)")
    src.add_argument("--run", metavar="SCRIPT",
                     help="run your own script on the board (raw REPL) and record the lines "
                     "of numbers it prints")
    src.add_argument("--listen", action="store_true",
                     help="record what the serial line already carries (an Arduino sketch, a "
                     "board's main.py): no REPL, no reset")
    p.add_argument("--rate", type=float, metavar="HZ",
                   help="readings per second: the sampler's rate (default 50), and the time "
                   "column of --run and --listen (without it: the host's arrival time)")
    p.add_argument("--seconds", type=float, metavar="N",
                   help="record for N seconds (default: until Ctrl-C)")
    p.add_argument("--channels", metavar="NAMES",
                   help="channel names, e.g. ax,ay,az,gx,gy,gz (default: what the sampler "
                   "announces, the existing recording's, or ch0,ch1,...)")
    p.add_argument("--baud", type=int, default=115200,
                   help="--listen: the serial line's baud rate (default 115200)")


def _check(args):
    # every argument, before the board or a file is touched: UsageError (2) or ValueError (1)
    from .. import record
    if args.rate is not None and not (0 < args.rate <= record.MAX_RATE):
        raise UsageError("--rate must be more than 0 and at most %g Hz, not %g"
                         % (record.MAX_RATE, args.rate))
    if args.seconds is not None and not args.seconds > 0:
        raise UsageError("--seconds must be more than 0, not %g" % args.seconds)
    if args.baud <= 0:
        raise UsageError("--baud must be more than 0")
    try:
        if args.sensor is not None:
            record.check_sensor(args.sensor)
        keys = record.parse_keys(args.labels_from) if args.labels_from is not None else None
        if args.label is not None:
            record.check_label(args.label)
        channels = record.parse_channels(args.channels) if args.channels else None
    except ValueError as e:
        raise UsageError(str(e))
    if args.run is not None:
        require_file(args.run)
    return keys, channels


def run(args):
    from .. import record
    from ..board import Board, BoardError
    keys, channels = _check(args)
    sampler = not (args.run or args.listen)
    rate = args.rate or (record.DEFAULT_RATE if sampler else 0.0)
    rec = record.Recorder(args.out, label=args.label, keys=keys)
    rec.check(channels, rate if sampler or args.rate else None)  # before the board starts
    if sampler:
        sensor = args.sensor or record.DEFAULT_SENSOR
        code = record.sampler_code(sensor, rate, args.seconds, channels or ())
    elif args.run:
        code = read_script(args.run)
    board = Board(args.device, listen=args.listen)
    try:
        if args.listen:
            board.t.serial.baudrate = args.baud
        else:
            _start(board, code)
        source = record.SerialLines(board.t.serial, raw=not args.listen)
        proto = record.Protocol(rate)
        if keys is not None:
            print("keys: %s; Ctrl-C ends" % record.describe_keys(keys), file=sys.stderr)
        show = _Progress(args.seconds * rate if args.seconds and rate else None, args.json)
        try:
            with (record.Keys() if keys is not None else _Nothing()) as k:
                out = record.capture(source, proto, rec, keys=k,
                                     seconds=None if sampler else args.seconds,
                                     channels=channels, show=show)
        finally:
            show.close()
    finally:
        board.close()
    where = "%s.csv and %s.npz" % (rec.out, rec.out)
    kept = "kept %d samples in %s" % (rec.kept, where) if rec.kept else "nothing was recorded"
    if out.how == "lost":
        raise BoardError("the connection to %s was lost: %s; run the same command again to "
                         "append a new session" % (args.device, kept))
    if out.how == "error":
        raise BoardError(_board_error(out.error, sensor if sampler else None, args.run, kept))
    summary = _summary(rec, proto, out)
    emit(args, summary, _text(summary, rec))


def _start(board, code):
    from mpremote.transport import TransportError

    from ..board import BoardError
    try:
        board.t.exec_raw_no_follow(code)
    except (TransportError, OSError) as e:
        raise BoardError("connection to %s lost while starting the sampler: %s"
                         % (board.device, e))


def _board_error(error, sensor, script, kept):
    from .. import record
    module = record.check_sensor(sensor) if sensor else None
    if module and ("no module named '%s'" % module) in error.lower():
        return ("the board has no module %s: copy it there (for the example reader: "
                "mpremote cp examples/mpu6050.py :lib/), or name another --sensor" % module)
    what = "the sensor %s" % sensor if sensor else script
    return "%s raised on the board: %s (%s)" % (what, error, kept)


def _summary(rec, proto, out):
    total = {}
    whole_labels = list(rec.old.label) if rec.old is not None else []
    for lab in whole_labels + rec.labels:
        total[lab] = total.get(lab, 0) + 1
    measured = out.measured_rate()
    return {
        "csv": rec.out + ".csv", "npz": rec.out + ".npz",
        "session": rec.session if rec.kept else None,
        "samples": rec.counts(), "kept": rec.kept,
        "sessions": len(set(rec.old.session.tolist() if rec.old is not None else [])
                        | ({rec.session} if rec.kept else set())),
        "total": total, "channels": rec.channels, "rate": proto.rate or None,
        "measured_rate": round(measured, 2) if measured else None,
        "dropped": proto.dropped, "malformed": proto.malformed, "ignored": proto.ignored,
        "unlabelled": rec.unlabelled, "ended": out.how,
    }


def _text(s, rec):
    if not s["kept"]:
        lines = ["nothing recorded; %s not written" % rec.out
                 if rec.old is None else "nothing recorded; %s unchanged" % rec.out]
    else:
        lines = ["session %d: %d samples (%s) into %s and %s" % (
            s["session"], s["kept"], ", ".join("%s %d" % kv for kv in s["samples"].items()),
            s["csv"], s["npz"])]
    lines.append("%s: %d session%s, %s" % (os.path.basename(rec.out), s["sessions"],
                                           "" if s["sessions"] == 1 else "s", ", ".join(
        "%s %d" % kv for kv in s["total"].items()) or "no samples"))
    rate = "%g Hz" % s["rate"] if s["rate"] else "no rate (host time)"
    if s["measured_rate"]:
        rate += ", measured %.1f Hz" % s["measured_rate"]
    lines.append("%s; dropped %d, malformed %d, ignored lines %d, unlabelled %d" % (
        rate, s["dropped"], s["malformed"], s["ignored"], s["unlabelled"]))
    return "\n".join(lines)


class _Nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        pass


class _Progress:
    # readings so far (dropped ones included) and their rate as measured, then samples
    # kept, dropped, the current label: a tqdm bar on a terminal
    def __init__(self, total, quiet):
        from tqdm import tqdm
        self.bar = tqdm(total=total, desc="recording", unit=" readings", leave=False,
                        disable=quiet or not sys.stderr.isatty(), file=sys.stderr)
        self.n = 0

    def __call__(self, rec, proto, out):
        if self.bar.disable:
            return
        if proto.index != self.n:
            self.bar.update(proto.index - self.n)
            self.n = proto.index
        self.bar.set_postfix_str("kept %d, dropped %d, label %s" % (
            rec.kept, proto.dropped, rec.label or "(none)"), refresh=False)

    def close(self):
        self.bar.close()

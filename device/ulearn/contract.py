# What a board and the host agree on, imported by both: where the package
# and the learner's files live on the board, and how an entry point of
# ulearn.app reports back (its last printed line is REPORT + a JSON object).
LIB = "/lib/ulearn"  # the device package
# `ulearn deploy` stages a new package in STAGED (its folder importable as ulearn with
# /lib/.ulearn-new on sys.path), moves LIB to ASIDE, STAGED to LIB; SWAP lists the
# renames from the commit until they are done (a rerun finishes them)
STAGED = "/lib/.ulearn-new/ulearn"
ASIDE = "/lib/.ulearn-old"
SWAP = "/lib/.ulearn-swap.json"
HOME = "/ulearn-data"  # not /ulearn: with "" on sys.path it would shadow the package
BUNDLE = HOME + "/bundle.npz"  # what `ulearn deploy` installs
STATE = HOME + "/state.npz"  # what the board has learned since
LOG = HOME + "/log.txt"  # the board's log; LOG + ".1" before it
LOG_MAX = 16384  # bytes; then the log moves to LOG + ".1"
THETA = HOME + "/theta.npz"  # a federation's weights, sent by `ulearn fed`
PHI = HOME + "/phi.npz"  # the weights after this board's local training
CURSOR = HOME + "/cursor.txt"  # where the board's stream continues
STREAM = HOME + "/learn.npz"  # where a board keeps the stream it trains on
REPORT = "ulearn-report "
# A status line while a program runs: STATUS + a JSON object of any of n
# (steps), pred, conf, y, acc, classes, score, threshold, alarm, with the
# board's ms and heap free (app.status); `ulearn monitor` draws them.
STATUS = "ulearn-status "

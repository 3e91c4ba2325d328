"""ulearn fed: federated meta-learning rounds over real boards."""
import os
import sys

from ulearn.contract import STREAM

from ._common import check_output, emit, fraction, natural, positive_float, positive_int

HELP = "federated meta-learning rounds over boards (TinyReptile)"
DESCRIPTION = (
    "Learn an initialisation across boards: each round the host sends the weights (the "
    "bundle's trainable layers) to a board, the board trains on its own stream "
    "(ulearn.app.inner) and sends its weights back, and the host applies the strategy's "
    "update. The output is saved after every round and a stopped run resumes from it; a board "
    "that drops is skipped with a warning and the rounds complete with the others, but the "
    "exit status is then 1, naming the boards and rounds missed; a round in which no board "
    "answers stops the run. Deploy the bundle and a stream to every board first.")


def add_arguments(p):
    from ..fed.boards import STRATEGIES
    p.add_argument("bundle", help="a bundle from `ulearn export` (its trainable layers are learned)")
    p.add_argument("-d", "--device", action="append", required=True,
                   help="a board, as mpremote names it or a socket:// URL (repeat for each)")
    p.add_argument("-o", "--output", default="theta.npz",
                   help="the learned initialisation, a bundle (default theta.npz)")
    p.add_argument("--strategy", choices=STRATEGIES, default=STRATEGIES[0],
                   help="default %(default)s")
    p.add_argument("--rounds", type=positive_int, default=20, help="default 20")
    p.add_argument("--steps", type=positive_int, default=20,
                   help="single-sample steps per board and round (tinyreptile, reptile; "
                   "default 20)")
    p.add_argument("--epochs", type=positive_int, default=1,
                   help="passes over the stream (fedavg; default 1)")
    p.add_argument("--lr", type=positive_float, default=0.05,
                   help="the boards' learning rate (default 0.05)")
    p.add_argument("--beta", type=fraction, default=1.0,
                   help="outer step, annealed linearly over the rounds (tinyreptile, reptile; "
                   "default 1)")
    p.add_argument("--per-round", type=positive_int, default=2,
                   help="boards per round (reptile, fedavg; tinyreptile asks one; default 2)")
    p.add_argument("--stream", default=STREAM,
                   help="the stream file on each board (default %s)" % STREAM)
    p.add_argument("--seed", type=natural, default=0,
                   help="which boards each round asks (default 0)")


def run(args):
    from tqdm import tqdm

    from ..board import BoardError
    from ..export import load_bundle
    from ..fed import boards
    load_bundle(args.bundle)  # a damaged bundle or a model is refused before any board
    check_output(args.output)
    existed = os.path.exists(args.output)
    strat = boards.strategy(args.strategy, args.steps, args.epochs, args.lr, args.beta,
                            args.per_round)
    bar = tqdm(total=args.rounds, desc="rounds", unit=" rounds", leave=False,
               disable=args.json or not sys.stderr.isatty())

    dropped = {}  # board -> rounds it missed

    def line(rnd, theta, entry):
        bar.update()
        if entry["skipped"] and len(entry["skipped"]) == len(entry["clients"]):
            raise BoardError("round %d: no board answered (%s); stopped, %s: %s" % (
                rnd, ", ".join(entry["skipped"]),
                "%s holds theta as before this round" % args.output if existed or rnd > 0
                else "nothing written", "; ".join(entry["skipped"].values())))
        for name, why in entry["skipped"].items():
            bar.write("ulearn: warning: round %d: skipped %s (%s)" % (rnd, name, why),
                      file=sys.stderr)
            dropped.setdefault(name, []).append(rnd)
        if not args.json:
            bar.write("round %d: %s trained, theta saved to %s" % (
                rnd, ", ".join(n for n in entry["clients"] if n not in entry["skipped"]) or
                "no board", args.output))
    try:
        history = boards.federate(args.bundle, args.device, args.output, args.rounds, strat,
                                  args.stream, args.seed, on_round=line)
    finally:
        bar.close()
    emit(args, {"output": args.output, "rounds": history},
         "%d rounds run; the initialisation is in %s" % (len(history), args.output))
    if dropped:  # the rounds completed with the others, but the run is not what was asked
        raise BoardError("%s dropped out (%s); the rounds completed with the other boards"
                         % (", ".join(dropped), "; ".join(
                             "%s missed round%s %s" % (n, "s" * (len(r) > 1),
                                                       ", ".join(map(str, r)))
                             for n, r in dropped.items())))

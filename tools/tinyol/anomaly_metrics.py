"""Section 2 scoring: precision / recall / F1 of the flags, ROC AUC of the
scores, and the KDD-TSAD 135 event measures (detected, first flag, false
alarms, UCR hit)."""
import numpy as np

from .data import DATA
from .settings import KDD_ANOM, KDD_TEST_START


def kdd_labels(W):
    # end point of every scored window, and whether the window overlaps the anomaly
    ends = np.arange(KDD_TEST_START, len(DATA["kdd"].test))
    lab = (ends >= KDD_ANOM[0]) & (ends - W + 1 <= KDD_ANOM[1])
    return ends, lab


def prf(y, flag):
    tp = int(np.sum(flag & (y == 1)))
    fp = int(np.sum(flag & (y == 0)))
    fn = int(np.sum(~flag & (y == 1)))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def auc(y, s):
    from sklearn.metrics import roc_auc_score
    return roc_auc_score(y, s)


def runs_of(mask):
    # number of maximal runs of True
    m = mask.astype(np.int8)
    return int(np.sum(np.diff(np.concatenate([[0], m])) == 1))


def kdd_metrics(W, score, flag):
    ends, lab = kdd_labels(W)
    p, r, f = prf(lab.astype(int), flag)
    hit = np.flatnonzero(flag & lab)
    fa = flag & ~lab
    top = int(np.argmax(score))
    # UCR archive convention: the top-scoring location within 100 points of the anomaly
    ucr = ends[top] >= KDD_ANOM[0] - 100 and ends[top] - W + 1 <= KDD_ANOM[1] + 100
    return dict(p=p, r=r, f=f, auc=auc(lab.astype(int), score), detected=len(hit) > 0,
                first=int(ends[hit[0]]) if len(hit) else None, fa=int(fa.sum()),
                fa_events=runs_of(fa), ucr=bool(ucr), top=int(ends[top]))

"""The same learning, within float32 tolerance, on ulab, numpy and pure Python."""
from ulearn_dev import devicepkg
from helpers import blobs, close


def run_classifier(ul):
    layer = ul.Frozen(6, 5, act="relu", int8=True).set_weights(
        [[((i * 5 + j * 3) % 7 - 3) / 4.0 for j in range(6)] for i in range(5)],
        [0.05 * i for i in range(5)])
    clf = ul.Classifier(6, 4, extractor=[layer],
                        optimizer=ul.SGD(0.05, momentum=0.8, weight_decay=1e-3, clip=2.0))
    probs = []
    for t, (x, y) in enumerate(blobs(400, n_features=6, n_classes=4)):
        p = clf.predict_proba_one(x)
        probs.append(p.get(y, 0.0))
        clf.learn_one(x, y)
    K = ul.backend.K
    return probs, [v for a in clf.arrays() for v in K.tolist(a)]


def run_detector(ul):
    det = ul.AnomalyDetector(6, hidden=3, optimizer=ul.SGD(0.02, momentum=0.5))
    scores = [det.learn_one(x) for x, _ in blobs(400, n_features=6)]
    K = ul.backend.K
    return scores, [v for a in det.arrays() for v in K.tolist(a)] + [det.threshold]


def compare(run):
    results = {b: run(devicepkg.use(b)) for b in devicepkg.BACKENDS}
    ref = results["numpy"]
    for b in ("ulab", "python"):
        for got, want in zip(results[b], ref):
            assert close(got, want, 2e-4), b


def test_classifier_agrees_across_backends():
    compare(run_classifier)


def test_anomaly_detector_agrees_across_backends():
    compare(run_detector)

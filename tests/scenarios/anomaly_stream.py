# An AnomalyDetector learns a stream of normal samples, then judges two points.
# normal.json: [x, ...], x as integers (x / 256).
# Prints each learn_one score, then [threshold, is_anomaly(odd), is_anomaly(usual)].
import json

from ulearn import AnomalyDetector

det = AnomalyDetector(4, hidden=2, warmup=20)
for x in json.load(open("normal.json")):
    print(json.dumps(det.learn_one([v / 256 for v in x])))
print(json.dumps([det.threshold, det.is_anomaly([9.0, -9.0, 9.0, -9.0]),
                  det.is_anomaly([1.0, 2.0, 1.0, 2.0])]))

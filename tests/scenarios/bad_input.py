# Bad input to learn_one gets a clear exception and changes nothing.
# Prints one line per attempt: "accepted" or [exception type, message]; then the labels.
import json

import ulearn

clf = ulearn.Classifier(3, 2)
clf.learn_one([1.0, 2.0, 3.0], "a")
for x, y in (([1.0, 2.0], "a"), ([1.0, float("nan"), 3.0], "a"), ([1.0, "x", 3.0], "a"),
             ([1.0, 2e19, 3.0], "a"), ([1.0, 2.0, 3.0], "b"), ([1.0, 2.0, 3.0], "c")):
    try:
        clf.learn_one(x, y)
        print(json.dumps("accepted " + y))
    except (ValueError, TypeError) as e:
        print(json.dumps([type(e).__name__, str(e)]))
print(json.dumps(clf.labels))

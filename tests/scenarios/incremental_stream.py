# A classifier with replay and a hidden layer that grows as classes arrive
# learns a stream, predicting each sample first. stream.json: [[x as
# integers, y], ...] (x / 256). Prints the probability given to each label,
# then the hidden layer's width.
import json

from ulearn import SGD, Classifier

clf = Classifier(6, 4, hidden=4, replay=24, replay_k=2, grow_step=2, max_hidden=8,
                 optimizer=SGD(0.05, momentum=0.5))
for x, y in json.load(open("stream.json")):
    x = [v / 256 for v in x]
    print(json.dumps(clf.predict_proba_one(x).get(y, 0.0)))
    clf.learn_one(x, y)
print(json.dumps(clf.hidden.n_out))

# A Classifier learns a stream, predicting each sample before it learns it.
# stream.json: [[x as integers, y], ...]; x is x / 256.
# Prints, per sample, the probability given to its label.
import json

from ulearn import SGD, Classifier

clf = Classifier(4, 3, optimizer=SGD(0.05, momentum=0.5, clip=5.0))
for x, y in json.load(open("stream.json")):
    x = [v / 256 for v in x]
    print(json.dumps(clf.predict_proba_one(x).get(y, 0.0)))
    clf.learn_one(x, y)

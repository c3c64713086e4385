"""Run in AutoGluon's own venv by bench/tables.py (never imported by deepstart):
fit TabularPredictor's medium_quality preset on FOLDER/train.csv within SECONDS (0: no
limit, the preset's own time) and print one JSON line: the test accuracy or RMSE on
FOLDER/test.csv, and the wall time.

    python autogluon_fit.py FOLDER TARGET classification|regression SECONDS
"""

import json
import sys
import tempfile
import time

import numpy as np
import pandas as pd
from autogluon.tabular import TabularPredictor

folder, target, task, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
train, test = pd.read_csv(f"{folder}/train.csv"), pd.read_csv(f"{folder}/test.csv")
start = time.perf_counter()
with tempfile.TemporaryDirectory() as path:
    kind = "multiclass" if task == "classification" and train[target].nunique() > 2 else None
    kind = kind or ("binary" if task == "classification" else "regression")
    metric = "accuracy" if task == "classification" else "root_mean_squared_error"
    model = TabularPredictor(target, problem_type=kind, eval_metric=metric, path=path, verbosity=0)
    model.fit(train, presets="medium_quality", time_limit=max(seconds, 10) if seconds else None)
    predicted = model.predict(test.drop(columns=target))
took = time.perf_counter() - start
if task == "classification":
    found = float((predicted.to_numpy() == test[target].to_numpy()).mean())
else:
    found = float(np.sqrt(np.mean((predicted.to_numpy() - test[target].to_numpy()) ** 2)))
print(json.dumps({"score": found, "seconds": round(took, 2)}))

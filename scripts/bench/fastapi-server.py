"""Baseline of the benchmark: what a user would otherwise pick in Python.

FastAPI with pydantic validation of the same features and limits, served by
uvicorn on uvloop + httptools, predicting with a scikit-learn pipeline
(StandardScaler + LogisticRegression) over the loan-approval features,
trained at start on synthetic applicants from a fixed seed. No auth, no
rate limits, no records, no access log: the framework and the model only.

    /usr/bin/python3 scripts/bench/fastapi-server.py <port>

Debian packages: python3-fastapi python3-uvicorn python3-sklearn
python3-uvloop python3-httptools.
"""
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Dict, List, Optional

import numpy as np
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, Extra, confloat, conint
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FEATURES = ["age", "income", "credit_score", "employment_years", "loan_amount"]
LABELS = ["denied", "approved"]


def train():
    rng = np.random.default_rng(42)
    n = 20_000
    x = np.column_stack([
        rng.integers(18, 80, n),
        rng.lognormal(10.9, 0.5, n),
        rng.integers(300, 851, n),
        rng.uniform(0, 40, n),
        rng.lognormal(10, 0.8, n),
    ]).astype(np.float64)
    logit = 0.01 * (x[:, 2] - 650) + 0.00001 * (x[:, 1] - 55000) + 0.05 * x[:, 3] - 0.00002 * x[:, 4]
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=200)).fit(x, y)


MODEL = train()


class Features(BaseModel, extra=Extra.forbid):
    age: conint(ge=18, le=120, strict=True)
    income: confloat(gt=0, le=10_000_000)
    credit_score: conint(ge=300, le=850, strict=True)
    employment_years: confloat(ge=0, le=60)
    loan_amount: confloat(gt=0, le=10_000_000)


class PredictBody(BaseModel, extra=Extra.forbid):
    model: str
    version: Optional[str] = None
    features: Features
    options: Optional[Dict[str, object]] = None


class BatchBody(BaseModel, extra=Extra.forbid):
    model: str
    version: Optional[str] = None
    instances: List[Features]
    options: Optional[Dict[str, object]] = None


def rows(instances: List[Features]) -> np.ndarray:
    return np.array([[getattr(f, k) for k in FEATURES] for f in instances], dtype=np.float64)


def row_result(p: np.ndarray) -> dict:
    best = int(p[1] >= 0.5)
    prob = float(p[best])
    return {
        "prediction": LABELS[best], "probability": prob,
        "probabilities": {LABELS[0]: float(p[0]), LABELS[1]: float(p[1])},
        "confidence": "high" if prob >= 0.8 else "medium" if prob >= 0.6 else "low",
    }


def meta(started: float) -> dict:
    return {
        "request_id": f"req_{uuid.uuid4()}", "timestamp": datetime.now(timezone.utc).isoformat(),
        "response_time_ms": round((time.perf_counter() - started) * 1000, 3), "model": "loan-approval", "model_version": "2",
    }


app = FastAPI()


@app.post("/api/v1/predict")
def predict(body: PredictBody):
    started = time.perf_counter()
    p = MODEL.predict_proba(rows([body.features]))[0]
    data = {"id": f"pred_{uuid.uuid4()}", "model": "loan-approval", "model_version": "2", **row_result(p)}
    return {"status": "success", "data": data, "meta": meta(started)}


@app.post("/api/v1/predict/batch")
def predict_batch(body: BatchBody):
    started = time.perf_counter()
    probs = MODEL.predict_proba(rows(body.instances))
    predictions = [row_result(p) for p in probs]
    data = {"model": "loan-approval", "model_version": "2", "count": len(predictions), "predictions": predictions}
    return {"status": "success", "data": data, "meta": meta(started)}


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8092
    uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools", log_level="warning", access_log=False)

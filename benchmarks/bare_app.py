"""The baseline of the throughput benchmark: a bare Flask handler answering 202."""

from flask import Flask

app = Flask(__name__)


@app.post("/api/v1/collect")
def collect() -> tuple[dict[str, object], int]:
    return {"accepted": 1, "dropped": 0, "mode": "aggregate", "reasons": {}}, 202

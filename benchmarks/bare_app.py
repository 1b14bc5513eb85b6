"""The baseline of the throughput benchmark: a bare Flask handler that parses the JSON
body and answers 202."""

from flask import Flask, request

app = Flask(__name__)


@app.post("/api/v1/collect")
def collect() -> tuple[dict[str, object], int]:
    request.get_json()
    return {"accepted": 2, "dropped": 0, "mode": "aggregate", "reasons": {}}, 202

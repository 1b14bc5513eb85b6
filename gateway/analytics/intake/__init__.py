"""The intake half: beacons in, anonymized, then counted or queued in the outbox.

views (and the lean path in front of Flask) -> pipeline (parse, anonymize,
decide the mode) -> store (one transaction: outbox rows, aggregate counts).
"""

"""The forwarding half: the outbox drained to GA4's Measurement Protocol.

outbox (claim, mark) -> ga4 (valid request bodies) -> forwarder (send, retry,
dead-letter); fakega is the local GA4 stand-in, cli the operator's commands.
"""

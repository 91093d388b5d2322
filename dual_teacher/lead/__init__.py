"""The remote lead teacher's side: the lead server (ASGI app, its SQLite store) and the dashboard assets.

The classroom side of the link (the client thread that publishes the class state) lives in
`dual_teacher.runtime.lead_link`, beside the session it reads; both speak the messages in
`dual_teacher.runtime.lead_protocol`.
"""

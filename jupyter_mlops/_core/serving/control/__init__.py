"""The kernel's side of serving: ``Serving`` (serving.py) edits an endpoint's config under its
lock and waits for the workers' acknowledgement (acknowledgements.py); rollouts.py holds the pure
config changes of deploy, traffic and rollback; processes.py starts, probes and stops endpoint
processes by pid; records.py is the endpoints table; figures.py and results.py what the user sees;
captured.py reads data capture back; batch.py is batch transform; handle.py ``ws.endpoint(name)``.
"""

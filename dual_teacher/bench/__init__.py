"""`dual-teacher bench`: the vendor benchmark, modelled on MLPerf Inference, with an accuracy gate and peers.

    dual-teacher bench [--profile P] [--quick | --full] [--budget-s S] [--cameras N] --out FILE.json
    dual-teacher bench compare A.json B.json
    dual-teacher bench setup-peers

One run (run.py), in this order, each part on the real inputs of data.py, one module per part:
1. set-up (setup.py): every hardware profile's providers proven with a tiny model, the profile chosen as the
   runtime chooses it at start-up, the models and the inputs loaded: a `Rig`;
2. accuracy gate (accuracy.py, decisions in gate.py): the profile's raw model outputs, its perception results
   and its transcripts against a CPU fp32 reference on the same inputs; the run is invalid otherwise;
3. SingleStream (single_stream.py), 4. MultiStream (multi_stream.py), 5. Offline (offline.py),
6. Classroom (classroom.py): a recorded class replayed in real time with every stage on;
7. peers (peer_scenario.py; their venv is made by `bench setup-peers`, peers.py, never during a run).
Results are frozen dataclasses (results.py), turned into the JSON's dicts only when written; report.py renders
the HTML from that JSON, compare.py compares two, console.py prints the end of a run. doctor.py is
`dual-teacher doctor`: the machine check that comes before a benchmark (it shares the provider probe).
This package sits above `runtime` (beside qt and lead): nothing in a class imports it.
"""

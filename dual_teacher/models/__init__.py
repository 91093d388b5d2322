"""`dual-teacher models build | verify`: the set-up step that converts and checks the perception models.

build.py makes the converter's own pinned venv (it pip-installs, so it is a set-up step) and runs it;
verify.py re-checks every built model's hash and parity without that venv. The package sits above `runtime`
(beside bench, qt and lead) so that nothing a class runs can reach the pip-installing set-up; the runtime
reads built models through `inference.registry` only.
"""

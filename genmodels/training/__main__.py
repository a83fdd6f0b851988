"""`python -m genmodels.training`: the child process the app trains in (training/child.py); it reads its
run from stdin and writes events to stdout, so it is no command for people."""
from .child import serve

serve()

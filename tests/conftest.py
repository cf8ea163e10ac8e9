"""Makes tests/support importable from every pytest file (stack.py,
authority_grpc.py)."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "support"))

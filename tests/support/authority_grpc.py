"""Python stubs for the authority's contract, generated from protos/ at import
time into a temp dir (so tests always speak the current .proto)."""
import importlib
import pathlib
import sys
import tempfile

from grpc_tools import protoc

ROOT = pathlib.Path(__file__).resolve().parents[2]
_OUT = pathlib.Path(tempfile.mkdtemp(prefix="tokengate-stubs-"))
_PROTO = "tokengate/v1/token_authority.proto"

if protoc.main(["protoc", f"-I{ROOT / 'protos'}", f"--python_out={_OUT}",
                f"--grpc_python_out={_OUT}", _PROTO]) != 0:
    raise RuntimeError("cannot generate Python stubs from " + _PROTO)
sys.path.insert(0, str(_OUT))

pb = importlib.import_module("tokengate.v1.token_authority_pb2")
pb_grpc = importlib.import_module("tokengate.v1.token_authority_pb2_grpc")


def stub(address):
    import grpc
    return pb_grpc.TokenAuthorityStub(grpc.insecure_channel(address))

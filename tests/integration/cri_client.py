"""A small CRI client for the tests: the runtime.v1 messages are built at
test time from adapters/cri/api.proto (a descriptor set written by protoc, or
by protoc-c, which the build needs anyway), and calls are generic unary gRPC
calls over the daemon's unix socket."""
import functools
import pathlib
import shutil
import subprocess
import tempfile

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

SOURCE_DIR = pathlib.Path(__file__).resolve().parents[2]
PROTO_DIR = SOURCE_DIR / "adapters" / "cri"
RUNTIME = "runtime.v1.RuntimeService"
IMAGES = "runtime.v1.ImageService"


@functools.lru_cache(maxsize=None)
def _pool():
    tool = shutil.which("protoc") or shutil.which("protoc-c")
    if tool is None:
        raise RuntimeError("neither protoc (protobuf-compiler) nor protoc-c is installed")
    with tempfile.TemporaryDirectory() as d:
        out = pathlib.Path(d) / "api.desc"
        subprocess.run([tool, f"--descriptor_set_out={out}", f"-I{PROTO_DIR}",
                        str(PROTO_DIR / "api.proto")], check=True)
        fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for f in fds.file:
        pool.Add(f)
    return pool


@functools.lru_cache(maxsize=None)
def message(name):
    """The Python class of runtime.v1.<name>."""
    desc = _pool().FindMessageTypeByName(f"runtime.v1.{name}")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(_pool()).GetPrototype(desc)


class CriClient:
    def __init__(self, socket_path, timeout=30):
        self.channel = grpc.insecure_channel(f"unix://{socket_path}")
        self.timeout = timeout

    def close(self):
        self.channel.close()

    def call(self, method, request, response_type, service=RUNTIME):
        """One unary call of /<service>/<method>; raises grpc.RpcError."""
        fn = self.channel.unary_unary(f"/{service}/{method}",
                                      request_serializer=lambda m: m.SerializeToString(),
                                      response_deserializer=message(response_type).FromString)
        return fn(request, timeout=self.timeout)

    def raw_call(self, path, payload=b""):
        """A call with raw bytes, for methods the client knows no types of."""
        fn = self.channel.unary_unary(path, request_serializer=None, response_deserializer=None)
        return fn(payload, timeout=self.timeout)

    def version(self):
        return self.call("Version", message("VersionRequest")(version="v1"), "VersionResponse")

    def status(self, verbose=False):
        return self.call("Status", message("StatusRequest")(verbose=verbose), "StatusResponse")

    def list_images(self, image=None):
        req = message("ListImagesRequest")()
        if image is not None:
            req.filter.image.image = image
        return self.call("ListImages", req, "ListImagesResponse", service=IMAGES)

    def image_status(self, image):
        req = message("ImageStatusRequest")()
        req.image.image = image
        return self.call("ImageStatus", req, "ImageStatusResponse", service=IMAGES)

    def rpc(self, method, service=RUNTIME, **fields):
        """/<service>/<method> with a <method>Request of these fields (sub-messages
        as message objects); returns the <method>Response."""
        return self.call(method, message(f"{method}Request")(**fields), f"{method}Response",
                         service=service)

    def pull_image(self, image):
        """PullImage; returns the image reference the runtime answers."""
        return self.rpc("PullImage", IMAGES, image=message("ImageSpec")(image=image)).image_ref

    def wait_ready(self, timeout=10):
        """Until the channel connects (the socket may appear after the REST one)."""
        grpc.channel_ready_future(self.channel).result(timeout=timeout)

    def stream(self, method, request, response_type, service=RUNTIME, timeout=None):
        """A server-streaming call: the iterator of its responses (also a
        grpc.Call: .cancel() ends it)."""
        fn = self.channel.unary_stream(f"/{service}/{method}",
                                       request_serializer=lambda m: m.SerializeToString(),
                                       response_deserializer=message(response_type).FromString)
        return fn(request, timeout=timeout if timeout is not None else self.timeout)

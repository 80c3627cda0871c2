"""Shared by the benchmarks: an optimized build, the fixture registry, a crio
on a private root, and medians."""
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile

SRC = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("CRIO_BENCH_BUILD_DIR", SRC / "build" / "bench"))
sys.path.insert(0, str(SRC / "tests" / "fixtures"))
sys.path.insert(0, str(SRC / "tests" / "integration"))
os.environ.setdefault("CRIO_BUILD_DIR", str(BUILD))


def build():
    """An optimized build without sanitizers: figures of the real thing."""
    subprocess.run(["cmake", "-S", str(SRC), "-B", str(BUILD), "-DCMAKE_BUILD_TYPE=Release",
                    "-DCRIO_SANITIZE=OFF", "-DCRIO_TESTS=OFF"], check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", str(BUILD), "-j", str(os.cpu_count() or 2)], check=True,
                   stdout=subprocess.DEVNULL)


def fixtures_and_registry(workdir):
    import build_images
    from registry import Registry, push_fixtures
    cache = os.path.join(os.environ.get("CRIO_TEST_CACHE", "/tmp/crio-test-cache"), "oci")
    build_images.build(cache)
    reg = Registry(os.path.join(workdir, "registry"))
    addr = reg.start()
    push_fixtures(addr, cache)
    return reg, addr


def median(xs):
    return statistics.median(xs)


def have(program):
    return shutil.which(program) is not None


def tempdir():
    return tempfile.mkdtemp(prefix="crio-bench-")

"""tool/bench/benchmarks.py -- what `make bench` runs: one entry per
benchmark program.  Design: manual/bench.rst

The driver (tool/bench/run) builds each program once per *build* (a set of
-D flags and libraries: Lagoon, glibc, or a peer), runs every *variant* in
every *case*, and compares checksums within a case.  A benchmark whose
source file does not exist yet is skipped with a note, so the planned
entries below cost nothing until their programs land.

Program protocol (every benchmark program follows it):
  PROGRAM [-q] VARIANT [CASE]
    -q        quick sizes (the smoke test: a second or so)
  prints lines
    info ...             free text, shown with --verbose
    metric NAME VALUE    one number per metric
    checksum HEX         what it computed; equal across variants of a case
  and exits 0 (non-zero is a failure: a crash, a corrupt block, ...).

To add a benchmark: write test/bench/NAME.c to that protocol and add a
Benchmark(...) here (or fill in the planned one).  The helpers every
program shares (bench_die, bench_check_res, clocks, the checksum fold,
peak RSS, the variant table) are in test/bench/benchlib.h: a program that
uses them defines bench_program and lists BENCHLIB in extra_sources, which
every build of the program compiles and links.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional

# How a Lagoon build links (the hot variety).
LAGOON_ARCHIVE = "build/hot/libmps.a"
LAGOON_LIBS = [LAGOON_ARCHIVE, "-lsigsegv", "-lpthread", "-lm"]


@dataclass
class Build:
    """One executable made from a benchmark's source."""
    defines: List[str]
    libs: List[str]
    package: Optional[str] = None  # Debian package the build needs
    lagoon: bool = False           # links build/hot/libmps.a


@dataclass
class Metric:
    name: str                      # as the program prints it
    label: str                     # column heading
    lower_is_better: bool = True


@dataclass
class Benchmark:
    name: str
    source: str                    # path from the repository root
    builds: Dict[str, Build]       # build name -> build
    variants: Dict[str, str]       # variant -> build name, in table order
    reference: str                 # the variant ratios are taken against
    metrics: List[Metric]
    # case -> variants that run it (all doing identical work); None means
    # one unnamed case with every variant
    cases: Optional[Dict[str, List[str]]] = None
    extra_sources: List[str] = field(default_factory=list)
    timeout_full: float = 600.0    # seconds per run
    timeout_quick: float = 60.0


MALLOC_BUILD = Build(defines=[], libs=[])
BOEHM_BUILD = Build(defines=["-DPEER_BOEHM"], libs=["-lgc"],
                    package="libgc-dev")
LAGOON_BUILD = Build(defines=["-DBENCH_LAGOON"], libs=LAGOON_LIBS,
                     lagoon=True)

NS_PAIR = Metric("ns_per_pair", "ns/pair")
PEAK_RSS = Metric("peak_rss_kib", "peak RSS KiB")
WALL = Metric("wall_s", "wall s")

_MALLOC_PEERS = ["malloc", "mimalloc", "jemalloc"]

# Shared by the programs (test/bench/benchlib.h).
BENCHLIB = "test/bench/benchlib.c"

BENCHMARKS = [
    Benchmark(
        name="allocbench",
        source="test/bench/allocbench.c",
        extra_sources=[BENCHLIB],
        builds={
            "lagoon": LAGOON_BUILD,
            "malloc": MALLOC_BUILD,
            # both libraries export malloc/free: linking them replaces
            # glibc's for the whole process (the program checks it)
            "mimalloc": Build(defines=["-DPEER_MIMALLOC"],
                              libs=["-lmimalloc"],
                              package="libmimalloc-dev"),
            "jemalloc": Build(defines=["-DPEER_JEMALLOC"],
                              libs=["-ljemalloc"],
                              package="libjemalloc-dev"),
        },
        variants={
            "mvff": "lagoon", "mvff-ap": "lagoon", "mfs": "lagoon",
            "sac": "lagoon", "mvt": "lagoon",
            "malloc": "malloc", "mimalloc": "mimalloc",
            "jemalloc": "jemalloc",
        },
        reference="malloc",
        metrics=[NS_PAIR, PEAK_RSS],
        cases={
            "small": ["mvff", "mvff-ap", "sac", "mvt"] + _MALLOC_PEERS,
            "large": ["mvff", "mvff-ap", "sac", "mvt"] + _MALLOC_PEERS,
            "fixed": ["mfs", "mvff", "mvff-ap", "sac", "mvt"]
                     + _MALLOC_PEERS,
        },
    ),

    Benchmark(
        name="gcbench",
        source="test/bench/gcbench.c",
        extra_sources=[BENCHLIB],
        builds={"lagoon": LAGOON_BUILD, "boehm": BOEHM_BUILD,
                "malloc": MALLOC_BUILD},
        variants={"amc": "lagoon", "ams": "lagoon", "boehm": "boehm",
                  "malloc": "malloc"},
        reference="boehm",
        metrics=[WALL, Metric("cpu_s", "CPU s"), PEAK_RSS,
                 Metric("collections", "collections"),
                 Metric("pause_total_ms", "pause total ms"),
                 Metric("pause_max_ms", "pause max ms")],
    ),

    Benchmark(
        name="weakbench",
        source="test/bench/weakbench.c",
        extra_sources=[BENCHLIB, "test/lib/rng.c"],
        builds={"lagoon": LAGOON_BUILD, "boehm": BOEHM_BUILD},
        variants={"awl": "lagoon", "boehm": "boehm"},
        reference="boehm",
        metrics=[WALL, Metric("splatted", "splatted", lower_is_better=False),
                 PEAK_RSS,
                 Metric("collect_s", "forced collect s"),
                 Metric("collections", "collections"),
                 # dropped keys a conservative scan kept (Lagoon: none)
                 Metric("retained", "retained")],
    ),

    # Planned (later issues).  Each is skipped until its source exists;
    # whoever writes the program adjusts the variants and metrics here.
    Benchmark(
        name="pausebench",
        source="test/bench/pausebench.c",
        builds={"lagoon": LAGOON_BUILD, "boehm": BOEHM_BUILD},
        variants={"stw": "lagoon", "incremental": "lagoon",
                  "boehm-incremental": "boehm"},
        reference="boehm-incremental",
        metrics=[Metric("throughput", "throughput", lower_is_better=False),
                 Metric("pause_p50_ms", "pause p50 ms"),
                 Metric("pause_p99_ms", "pause p99 ms"),
                 Metric("pause_max_ms", "pause max ms")],
    ),
    Benchmark(
        name="threadbench",
        source="test/bench/threadbench.c",
        builds={"lagoon": LAGOON_BUILD, "boehm": BOEHM_BUILD},
        variants={"amc": "lagoon", "boehm": "boehm"},
        reference="boehm",
        metrics=[Metric("allocs_per_s_per_thread", "allocs/s/thread",
                        lower_is_better=False),
                 Metric("scaling", "scaling", lower_is_better=False)],
        cases={"1": ["amc", "boehm"], "2": ["amc", "boehm"],
               "4": ["amc", "boehm"]},
    ),
    # scheme: the example runtime's own benchmarks; to be added with the
    # runtime (its builds are the runtime's, not a test/bench program).
]
